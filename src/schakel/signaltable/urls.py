from __future__ import annotations

from django.urls import path

from schakel.signaltable import views

urlpatterns = [
    path("", views.dashboard, name="signaltable_dashboard"),
    path("tables/", views.table_list, name="signaltable_tables"),
    path("tables/<int:group_pk>/", views.table_detail, name="signaltable_table"),
    path(
        "tables/<int:group_pk>/meetings/new/",
        views.meeting_create,
        name="signaltable_meeting_create",
    ),
    path(
        "tables/<int:group_pk>/decisions/",
        views.decision_history,
        name="signaltable_decisions",
    ),
    path("meetings/<int:pk>/", views.meeting_detail, name="signaltable_meeting"),
    path("meetings/<int:pk>/progress/", views.meeting_progress, name="signaltable_progress"),
    path("meetings/<int:pk>/decide/", views.decide, name="signaltable_decide"),
    path(
        "meetings/<int:pk>/decisions/<int:decision_pk>/correct/",
        views.correct,
        name="signaltable_correct",
    ),
    path("meetings/<int:pk>/minutes/", views.minutes_page, name="signaltable_minutes"),
    path("meetings/<int:pk>/minutes.pdf", views.minutes_pdf, name="signaltable_minutes_pdf"),
]
