"""REST endpoint for a case's timeline (version 1): ``/api/v1/cases/{id}/timeline/``, the
case's events oldest first, as far as the user may see them (``timeline``). A case the user
may not see is 404; the read is audited with the case's purpose, like the case's detail.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from schakel.access.shortcuts import get_visible_or_404
from schakel.audit import services as audit
from schakel.cases.models import Case
from schakel.cases.presenter import case_queryset
from schakel.cases.timeline import KINDS, Event, build_timeline, personal_ids
from schakel.errors import InvalidFields
from schakel.web.api import error


class TimelineEventSerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=list(KINDS))
    description = serializers.CharField()
    actor = serializers.CharField(help_text="Who or which organisation; empty when not shown.")
    url = serializers.CharField(help_text="The page to follow it on; empty when not yours.")
    detail = serializers.CharField(help_text="A reason, basis or note; empty when not shown.")
    hidden = serializers.BooleanField(help_text="A hit: something not shown to you is there.")


def _event_data(event: Event) -> dict[str, Any]:
    return dict(TimelineEventSerializer(event).data)


@extend_schema(parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)])
class CaseTimelineViewSet(viewsets.GenericViewSet[Case]):
    """One case's timeline."""

    serializer_class = TimelineEventSerializer
    pagination_class = None

    @extend_schema(
        summary=(
            "A case's events (signals, decisions, status, plans, plan merges and splits, "
            "actions and tasks, requests, handovers, holds, messages)"
        ),
        parameters=[OpenApiParameter("kind", str, enum=list(KINDS), description="One kind.")],
        responses={
            200: TimelineEventSerializer(many=True),
            400: error("Unknown kind."),
            404: error("No such case, or not yours to see."),
        },
    )
    def list(self, request: Request, id: str) -> Response:
        case = get_visible_or_404(request.user, case_queryset(), pk=id)
        kind = request.query_params.get("kind") or None
        if kind is not None and kind not in KINDS:
            raise InvalidFields({"kind": [_("Unknown kind.")]})
        events = build_timeline(request.user, case).of_kind(kind)
        audit.record_read(request, "cases.case", [case.pk], purpose=case.purpose)
        for object_type, ids in personal_ids(events).items():
            audit.record_read(request, object_type, ids, purpose=case.purpose)
        return Response([_event_data(e) for e in events])
