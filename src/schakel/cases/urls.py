from __future__ import annotations

from django.urls import path

from schakel.cases import (
    following_views,
    handover_views,
    hold_views,
    message_views,
    plan_views,
    views,
)
from schakel.cases.national_views import national_overview
from schakel.cases.summary_views import case_summary, case_summary_pdf
from schakel.cases.timeline_views import case_timeline

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
    path("<int:pk>/plans/<int:plan_pk>/", plan_views.plan_detail, name="plan_detail"),
    path(
        "<int:pk>/plans/<int:plan_pk>/objectives/new/",
        plan_views.plan_objective,
        name="plan_objective",
    ),
    path("<int:pk>/plans/<int:plan_pk>/actions/new/", plan_views.plan_action, name="plan_action"),
    path("<int:pk>/plans/<int:plan_pk>/reviews/new/", plan_views.plan_review, name="plan_review"),
    path("<int:pk>/plans/<int:plan_pk>/status/", plan_views.plan_status, name="plan_status"),
    path(
        "<int:pk>/plans/<int:plan_pk>/requests/<slug:kind>/",
        plan_views.plan_request,
        name="plan_request",
    ),
    path("requests/<int:request_pk>/", plan_views.request_detail, name="plan_request_detail"),
    path(
        "<int:pk>/handovers/new/",
        handover_views.handover_request,
        name="case_handover_request",
    ),
    path("handovers/<int:handover_pk>/", handover_views.handover_detail, name="case_handover"),
    path("holds/<int:hold_pk>/", hold_views.hold_detail, name="case_transfer_hold"),
    path("plan-merges/<int:merge_pk>/", following_views.plan_merge, name="plan_merge"),
    path("plan-splits/<int:choice_pk>/", following_views.plan_split, name="plan_split"),
    path("<int:pk>/line/", message_views.case_line, name="case_line"),
    path("line/<int:message_pk>/", message_views.line_message, name="case_line_message"),
    path("<int:pk>/consents/", message_views.case_consents, name="case_consents"),
    path(
        "consents/<int:consent_pk>/withdraw/",
        message_views.consent_withdraw,
        name="case_consent_withdraw",
    ),
    path("<int:pk>/timeline/", case_timeline, name="case_timeline"),
    path("<int:pk>/summary/", case_summary, name="case_summary"),
    path("<int:pk>/summary.pdf", case_summary_pdf, name="case_summary_pdf"),
    path("national/", national_overview, name="case_national"),
]
