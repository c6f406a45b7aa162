from __future__ import annotations

from django.urls import path

from schakel.cases import views

urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("new/", views.case_open, name="case_open"),
    path("<int:pk>/", views.case_detail, name="case_detail"),
    path("<int:pk>/status/", views.case_status, name="case_status"),
    path(
        "<int:pk>/people/<int:person_pk>/trafficking-status/",
        views.person_trafficking_status,
        name="case_person_trafficking",
    ),
    path(
        "<int:pk>/people/<int:person_pk>/migration-status/",
        views.person_migration_status,
        name="case_person_migration",
    ),
    path(
        "<int:pk>/people/<int:person_pk>/reflection/",
        views.person_reflection_offer,
        name="case_person_reflection",
    ),
]
