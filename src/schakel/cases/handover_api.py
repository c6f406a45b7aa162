"""REST endpoints for handovers (version 1): ``/api/v1/handovers/`` — the handovers the user
may see (asked of, or by, their organisation; those of the cases it leads), asking for one,
and answering it (the receiving organisation accepts or declines, the requesting one may
withdraw). Thin adapters over ``handovers``; a handover or case the user may not see is 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import pagination, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from schakel.access import policy
from schakel.access.shortcuts import get_visible_or_404
from schakel.audit import services as audit
from schakel.cases import handovers
from schakel.cases.models import Case, Handover
from schakel.cases.vocabulary import HandoverStatus
from schakel.errors import InvalidFields
from schakel.partners.models import Organisation, Region, User
from schakel.web.api import V1_NAMESPACE, error
from schakel.web.api_input import StrictIntegerField, StrictSerializer, text
from schakel.web.parsers import JSONParser

# --- What a client sends -------------------------------------------------------------------


class HandoverInputSerializer(StrictSerializer):
    case = StrictIntegerField(help_text="Id of the case; your organisation leads it.")
    to_organisation = StrictIntegerField(help_text="Id of the receiving organisation.")
    to_region = text(
        32, help_text="Code of the region, e.g. PR-NN. Empty: the receiving organisation's."
    )
    reason = text(4000)


class HandoverAnswerInputSerializer(StrictSerializer):
    answer = text(16, help_text="accept, decline (receiving organisation) or withdraw (requester)")
    note = text(2000, help_text="Required when declining.")
    care_coordinator = StrictIntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Accepting: id of a coordinator of yours to coordinate care; empty: you.",
    )


# --- What a client receives ----------------------------------------------------------------


class HandoverRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class HandoverAnswerSerializer(serializers.Serializer[Any]):
    status = serializers.CharField()
    note = serializers.CharField()
    answered_by = serializers.CharField()
    answered_at = serializers.DateTimeField()
    care_coordinator = serializers.CharField(allow_null=True)


class HandoverSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    url = serializers.CharField()
    case = serializers.IntegerField()
    case_reference = serializers.CharField()
    status = serializers.CharField(help_text=", ".join(HandoverStatus.values))
    from_organisation = HandoverRefSerializer()
    from_region = serializers.CharField(help_text="Code of the region.")
    to_organisation = HandoverRefSerializer()
    to_region = serializers.CharField(help_text="Code of the region.")
    reason = serializers.CharField()
    requested_by = serializers.CharField()
    requested_at = serializers.DateTimeField()
    answer = HandoverAnswerSerializer(allow_null=True)


def _ref(organisation: Organisation) -> dict[str, Any]:
    return {"id": organisation.pk, "name": organisation.name}


def _handover_data(handover: Handover) -> dict[str, Any]:
    answer = getattr(handover, "answer", None)
    return {
        "id": handover.pk,
        "url": reverse(f"{V1_NAMESPACE}:handover-detail", kwargs={"pk": handover.pk}),
        "case": handover.case_id,
        "case_reference": handover.case.reference,
        "status": handover.status,
        "from_organisation": _ref(handover.from_organisation),
        "from_region": handover.from_region.code,
        "to_organisation": _ref(handover.to_organisation),
        "to_region": handover.to_region.code,
        "reason": handover.reason,
        "requested_by": str(handover.requested_by),
        "requested_at": handover.requested_at,
        "answer": (
            {
                "status": answer.status,
                "note": answer.note,
                "answered_by": str(answer.answered_by),
                "answered_at": answer.answered_at,
                "care_coordinator": (
                    str(answer.care_coordinator) if answer.care_coordinator else None
                ),
            }
            if answer is not None
            else None
        ),
    }


# --- Endpoints -------------------------------------------------------------------------------


class HandoverPagination(pagination.LimitOffsetPagination):
    max_limit = 500


class HandoverViewSet(viewsets.GenericViewSet[Handover]):
    """Handovers under the access policy: the list filters in the query, a handover the user
    may not see is 404."""

    parser_classes = [JSONParser]
    pagination_class = HandoverPagination
    serializer_class = HandoverSerializer

    def _user(self) -> User:
        user: User = self.request.user  # type: ignore[assignment]
        return user

    def get_queryset(self) -> QuerySet[Handover]:
        return policy.visible(
            self._user(), handovers.handover_queryset().order_by("-requested_at", "-pk")
        )

    def _detail(self, request: Request, handover: Handover, status: int = 200) -> Response:
        handover = self.get_queryset().get(pk=handover.pk)
        audit.record_read(request, "cases.handover", [handover.pk], purpose=handover.case.purpose)
        return Response(_handover_data(handover), status=status)

    @extend_schema(
        summary="Handovers asked of or by the user's organisation, newest first",
        parameters=[
            OpenApiParameter("case", int, description="Only those of this case."),
            OpenApiParameter("status", str, enum=HandoverStatus.values),
        ],
        responses={200: HandoverSerializer(many=True)},
    )
    def list(self, request: Request) -> Response:
        rows = self.get_queryset()
        case = request.query_params.get("case")
        if case:
            if not case.isdigit():
                raise InvalidFields({"case": [_("Give the id of a case.")]})
            rows = rows.filter(case_id=int(case))
        status = request.query_params.get("status")
        if status:
            if status not in HandoverStatus.values:
                raise InvalidFields({"status": [_("Unknown status.")]})
            rows = rows.filter(status=status)
        page = self.paginate_queryset(rows)
        data = [_handover_data(h) for h in (page if page is not None else rows)]
        return self.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(
        summary="One handover",
        responses={200: HandoverSerializer, 404: error("No such handover, or not yours.")},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._detail(request, get_visible_or_404(self._user(), self.get_queryset(), pk=pk))

    @extend_schema(
        summary="Ask another organisation to take over the lead of a case (its coordinators)",
        request=HandoverInputSerializer,
        responses={
            201: HandoverSerializer,
            400: error("Bad input; every problem named with its field."),
            403: error("Only a coordinator of the lead organisation hands a case over."),
            404: error("No such case, or not yours to see."),
            409: error("A handover of this case is already open, or the case is closed."),
        },
    )
    def create(self, request: Request) -> Response:
        user = self._user()
        body = HandoverInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        case = get_visible_or_404(user, Case.objects.all(), pk=data["case"])
        problems: dict[str, list[Any]] = {}
        to_organisation = Organisation.objects.filter(
            pk=data["to_organisation"], is_active=True
        ).first()
        if to_organisation is None:
            problems["to_organisation"] = [_("Unknown organisation.")]
        to_region = None
        if data["to_region"]:
            to_region = Region.objects.filter(code=data["to_region"]).first()
            if to_region is None:
                problems["to_region"] = [_("Unknown region.")]
        if problems and policy.can(user, "hand_over", case):
            raise InvalidFields(problems)
        handover = handovers.request_handover(
            case,
            to_organisation=to_organisation,
            to_region=to_region,
            reason=data["reason"],
            actor=user,
            request=request,
        )
        response = self._detail(request, handover, 201)
        response["Location"] = request.build_absolute_uri(response.data["url"])
        return response

    @extend_schema(
        summary="Answer a handover (receiving organisation: accept or decline) or withdraw it",
        request=HandoverAnswerInputSerializer,
        responses={
            200: HandoverSerializer,
            400: error("Bad input."),
            403: error("Not yours to answer."),
            404: error("No such handover, or not yours."),
            409: error("Already answered or withdrawn."),
        },
    )
    @action(detail=True, methods=["post"])
    def answer(self, request: Request, pk: str) -> Response:
        user = self._user()
        handover = get_visible_or_404(user, self.get_queryset(), pk=pk)
        body = HandoverAnswerInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        answer, note = data["answer"], data["note"]
        if answer == "accept":
            coordinator = None
            if data["care_coordinator"] is not None:
                coordinator = User.objects.filter(pk=data["care_coordinator"]).first()
                if coordinator is None:
                    raise InvalidFields({"care_coordinator": [_("Unknown user.")]})
            handovers.accept(
                handover, note=note, care_coordinator=coordinator, actor=user, request=request
            )
        elif answer == "decline":
            handovers.decline(handover, note=note, actor=user, request=request)
        elif answer == "withdraw":
            handovers.withdraw(handover, note=note, actor=user, request=request)
        else:
            raise InvalidFields({"answer": [_("Answer accept, decline or withdraw.")]})
        return self._detail(request, handover)
