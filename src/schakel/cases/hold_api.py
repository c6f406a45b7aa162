"""REST endpoints for Dublin transfer holds (version 1): ``/api/v1/transfer-holds/`` — the holds
the user may see (of the cases their organisation leads or coordinates, those given to their
organisation as immigration liaison, and — without whom they are about — those of cases at
their tables) and ``POST .../{id}/agree/`` to record one side's agreement to lift a hold. Thin
adapters over ``holds``; a hold the user may not see is 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import pagination, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from schakel.access import policy
from schakel.access.shortcuts import get_visible_or_404
from schakel.audit import services as audit
from schakel.cases import holds
from schakel.cases.hold_views import hold_queryset
from schakel.cases.models import TransferHold
from schakel.errors import InvalidFields
from schakel.partners.models import User
from schakel.web.api import error
from schakel.web.api_input import StrictSerializer, text
from schakel.web.parsers import JSONParser


class AgreeInputSerializer(StrictSerializer):
    rationale = text(4000)


class TransferHoldAgreementSerializer(serializers.Serializer[Any]):
    side = serializers.CharField(help_text="lead or liaison")
    organisation = serializers.CharField()
    agreed_at = serializers.DateTimeField()
    rationale = serializers.CharField(required=False, help_text="Absent when not yours to see.")


class TransferHoldSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    case = serializers.IntegerField()
    case_reference = serializers.CharField()
    active = serializers.BooleanField()
    reasons = serializers.ListField(
        child=serializers.CharField(), help_text="trafficking_status, open_signal"
    )
    liaison_organisation = serializers.CharField(allow_null=True)
    placed_at = serializers.DateTimeField()
    lifted_at = serializers.DateTimeField(allow_null=True)
    lifted_because = serializers.CharField(help_text="decision, conditions_ended or empty")
    person = serializers.CharField(required=False, help_text="Absent when not yours to see.")
    agreements = TransferHoldAgreementSerializer(many=True)


def _hold_data(hold: TransferHold, full: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": hold.pk,
        "case": hold.case_id,
        "case_reference": hold.case.reference,
        "active": hold.is_active,
        "reasons": list(hold.reasons),
        "liaison_organisation": (
            hold.liaison_organisation.name if hold.liaison_organisation else None
        ),
        "placed_at": hold.placed_at,
        "lifted_at": hold.lifted_at,
        "lifted_because": hold.lifted_because,
        "agreements": [
            {
                "side": a.side,
                "organisation": a.organisation.name,
                "agreed_at": a.agreed_at,
                **({"rationale": a.rationale} if full else {}),
            }
            for a in hold.agreements.all()
        ],
    }
    if full:
        data["person"] = str(hold.person.entity)
    return data


class TransferHoldPagination(pagination.LimitOffsetPagination):
    max_limit = 500


class TransferHoldViewSet(viewsets.GenericViewSet[TransferHold]):
    parser_classes = [JSONParser]
    pagination_class = TransferHoldPagination
    serializer_class = TransferHoldSerializer

    def _user(self) -> User:
        user: User = self.request.user  # type: ignore[assignment]
        return user

    def get_queryset(self) -> QuerySet[TransferHold]:
        return policy.visible(self._user(), hold_queryset().order_by("-placed_at", "-pk"))

    def _detail(self, request: Request, hold: TransferHold) -> Response:
        hold = self.get_queryset().get(pk=hold.pk)
        full = policy.decide(self._user(), "view", hold).is_full("care")
        audit.record_read(request, "cases.transferhold", [hold.pk], purpose=hold.case.purpose)
        if full:
            audit.record_read(
                request, "cases.caseperson", [hold.person_id], purpose=hold.case.purpose
            )
        return Response(_hold_data(hold, full))

    @extend_schema(
        summary="Dublin transfer holds the user may see, newest first",
        parameters=[OpenApiParameter("active", bool, description="Only holds in place.")],
        responses={200: TransferHoldSerializer(many=True)},
    )
    def list(self, request: Request) -> Response:
        rows = self.get_queryset()
        if request.query_params.get("active") in ("true", "1"):
            rows = rows.filter(lifted_at__isnull=True)
        user = self._user()
        page = self.paginate_queryset(rows)
        data = [
            _hold_data(h, policy.decide(user, "view", h).is_full("care"))
            for h in (page if page is not None else rows)
        ]
        return self.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(
        summary="One Dublin transfer hold",
        responses={200: TransferHoldSerializer, 404: error("No such hold, or not yours to see.")},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._detail(request, get_visible_or_404(self._user(), self.get_queryset(), pk=pk))

    @extend_schema(
        summary="Record your side's agreement to lift the hold (case lead or liaison)",
        request=AgreeInputSerializer,
        responses={
            200: TransferHoldSerializer,
            400: error("Bad input."),
            403: error("Not yours to decide."),
            404: error("No such hold, or not yours to see."),
            409: error("Already lifted, or your side already agreed."),
        },
    )
    @action(detail=True, methods=["post"])
    def agree(self, request: Request, pk: str) -> Response:
        hold = get_visible_or_404(self._user(), self.get_queryset(), pk=pk)
        body = AgreeInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rationale = body.validated_data["rationale"]
        if not rationale.strip():
            raise InvalidFields({"rationale": [_("Give the rationale of the decision.")]})
        holds.agree_to_lift(hold, rationale=rationale, actor=self._user(), request=request)
        return self._detail(request, hold)
