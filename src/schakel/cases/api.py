"""REST endpoints for cases (version 1): list, detail and opening a case.

Thin adapters over ``services`` and ``presenter``: the detail is built from what the
presenter lets the viewer see, so hidden personal data never reaches a serializer; in its
place are *hits* (who is there by role, and whom to contact).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import pagination, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from schakel.access import policy
from schakel.access.shortcuts import get_visible_or_404
from schakel.audit import services as audit
from schakel.cases import services
from schakel.cases.models import Case
from schakel.cases.presenter import CaseView, PersonView, case_queryset, present_case
from schakel.cases.vocabulary import (
    CASE_PURPOSES,
    DEFAULT_PURPOSE,
    HTCDS_CASE_STATUS,
    HTCDS_TRAFFICKING_STATUS,
    OPEN_STATUSES,
    CaseStatus,
)
from schakel.errors import InvalidFields, NotAllowed
from schakel.partners.models import Region, SharingGroup, User
from schakel.signals.models import Signal, Tlp
from schakel.web.api import V1_NAMESPACE, error
from schakel.web.api_input import StrictIntegerField, StrictSerializer, id_list, text, text_list
from schakel.web.parsers import JSONParser

MAX_SIGNALS = 500


def case_url(case: Case) -> str:
    return reverse(f"{V1_NAMESPACE}:case-detail", kwargs={"pk": case.pk})


# --- What a client sends ---------------------------------------------------------------


class CaseInputSerializer(StrictSerializer):
    """A case opened directly; the user's organisation leads it."""

    signals = text_list(32, max_length=MAX_SIGNALS, help_text="References of signals.")
    region = text(32, help_text="Code of the region, e.g. PR-ZWB.")
    care_coordinator = StrictIntegerField(
        required=False, allow_null=True, default=None, help_text="Id of a user."
    )
    tlp = text(16, default=Tlp.AMBER, help_text="GREEN, AMBER, AMBER+STRICT or RED.")
    purpose = text(40, default=DEFAULT_PURPOSE, help_text=", ".join(CASE_PURPOSES))
    legal_basis = text(40)
    sharing_groups = id_list(max_length=100, help_text="Ids of sharing groups.")


# --- What a client receives -----------------------------------------------------------------


class CaseOrganisationRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CaseSummarySerializer(serializers.Serializer[Any]):
    """A row of the list: no personal data."""

    id = serializers.IntegerField()
    reference = serializers.CharField()
    url = serializers.SerializerMethodField()
    status = serializers.CharField(help_text=", ".join(CaseStatus.values))
    htcds_status = serializers.SerializerMethodField(help_text="HTCDS v2.0 cas_Status")
    lead_organisation = CaseOrganisationRefSerializer()
    region = serializers.CharField(source="region.code")
    tlp = serializers.ChoiceField(choices=Tlp.choices)
    purpose = serializers.CharField()
    opened_at = serializers.DateTimeField()

    def get_url(self, case: Case) -> str:
        return case_url(case)

    def get_htcds_status(self, case: Case) -> str:
        return HTCDS_CASE_STATUS[CaseStatus(case.status)]


class CaseTraffickingStatusSerializer(serializers.Serializer[Any]):
    status = serializers.CharField()
    htcds = serializers.SerializerMethodField(help_text="HTCDS v2.0 vic_TraffickingStatus")
    deciding_organisation = CaseOrganisationRefSerializer()
    deciding_organisation_type = serializers.CharField(
        help_text="HTCDS v2.0 vic_TraffickingStatusDecisionMakingOrg"
    )
    decided_on = serializers.DateField()
    basis = serializers.CharField()
    recorded_at = serializers.DateTimeField()

    def get_htcds(self, record: Any) -> str:
        return HTCDS_TRAFFICKING_STATUS[record.status]


class CaseMigrationStatusSerializer(serializers.Serializer[Any]):
    status = serializers.CharField()
    since = serializers.DateField(allow_null=True)
    recorded_at = serializers.DateTimeField()


class CaseReflectionSerializer(serializers.Serializer[Any]):
    offered_on = serializers.DateField(source="offer.offered_on")
    ends_on = serializers.DateField()
    days_left = serializers.IntegerField()
    has_ended = serializers.BooleanField()


class CasePersonSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="person.pk")
    entity = serializers.IntegerField(source="person.entity_id")
    name = serializers.CharField()
    role = serializers.CharField()
    trafficking_status = CaseTraffickingStatusSerializer(allow_null=True)
    trafficking_history = CaseTraffickingStatusSerializer(source="trafficking", many=True)
    migration_status = CaseMigrationStatusSerializer(allow_null=True)
    migration_history = CaseMigrationStatusSerializer(source="migration", many=True)
    reflection = CaseReflectionSerializer(allow_null=True)


class CaseHitSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField(source="what")
    count = serializers.IntegerField()
    contact_organisation = serializers.CharField()
    contact_email = serializers.CharField()


class CaseStatusChangeSerializer(serializers.Serializer[Any]):
    status = serializers.CharField()
    changed_at = serializers.DateTimeField()
    reason = serializers.CharField()
    referred_to = serializers.CharField(source="referred_to.name", allow_null=True, default=None)


