"""REST endpoint of the national view (version 1): ``GET /api/v1/cases/national/`` — per
region the counts of cases and plans by status, overdue plan actions, Dublin transfer holds in
place and open handovers, with the national totals. Counts only: no personal data. A thin
adapter over ``national``; 403 for whoever the matrix does not let oversee."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from schakel.cases import national
from schakel.cases.national import RegionFigures
from schakel.cases.vocabulary import CaseStatus, PlanStatus
from schakel.errors import NotAllowed
from schakel.web.api import error

CaseCountsSerializer = inline_serializer(
    "NationalCaseCounts", {status: serializers.IntegerField() for status in CaseStatus.values}
)
PlanCountsSerializer = inline_serializer(
    "NationalPlanCounts", {status: serializers.IntegerField() for status in PlanStatus.values}
)


class NationalRegionRefSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()


class NationalRegionFiguresSerializer(serializers.Serializer[Any]):
    region = NationalRegionRefSerializer(allow_null=True, help_text="Null for the national totals.")
    cases = CaseCountsSerializer
    cases_total = serializers.IntegerField()
    plans = PlanCountsSerializer
    plans_total = serializers.IntegerField()
    overdue_actions = serializers.IntegerField(
        help_text="Open plan actions past their due date, of plans not closed in open cases."
    )
    active_holds = serializers.IntegerField(help_text="Dublin transfer holds in place.")
    open_handovers = serializers.IntegerField()


# One object, not a list: the endpoint is the router's "list" route of its prefix.
@extend_schema_serializer(many=False)
class NationalOverviewSerializer(serializers.Serializer[Any]):
    date = serializers.DateField(help_text="The day the overdue actions are counted on.")
    regions = NationalRegionFiguresSerializer(many=True)
    totals = NationalRegionFiguresSerializer()


def _figures(row: RegionFigures) -> dict[str, Any]:
    region = row.region
    return {
        "region": {"code": region.code, "name": region.name} if region else None,
        "cases": dict(zip(CaseStatus.values, row.case_counts, strict=True)),
        "cases_total": row.cases_total,
        "plans": dict(zip(PlanStatus.values, row.plan_counts, strict=True)),
        "plans_total": row.plans_total,
        "overdue_actions": row.overdue_actions,
        "active_holds": row.active_holds,
        "open_handovers": row.open_handovers,
    }


class NationalOverviewViewSet(viewsets.ViewSet):
    @extend_schema(
        summary="The national view: counts per region (national coordinators)",
        responses={
            200: NationalOverviewSerializer,
            403: error("Only national coordinators see the national view."),
        },
    )
    def list(self, request: Request) -> Response:
        if not national.may_oversee(request.user):
            raise NotAllowed(_("Only national coordinators see the national view."))
        overview = national.national_overview(request.user)
        return Response(
            {
                "date": overview.today,
                "regions": [_figures(row) for row in overview.regions],
                "totals": _figures(overview.totals),
            }
        )
