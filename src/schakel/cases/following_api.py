"""REST endpoints for plans following linkage (version 1): ``/api/v1/plan-merges/{id}/`` — a
proposed plan merge and each carrying case's answer (``answer``) — and
``/api/v1/plan-splits/{id}/`` — the choice of the entity that keeps a plan after a split
(``choose``). Thin adapters over ``following``; whoever may see none of the plans concerned
gets 404, whoever may see but not answer 403."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from schakel.audit import services as audit
from schakel.cases import following
from schakel.cases.models import Plan, PlanMerge, PlanSplitChoice
from schakel.entities.models import Entity
from schakel.entities.services import visible_entities
from schakel.partners.models import User
from schakel.web.api import V1_NAMESPACE, error
from schakel.web.api_input import StrictIntegerField, StrictSerializer, text
from schakel.web.parsers import JSONParser

# --- What a client sends -------------------------------------------------------------------


class MergeAnswerInputSerializer(StrictSerializer):
    agrees = serializers.BooleanField(help_text="true: merge the plans; false: keep them apart.")
    kept_plan = StrictIntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Id of the plan to keep (the first agreement chooses it).",
    )
    reason = text(4000, help_text="Required to keep them apart.")


class SplitChoiceInputSerializer(StrictSerializer):
    entity = StrictIntegerField(help_text="Id of the entity that keeps the plan.")


# --- What a client receives ----------------------------------------------------------------


class MergePlanSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(allow_null=True, help_text="null: a plan not shown to you.")
    reference = serializers.CharField(allow_null=True)
    case_reference = serializers.CharField(allow_null=True)
    lead_organisation = serializers.CharField()
    status = serializers.CharField(allow_null=True)


class MergeAnswerSerializer(serializers.Serializer[Any]):
    case_reference = serializers.CharField()
    agrees = serializers.BooleanField()
    kept_plan = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()
    answered_by = serializers.CharField()
    answered_at = serializers.DateTimeField()


class PlanMergeSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    url = serializers.CharField()
    status = serializers.CharField(help_text=", ".join(PlanMerge.Status.values))
    kept_plan = serializers.IntegerField(allow_null=True)
    proposed_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    plans = MergePlanSerializer(many=True)
    answers = MergeAnswerSerializer(many=True)
    you_answer_for = serializers.CharField(
        allow_null=True, help_text="Reference of the case you may answer for, if any."
    )


class SplitOptionSerializer(serializers.Serializer[Any]):
    entity = serializers.IntegerField()
    caption = serializers.CharField(allow_null=True, help_text="null: not shown to you.")
    original = serializers.BooleanField()


class PlanSplitSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    url = serializers.CharField()
    plan = serializers.IntegerField()
    case_reference = serializers.CharField()
    status = serializers.CharField(help_text=", ".join(PlanSplitChoice.Status.values))
    options = SplitOptionSerializer(many=True)
    chosen = serializers.IntegerField(allow_null=True)
    chosen_at = serializers.DateTimeField(allow_null=True)


def _user(request: Request) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def _merge_data(request: Request, merge: PlanMerge) -> dict[str, Any]:
    user = _user(request)
    seen = following.plans_seen_by(user, merge)
    if not seen:
        raise NotFound
    seen_ids = {p.pk for p in seen}
    case = following.answerable_case(user, merge, seen)
    plans = list(merge.plans.select_related("case__lead_organisation").order_by("pk"))
    following.audit_plans_read(request, seen)
    return {
        "id": merge.pk,
        "url": reverse(f"{V1_NAMESPACE}:plan-merge-detail", kwargs={"pk": merge.pk}),
        "status": merge.status,
        "kept_plan": merge.kept_plan_id if merge.kept_plan_id in seen_ids else None,
        "proposed_at": merge.proposed_at,
        "closed_at": merge.closed_at,
        "plans": [
            {
                "id": p.pk if p.pk in seen_ids else None,
                "reference": p.reference if p.pk in seen_ids else None,
                "case_reference": p.case.reference if p.pk in seen_ids else None,
                "lead_organisation": p.case.lead_organisation.name,
                "status": p.status if p.pk in seen_ids else None,
            }
            for p in plans
        ],
        "answers": [
            {
                "case_reference": a.case.reference,
                "agrees": a.agrees,
                "kept_plan": a.kept_plan_id,
                "reason": a.reason,
                "answered_by": str(a.answered_by),
                "answered_at": a.answered_at,
            }
            for a in merge.answers.select_related("case", "answered_by")
        ],
        "you_answer_for": case.reference if case is not None else None,
    }


def _split_data(request: Request, choice: PlanSplitChoice) -> dict[str, Any]:
    user = _user(request)
    entities = list(choice.options.order_by("pk"))
    shown = set(
        visible_entities(user).filter(pk__in=[e.pk for e in entities]).values_list("pk", flat=True)
    )
    purpose = choice.plan.case.purpose
    audit.record_read(request, "cases.plan", [choice.plan_id], purpose=purpose)
    if shown:
        audit.record_read(request, "entities.entity", sorted(shown), purpose=purpose)
    return {
        "id": choice.pk,
        "url": reverse(f"{V1_NAMESPACE}:plan-split-detail", kwargs={"pk": choice.pk}),
        "plan": choice.plan_id,
        "case_reference": choice.plan.case.reference,
        "status": choice.status,
        "options": [
            {
                "entity": e.pk,
                "caption": e.caption if e.pk in shown else None,
                "original": e.pk == choice.original_id,
            }
            for e in entities
        ],
        "chosen": choice.chosen_id,
        "chosen_at": choice.chosen_at,
    }


class PlanMergeViewSet(viewsets.GenericViewSet[PlanMerge]):
    parser_classes = [JSONParser]
    serializer_class = PlanMergeSerializer
    queryset = PlanMerge.objects.all()

    def _merge(self, pk: str) -> PlanMerge:
        merge = PlanMerge.objects.filter(pk=int(pk)).first() if str(pk).isdigit() else None
        if merge is None:
            raise NotFound
        return merge

    @extend_schema(
        summary="A proposed plan merge",
        responses={200: PlanMergeSerializer, 404: error("No such proposal, or not yours.")},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(_merge_data(request, self._merge(pk)))

    @extend_schema(
        summary="Answer a proposed plan merge for your case",
        request=MergeAnswerInputSerializer,
        responses={
            200: PlanMergeSerializer,
            400: error("Bad input; every problem named with its field."),
            403: error("You may see the proposal but not answer it."),
            404: error("No such proposal, or not yours."),
            409: error("Already decided, or your case already answered."),
        },
    )
    @action(detail=True, methods=["post"])
    def answer(self, request: Request, pk: str) -> Response:
        user = _user(request)
        merge = self._merge(pk)
        seen = following.plans_seen_by(user, merge)
        if not seen:
            raise NotFound
        body = MergeAnswerInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        case = following.answerable_case(user, merge, seen)
        if case is None:
            raise PermissionDenied
        kept = Plan.objects.filter(pk=data["kept_plan"]).first() if data["kept_plan"] else None
        following.answer_merge(
            merge,
            case=case,
            agrees=data["agrees"],
            kept_plan=kept,
            reason=data["reason"],
            actor=user,
            request=request,
        )
        merge.refresh_from_db()
        return Response(_merge_data(request, merge))


class PlanSplitViewSet(viewsets.GenericViewSet[PlanSplitChoice]):
    parser_classes = [JSONParser]
    serializer_class = PlanSplitSerializer
    queryset = PlanSplitChoice.objects.all()

    def _choice(self, pk: str) -> PlanSplitChoice:
        choice = (
            PlanSplitChoice.objects.select_related("plan__case").filter(pk=int(pk)).first()
            if str(pk).isdigit()
            else None
        )
        if choice is None or not following.may_see_choice(_user(self.request), choice):
            raise NotFound
        return choice

    @extend_schema(
        summary="The choice of the entity that keeps a plan after a split",
        responses={200: PlanSplitSerializer, 404: error("No such choice, or not yours.")},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(_split_data(request, self._choice(pk)))

    @extend_schema(
        summary="Choose the entity that keeps the plan",
        request=SplitChoiceInputSerializer,
        responses={
            200: PlanSplitSerializer,
            400: error("Bad input; every problem named with its field."),
            403: error("You may see the plan but not change it."),
            404: error("No such choice, or not yours."),
            409: error("Already chosen."),
        },
    )
    @action(detail=True, methods=["post"])
    def choose(self, request: Request, pk: str) -> Response:
        choice = self._choice(pk)
        body = SplitChoiceInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        following.choose_after_split(
            choice,
            entity=Entity.objects.filter(pk=body.validated_data["entity"]).first(),
            actor=_user(request),
            request=request,
        )
        choice.refresh_from_db()
        return Response(_split_data(request, choice))