class CaseDetailSerializer(CaseSummarySerializer):
    """One case as the presenter lets the viewer see it (a ``CaseView``). ``care_coordinator``
    and ``history`` are absent, not empty, when the viewer may not see them."""

    sharing_groups = CaseOrganisationRefSerializer(many=True)
    care_coordinator = serializers.CharField(required=False)
    people = CasePersonSerializer(many=True)
    signals = serializers.ListField(child=serializers.CharField())
    hits = CaseHitSerializer(many=True)
    redacted = serializers.BooleanField()
    history = CaseStatusChangeSerializer(many=True, required=False)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        view: CaseView = instance
        case = view.case
        data: dict[str, Any] = dict(CaseSummarySerializer(case, context=self.context).data)
        data["sharing_groups"] = [{"id": g.pk, "name": g.name} for g in case.sharing_groups.all()]
        if view.general_full:
            coordinator = case.care_coordinator
            data["care_coordinator"] = str(coordinator) if coordinator else ""
            data["history"] = CaseStatusChangeSerializer(view.history, many=True).data
        data["people"] = [_person(p) for p in view.people]
        data["signals"] = [s.reference for s in view.signals]
        data["hits"] = CaseHitSerializer(view.hits, many=True).data
        data["redacted"] = view.redacted
        return data


def _person(view: PersonView) -> dict[str, Any]:
    return dict(CasePersonSerializer(view).data)


# --- Endpoints -------------------------------------------------------------------------------


class CasePagination(pagination.LimitOffsetPagination):
    max_limit = 500


STATUS_FILTERS = ["open", "all", *CaseStatus.values]


class CaseViewSet(viewsets.GenericViewSet[Case]):
    """Cases under the access policy: lists filter in the query, a case the user may not
    see is 404, and its detail shows only what the presenter allows."""

    parser_classes = [JSONParser]
    pagination_class = CasePagination
    serializer_class = CaseSummarySerializer

    def _user(self) -> User:
        user: User = self.request.user  # type: ignore[assignment]
        return user

    def get_queryset(self) -> QuerySet[Case]:
        return services.visible_cases(self._user())

    def _detail(self, request: Request, case: Case) -> dict[str, Any]:
        view = present_case(self._user(), case)
        audit.record_read(request, "cases.case", [case.pk], purpose=case.purpose)
        for object_type, ids in view.personal_ids.items():
            audit.record_read(request, object_type, ids, purpose=case.purpose)
        return dict(CaseDetailSerializer(view).data)

    @extend_schema(
        summary="Cases the user may see, newest first",
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=STATUS_FILTERS,
                description="open (default): active or follow-up; all; or one status.",
            )
        ],
        responses={200: CaseSummarySerializer(many=True), 400: error("Unknown filter value.")},
    )
    def list(self, request: Request) -> Response:
        cases = self.get_queryset().order_by("-opened_at", "-pk")
        status = request.query_params.get("status", "open")
        if status not in STATUS_FILTERS:
            raise InvalidFields({"status": [_("Unknown status.")]})
        if status == "open":
            cases = cases.filter(status__in=OPEN_STATUSES)
        elif status != "all":
            cases = cases.filter(status=status)
        page = self.paginate_queryset(cases)
        rows = CaseSummarySerializer(page if page is not None else cases, many=True).data
        return self.get_paginated_response(rows) if page is not None else Response(rows)

    @extend_schema(
        summary="One case, as far as the user may see it",
        responses={200: CaseDetailSerializer, 404: error("No such case, or not yours to see.")},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        case = get_visible_or_404(self._user(), case_queryset(), pk=pk)
        return Response(self._detail(request, case))

    @extend_schema(
        summary="Open a case (coordinators; your organisation leads it)",
        request=CaseInputSerializer,
        responses={
            201: CaseDetailSerializer,
            400: error("Bad input; every problem named with its field."),
            403: error("Only coordinators open cases."),
        },
    )
    def create(self, request: Request) -> Response:
        user = self._user()
        if user.organisation is None or not policy.can(
            user, "open", Case(lead_organisation=user.organisation)
        ):
            raise NotAllowed(_("Only coordinators open cases, for their own organisation."))
        body = CaseInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        problems: dict[str, list[Any]] = {}
        region = Region.objects.filter(code=data["region"]).first()
        if region is None:
            problems["region"] = [_("Unknown region.")]
        coordinator = None
        if data["care_coordinator"] is not None:
            colleagues = policy.visible(user, User.objects.filter(pk=data["care_coordinator"]))
            coordinator = colleagues.first()
            if coordinator is None:
                problems["care_coordinator"] = [_("Unknown user in your organisation.")]
        references = list(dict.fromkeys(data["signals"]))
        found = {s.reference: s for s in Signal.objects.filter(reference__in=references)}
        signals = [found[r] for r in references if r in found]
        # A signal the user may not see is as unknown as one that does not exist.
        unknown = [
            r for r in references if r not in found or not policy.can(user, "view", found[r])
        ]
        if not references:
            problems["signals"] = [_("Name at least one signal.")]
        elif unknown:
            problems["signals"] = [_("Unknown signals: %(refs)s.") % {"refs": ", ".join(unknown)}]
        groups = list(SharingGroup.objects.filter(pk__in=data["sharing_groups"]))
        if len(groups) != len(set(data["sharing_groups"])):
            problems["sharing_groups"] = [_("Unknown sharing group.")]
        if problems:
            raise InvalidFields(problems)
        assert region is not None
        case = services.open_case(
            lead_organisation=user.organisation,
            region=region,
            signals=signals,
            care_coordinator=coordinator,
            tlp=data["tlp"],
            purpose=data["purpose"],
            legal_basis=data["legal_basis"],
            sharing_groups=groups,
            actor=user,
            request=request,
        )
        case = case_queryset().get(pk=case.pk)
        url = case_url(case)
        return Response(
            self._detail(request, case),
            status=201,
            headers={"Location": request.build_absolute_uri(url)},
        )
