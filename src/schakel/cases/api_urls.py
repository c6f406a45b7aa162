from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from schakel.cases import api, following_api, handover_api, hold_api, message_api, plan_api
from schakel.cases.national_api import NationalOverviewViewSet
from schakel.cases.timeline_api import CaseTimelineViewSet

router = SimpleRouter()
# Before "cases": that prefix's detail route ("cases/<pk>/") would take "national" for a pk.
router.register("cases/national", NationalOverviewViewSet, basename="case-national")
router.register("cases", api.CaseViewSet, basename="case")
router.register(r"cases/(?P<case_pk>[0-9]+)/plans", plan_api.PlanViewSet, basename="case-plan")
router.register("plan-requests", plan_api.PlanRequestViewSet, basename="plan-request")
router.register("handovers", handover_api.HandoverViewSet, basename="handover")
router.register("transfer-holds", hold_api.TransferHoldViewSet, basename="transfer-hold")
router.register("plan-merges", following_api.PlanMergeViewSet, basename="plan-merge")
router.register("plan-splits", following_api.PlanSplitViewSet, basename="plan-split")
router.register(r"cases/(?P<id>[0-9]+)/timeline", CaseTimelineViewSet, basename="case-timeline")
router.register(
    r"cases/(?P<case_pk>[0-9]+)/messages", message_api.CaseMessageViewSet, basename="case-message"
)
router.register(
    r"cases/(?P<case_pk>[0-9]+)/consents", message_api.ConsentViewSet, basename="case-consent"
)

urlpatterns = [path("", include(router.urls))]
