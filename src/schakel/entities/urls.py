from __future__ import annotations

from django.urls import path

from schakel.entities import views

urlpatterns = [
    path("", views.entity_search, name="entity_search"),
    path("<int:pk>/", views.entity_detail, name="entity_detail"),
    path("<int:pk>/split/", views.entity_split, name="entity_split"),
    path("exports/", views.export_list, name="entity_exports"),
    path("exports/<uuid:export_id>/", views.export_progress, name="entity_export"),
    path(
        "exports/<uuid:export_id>/download/",
        views.export_download,
        name="entity_export_download",
    ),
    path("review/", views.review_queue, name="entity_review"),
    path("review/<int:pk>/", views.review_judge, name="entity_review_judge"),
    path(
        "judgements/<int:pk>/withdraw/", views.judgement_withdraw, name="entity_judgement_withdraw"
    ),
]
