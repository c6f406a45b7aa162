"""REST endpoints for the one plan (version 1): ``/api/v1/cases/{case}/plans/`` and its
objectives, actions, reviews, status and requests; ``/api/v1/plan-requests/{id}/`` for the
recipient of a request.

Thin adapters over ``plans``, ``referrals`` and ``plan_presenter``: a plan's detail is built
from what the presenter lets the viewer see, so hidden details never reach a serializer.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from schakel.access import policy
from schakel.access.shortcuts import get_visible_or_404
from schakel.audit import services as audit
from schakel.cases import plans, referrals, rules
from schakel.cases.models import Case, Plan, PlanObjective, PlanRequest
from schakel.cases.plan_presenter import PlanView, plan_queryset, present_plan
from schakel.cases.vocabulary import PlanStatus, RequestKind
from schakel.errors import InvalidFields, NotAllowed
from schakel.partners.models import Organisation, User
from schakel.tasks.models import Priority
from schakel.web.api import error
from schakel.web.api_input import StrictIntegerField, StrictSerializer, text
from schakel.web.parsers import JSONParser

# --- What a client sends -------------------------------------------------------------------


class ObjectiveInputSerializer(StrictSerializer):
    domain = text(32, help_text="A domain code of plan_domains.yaml, e.g. shelter.")
    text = text(4000)


class ActionInputSerializer(StrictSerializer):
    domain = text(32, help_text="A domain code of plan_domains.yaml, e.g. shelter.")
    description = text(4000)
    owner_organisation = StrictIntegerField(help_text="Id of an organisation.")
    owner_user = StrictIntegerField(
        required=False, allow_null=True, default=None, help_text="Id of a colleague of yours."
    )
    priority = text(16, default=Priority.NORMAL, help_text=", ".join(Priority.values))
    due_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Empty: by priority."
    )
    objective = StrictIntegerField(required=False, allow_null=True, default=None)


class ReviewInputSerializer(StrictSerializer):
    reviewed_on = serializers.DateField()
    summary = text(4000)
    next_review_on = serializers.DateField(required=False, allow_null=True, default=None)


class StatusInputSerializer(StrictSerializer):
    status = text(16, help_text=", ".join(PlanStatus.values))


class RequestInputSerializer(StrictSerializer):
    kind = text(32, help_text=", ".join(RequestKind.values))
    recipient = StrictIntegerField(
        required=False, allow_null=True, default=None, help_text="Shelter placement: the shelter."
    )
    reporting_organisation = StrictIntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="CoMensha registration: the partner obliged to report.",
    )


class AnswerInputSerializer(StrictSerializer):
    answer = text(16, help_text="accept, decline (recipient) or withdraw (case team)")
    note = text(2000)


# --- What a client receives ----------------------------------------------------------------


class PlanRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class PlanActionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    domain = serializers.CharField()
    htcds_type = serializers.CharField(help_text="HTCDS v2.0 spl_Type of the domain")
    task = serializers.IntegerField()
    owner_organisation = PlanRefSerializer()
    due_date = serializers.DateField(allow_null=True)
    priority = serializers.CharField()
    status = serializers.CharField()
    overdue = serializers.BooleanField()
    description = serializers.CharField(required=False, help_text="Absent when not yours to see.")
    result = serializers.CharField(required=False, help_text="Absent when not yours to see.")


class PlanObjectiveSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    domain = serializers.CharField()
    htcds_type = serializers.CharField()
    text = serializers.CharField()


class PlanReviewSerializer(serializers.Serializer[Any]):
    reviewed_on = serializers.DateField()
    next_review_on = serializers.DateField()
    summary = serializers.CharField(required=False)


class PlanRequestSummarySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    recipient = PlanRefSerializer()
    status = serializers.CharField()
    requested_at = serializers.DateTimeField()


class PlanRequestSerializer(PlanRequestSummarySerializer):
    case = serializers.CharField()
    reporting_organisation = PlanRefSerializer(allow_null=True)
    content = serializers.DictField(help_text="Generated from the case's records.")
    response_note = serializers.CharField()


class PlanBlockerSerializer(serializers.Serializer[Any]):
    field = serializers.CharField()
    message = serializers.CharField()


class PlanSummarySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    case = serializers.CharField()
    status = serializers.CharField(help_text=", ".join(PlanStatus.values))


class PlanDetailSerializer(PlanSummarySerializer):
    """A plan as the presenter lets the viewer see it. Absent, not empty, what the viewer may
    not see: ``person`` (care), the rest when general details are hidden."""

    redacted = serializers.BooleanField()
    person = serializers.CharField(required=False)
    minor = serializers.BooleanField(required=False)
    next_review_on = serializers.DateField(required=False, allow_null=True)
    objectives = PlanObjectiveSerializer(many=True, required=False)
    hidden_objectives = serializers.IntegerField(required=False)
    actions = PlanActionSerializer(many=True, required=False)
    reviews = PlanReviewSerializer(many=True, required=False)
    requests = PlanRequestSummarySerializer(many=True, required=False)
    blockers = PlanBlockerSerializer(many=True, required=False)


def _ref(org: Organisation | None) -> dict[str, Any] | None:
    return {"id": org.pk, "name": org.name} if org else None


def _summary(plan: Plan) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "reference": plan.reference,
        "case": plan.case.reference,
        "status": plan.status,
    }


def _plan_data(view: PlanView) -> dict[str, Any]:
    plan = view.plan
    data = _summary(plan)
    data["redacted"] = not (view.general_full and view.care_full and view.full("justice"))
    if not view.general_full:
        return data
    domains = rules.domains()
    if view.person_name:
        data["person"] = view.person_name
    data["minor"] = view.minor
    data["next_review_on"] = plan.next_review_on
    data["objectives"] = [
        {
            "id": o.pk,
            "domain": o.domain,
            "htcds_type": domains.get(o.domain).htcds,
            "text": o.text,
        }
        for o in view.objectives
    ]
    data["hidden_objectives"] = view.hidden_objectives
    actions = []
    for item in view.actions:
        task = item.task
        row: dict[str, Any] = {
            "id": item.action.pk,
            "domain": item.action.domain,
            "htcds_type": domains.get(item.action.domain).htcds,
            "task": task.pk,
            "owner_organisation": _ref(task.owner_organisation),
            "due_date": task.due_date,
            "priority": task.priority,
            "status": task.status,
            "overdue": item.is_overdue,
        }
        if item.shown:
            row["description"] = item.action.description
            row["result"] = task.result
        actions.append(row)
    data["actions"] = actions
    data["reviews"] = [
        {
            "reviewed_on": r.reviewed_on,
            "next_review_on": r.next_review_on,
            **({"summary": r.summary} if view.care_full else {}),
        }
        for r in view.reviews
    ]
    data["requests"] = [_request_summary(r.request) for r in view.requests]
    if view.can_change:
        data["blockers"] = [{"field": b.field, "message": b.message} for b in view.blockers]
    return dict(PlanDetailSerializer(data).data)


def _request_summary(record: PlanRequest) -> dict[str, Any]:
    return {
        "id": record.pk,
        "kind": record.kind,
        "recipient": _ref(record.recipient),
        "status": record.status,
        "requested_at": record.requested_at,
    }


def _request_data(record: PlanRequest) -> dict[str, Any]:
    return dict(
        PlanRequestSerializer(
            {
                **_request_summary(record),
                "case": record.plan.case.reference,
                "reporting_organisation": _ref(record.reporting_organisation),
                "content": record.content,
                "response_note": record.response_note,
            }
        ).data
    )


# --- Endpoints -------------------------------------------------------------------------------

NO_PLAN = "No such plan (or case), or not yours to see."


@extend_schema(parameters=[OpenApiParameter("case_pk", int, OpenApiParameter.PATH)])
class PlanViewSet(viewsets.GenericViewSet[Plan]):
    """The plans a case carries, as far as the user may see them; 404 for a plan (or case)
    the user may not see, 403 for a change they may not make."""

    parser_classes = [JSONParser]
    serializer_class = PlanSummarySerializer
    pagination_class = None

    def _user(self) -> User:
        user: User = self.request.user  # type: ignore[assignment]
        return user

    def get_queryset(self) -> QuerySet[Plan]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI document's dry run
            return Plan.objects.none()
        return policy.visible(
            self._user(), plan_queryset().filter(case_id=self.kwargs["case_pk"])
        ).order_by("pk")

    def _plan(self, pk: str, action_name: str = "view") -> Plan:
        plan = get_visible_or_404(
            self._user(), plan_queryset(), pk=pk, case_id=self.kwargs["case_pk"]
        )
        if action_name != "view" and not policy.can(self._user(), action_name, plan):
            raise NotAllowed(
                _("Only the lead organisation and the care coordinator change the plan.")
            )
        return plan

    def _detail(self, request: Request, plan: Plan, status: int = 200) -> Response:
        plan = plan_queryset().get(pk=plan.pk)
        view = present_plan(self._user(), plan)
        audit.record_read(request, "cases.plan", [plan.pk], purpose=plan.case.purpose)
        for object_type, ids in view.personal_ids.items():
            audit.record_read(request, object_type, ids, purpose=plan.case.purpose)
        return Response(_plan_data(view), status=status)

    @extend_schema(
        summary="The plans of a case that the user may see",
        responses={
            200: PlanSummarySerializer(many=True),
            404: error("No such case, or not yours to see."),
        },
    )
    def list(self, request: Request, case_pk: str) -> Response:
        # A case the user may not see does not exist for them, not even as an empty list.
        get_visible_or_404(self._user(), Case.objects.all(), pk=case_pk)
        return Response([_summary(p) for p in self.get_queryset()])

    @extend_schema(
        summary="One plan, as far as the user may see it",
        responses={200: PlanDetailSerializer, 404: error(NO_PLAN)},
    )
    def retrieve(self, request: Request, case_pk: str, pk: str) -> Response:
        return self._detail(request, self._plan(pk))

    @extend_schema(
        summary="Add an objective",
        request=ObjectiveInputSerializer,
        responses={
            201: PlanDetailSerializer,
            400: error("Bad input."),
            403: error("Not yours."),
            404: error(NO_PLAN),
        },
    )
    @action(detail=True, methods=["post"])
    def objectives(self, request: Request, case_pk: str, pk: str) -> Response:
        plan = self._plan(pk, "change")
        body = ObjectiveInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        plans.add_objective(plan, data["domain"], data["text"], actor=self._user(), request=request)
        return self._detail(request, plan, 201)

    @extend_schema(
        summary="Add an action: a task on the owner organisation's task list",
        request=ActionInputSerializer,
        responses={
            201: PlanDetailSerializer,
            400: error("Bad input."),
            403: error("Not yours."),
            404: error(NO_PLAN),
        },
    )
    @action(detail=True, methods=["post"])
    def actions(self, request: Request, case_pk: str, pk: str) -> Response:
        plan = self._plan(pk, "change")
        body = ActionInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        user = self._user()
        problems: dict[str, list[Any]] = {}
        owner = Organisation.objects.filter(pk=data["owner_organisation"], is_active=True).first()
        if owner is None:
            problems["owner_organisation"] = [_("Unknown organisation.")]
        owner_user = None
        if data["owner_user"] is not None:
            owner_user = policy.visible(user, User.objects.filter(pk=data["owner_user"])).first()
            if owner_user is None:
                problems["owner_user"] = [_("Unknown user in your organisation.")]
        objective = None
        if data["objective"] is not None:
            objective = PlanObjective.objects.filter(pk=data["objective"], plan=plan).first()
            if objective is None:
                problems["objective"] = [_("Choose an objective of this plan.")]
        if problems:
            raise InvalidFields(problems)
        plans.add_action(
            plan,
            domain=data["domain"],
            description=data["description"],
            owner_organisation=owner,
            owner_user=owner_user,
            priority=data["priority"],
            due_date=data["due_date"],
            objective=objective,
            actor=user,
            request=request,
        )
        return self._detail(request, plan, 201)

    @extend_schema(
        summary="Record a periodic review",
        request=ReviewInputSerializer,
        responses={
            201: PlanDetailSerializer,
            400: error("Bad input."),
            403: error("Not yours."),
            404: error(NO_PLAN),
        },
    )
    @action(detail=True, methods=["post"])
    def reviews(self, request: Request, case_pk: str, pk: str) -> Response:
        plan = self._plan(pk, "change")
        body = ReviewInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        plans.record_review(
            plan,
            reviewed_on=data["reviewed_on"],
            summary=data["summary"],
            next_review_on=data["next_review_on"],
            actor=self._user(),
            request=request,
        )
        return self._detail(request, plan, 201)

    @extend_schema(
        summary="Set the plan's status (draft, active, closed)",
        request=StatusInputSerializer,
        responses={
            200: PlanDetailSerializer,
            400: error("Not possible now; a blocking condition is named as the field."),
            403: error("Not yours."),
            404: error(NO_PLAN),
        },
    )
    @action(detail=True, methods=["post"])
    def status(self, request: Request, case_pk: str, pk: str) -> Response:
        plan = self._plan(pk, "change")
        body = StatusInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        plans.set_plan_status(
            plan, body.validated_data["status"], actor=self._user(), request=request
        )
        return self._detail(request, plan)

    @extend_schema(
        summary="Send a structured request generated from the case (shelter, CoMensha)",
        request=RequestInputSerializer,
        responses={
            201: PlanRequestSerializer,
            400: error("Bad input."),
            403: error("Not yours."),
            404: error(NO_PLAN),
            409: error("A request of this kind is already open."),
        },
    )
    @action(detail=True, methods=["post"])
    def requests(self, request: Request, case_pk: str, pk: str) -> Response:
        plan = self._plan(pk, "change")
        body = RequestInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        user = self._user()

        def organisation(pk: int | None) -> Organisation | None:
            return Organisation.objects.filter(pk=pk).first() if pk is not None else None

        if data["kind"] == RequestKind.SHELTER_PLACEMENT:
            record = referrals.request_shelter_placement(
                plan, recipient=organisation(data["recipient"]), actor=user, request=request
            )
        elif data["kind"] == RequestKind.COMENSHA_REGISTRATION:
            record = referrals.register_with_comensha(
                plan,
                reporting_organisation=organisation(data["reporting_organisation"]),
                actor=user,
                request=request,
            )
        else:
            raise InvalidFields({"kind": [_("Choose a kind of request.")]})
        return Response(_request_data(record), status=201)


class PlanRequestViewSet(viewsets.GenericViewSet[PlanRequest]):
    """A request as its recipient and the case team see it; the recipient answers."""

    parser_classes = [JSONParser]
    serializer_class = PlanRequestSerializer

    def _user(self) -> User:
        user: User = self.request.user  # type: ignore[assignment]
        return user

    def get_queryset(self) -> QuerySet[PlanRequest]:
        return policy.visible(
            self._user(),
            PlanRequest.objects.select_related(
                "plan__case", "recipient", "reporting_organisation"
            ).order_by("-requested_at", "-pk"),
        )

    @extend_schema(
        summary="Requests sent to or by the user's organisation",
        responses={200: PlanRequestSummarySerializer(many=True)},
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        rows = [_request_summary(r) for r in (page if page is not None else self.get_queryset())]
        return self.get_paginated_response(rows) if page is not None else Response(rows)

    @extend_schema(
        summary="One request",
        responses={200: PlanRequestSerializer, 404: error("No such request, or not yours.")},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        record = get_visible_or_404(self._user(), self.get_queryset(), pk=pk)
        audit.record_read(
            request, "cases.planrequest", [record.pk], purpose=record.plan.case.purpose
        )
        return Response(_request_data(record))

    @extend_schema(
        summary="Answer a request (recipient: accept or decline) or withdraw it (case team)",
        request=AnswerInputSerializer,
        responses={
            200: PlanRequestSerializer,
            400: error("Bad input."),
            403: error("Not yours to answer."),
            404: error("No such request, or not yours."),
            409: error("Already answered."),
        },
    )
    @action(detail=True, methods=["post"])
    def answer(self, request: Request, pk: str) -> Response:
        record = get_visible_or_404(self._user(), self.get_queryset(), pk=pk)
        body = AnswerInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        answer, note = body.validated_data["answer"], body.validated_data["note"]
        user = self._user()
        if answer == "withdraw":
            record = referrals.withdraw(record, note=note, actor=user, request=request)
        elif answer in ("accept", "decline"):
            record = referrals.respond(
                record, accepted=answer == "accept", note=note, actor=user, request=request
            )
        else:
            raise InvalidFields({"answer": [_("Answer accept, decline or withdraw.")]})
        return Response(_request_data(record))
