"""Pages where the cases follow linkage: a proposed plan merge (each carrying case answers)
and the choice of the entity that keeps a plan after a split. Thin adapters over
``following``; 404 for whoever may see none of the plans concerned, 403 for whoever may see
but not answer."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from schakel.access import policy
from schakel.audit import services as audit
from schakel.cases import following
from schakel.cases.models import Plan, PlanMerge, PlanSplitChoice
from schakel.cases.views import put_problems
from schakel.entities.models import Entity
from schakel.entities.services import visible_entities
from schakel.errors import SchakelError
from schakel.partners.models import User


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if user.organisation is None:
        raise Http404
    return user


# --- A proposed plan merge -----------------------------------------------------------------


class MergeAnswerForm(forms.Form):
    AGREE, DECLINE = "agree", "decline"
    answer = forms.ChoiceField(
        label=gettext_lazy("Your answer"),
        choices=[
            (AGREE, gettext_lazy("Merge the plans")),
            (DECLINE, gettext_lazy("Keep them apart")),
        ],
        widget=forms.RadioSelect,
    )
    kept_plan = forms.ChoiceField(
        label=gettext_lazy("Plan to keep"), required=False, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason (required to keep them apart)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, kept: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        if kept:
            fields["kept_plan"].choices = kept
        else:
            del fields["kept_plan"]


def visible_merge_or_404(user: User, merge_pk: int) -> tuple[PlanMerge, list[Plan]]:
    merge = PlanMerge.objects.filter(pk=merge_pk).first()
    seen = following.plans_seen_by(user, merge) if merge is not None else []
    if merge is None or not seen:
        raise Http404
    return merge, seen


def split_choice_or_404(user: User, choice_pk: int) -> PlanSplitChoice:
    choice = (
        PlanSplitChoice.objects.select_related("plan__case__lead_organisation", "chosen")
        .filter(pk=choice_pk)
        .first()
    )
    if choice is None or not following.may_see_choice(user, choice):
        raise Http404
    return choice


@login_required
@require_http_methods(["GET", "POST"])
def plan_merge(request: HttpRequest, merge_pk: int) -> HttpResponse:
    user = _user(request)
    merge, seen = visible_merge_or_404(user, merge_pk)
    case = following.answerable_case(user, merge, seen)
    plans = list(merge.plans.select_related("case__lead_organisation").order_by("pk"))
    seen_ids = {p.pk for p in seen}
    first = merge.answers.filter(agrees=True).order_by("answered_at", "pk").first()
    kept = (
        []
        if first is not None
        else [
            (str(p.pk), f"{p.reference} — {p.case.reference}")
            for p in plans
            if p.pk in seen_ids and p.status != "merged"
        ]
    )
    form = MergeAnswerForm(request.POST or None, kept=kept)
    if request.method == "POST":
        if case is None:
            raise PermissionDenied
        if form.is_valid():
            agrees = form.cleaned_data["answer"] == MergeAnswerForm.AGREE
            kept_pk = form.cleaned_data.get("kept_plan")
            try:
                following.answer_merge(
                    merge,
                    case=case,
                    agrees=agrees,
                    kept_plan=Plan.objects.get(pk=kept_pk) if agrees and kept_pk else None,
                    reason=form.cleaned_data["reason"],
                    actor=user,
                    request=request,
                )
            except SchakelError as exc:
                put_problems(form, exc)
            else:
                messages.success(request, _("Recorded."))
                return redirect("plan_merge", merge_pk=merge.pk)
    following.audit_plans_read(request, seen)
    return render(
        request,
        "cases/plan_merge.html",
        {
            "merge": merge,
            "rows": [(p, p.pk in seen_ids) for p in plans],
            "answers": list(merge.answers.select_related("case", "answered_by", "kept_plan")),
            "first": first,
            "case": case,
            "form": form,
        },
    )


# --- The choice after a split --------------------------------------------------------------


class SplitChoiceForm(forms.Form):
    entity = forms.ChoiceField(label=gettext_lazy("The person this plan is for"))

    def __init__(self, *args: Any, options: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["entity"].choices = options
        fields["entity"].widget = forms.RadioSelect(choices=options)


def _option_label(entity: Entity, shown: set[int]) -> str:
    if entity.pk in shown:
        return f"{entity.caption or entity.schema} (#{entity.pk})"
    return _("A person not shown to you (#%(id)d)") % {"id": entity.pk}


@login_required
@require_http_methods(["GET", "POST"])
def plan_split(request: HttpRequest, choice_pk: int) -> HttpResponse:
    user = _user(request)
    choice = split_choice_or_404(user, choice_pk)
    plan = choice.plan
    may_choose = choice.status == PlanSplitChoice.Status.OPEN and policy.can(user, "change", plan)
    entities = list(choice.options.order_by("pk"))
    shown = set(
        visible_entities(user).filter(pk__in=[e.pk for e in entities]).values_list("pk", flat=True)
    )
    options = [(str(e.pk), _option_label(e, shown)) for e in entities]
    form = SplitChoiceForm(request.POST or None, options=options)
    if request.method == "POST":
        if not may_choose:
            raise PermissionDenied
        if form.is_valid():
            try:
                following.choose_after_split(
                    choice,
                    entity=Entity.objects.filter(pk=form.cleaned_data["entity"]).first(),
                    actor=user,
                    request=request,
                )
            except SchakelError as exc:
                put_problems(form, exc)
            else:
                messages.success(request, _("Recorded."))
                return redirect("plan_detail", pk=plan.case_id, plan_pk=plan.pk)
    audit.record_read(request, "cases.plan", [plan.pk], purpose=plan.case.purpose)
    if shown:
        audit.record_read(request, "entities.entity", sorted(shown), purpose=plan.case.purpose)
    return render(
        request,
        "cases/plan_split.html",
        {
            "choice": choice,
            "plan": plan,
            "case": plan.case,
            "options": [(e, _option_label(e, shown), e.pk in shown) for e in entities],
            "may_choose": may_choose,
            "form": form,
        },
    )
