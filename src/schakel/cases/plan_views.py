"""The plan pages: one plan (as far as the viewer may see it), its objectives, actions,
reviews and status, and the structured requests it sends. Thin adapters over ``plans``,
``referrals`` and ``plan_presenter``; 404 for a plan the user may not see, 403 for one they
may see but not change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from schakel.access import policy
from schakel.access.shortcuts import get_visible_or_404
from schakel.audit import services as audit
from schakel.cases import following, plan_forms, plans, referrals
from schakel.cases.models import Case, Plan, PlanRequest
from schakel.cases.plan_presenter import plan_queryset, present_plan
from schakel.cases.views import put_problems
from schakel.cases.vocabulary import RequestKind
from schakel.errors import InvalidFields, SchakelError
from schakel.partners.models import User


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if user.organisation is None:
        raise Http404
    return user


def get_plan_for_user(request: HttpRequest, pk: int, plan_pk: int, action: str = "view") -> Plan:
    """The plan of case ``pk`` if the user may see it (else 404); for another action, 403 to
    a viewer who may see but not do it."""
    plan = get_visible_or_404(request.user, plan_queryset(), pk=plan_pk, case_id=pk)
    if action != "view" and not policy.can(request.user, action, plan):
        raise PermissionDenied
    return plan


@login_required
def plan_detail(request: HttpRequest, pk: int, plan_pk: int) -> HttpResponse:
    plan = get_plan_for_user(request, pk, plan_pk)
    view = present_plan(request.user, plan)
    audit.record_read(request, "cases.plan", [plan.pk], purpose=plan.case.purpose)
    for object_type, ids in view.personal_ids.items():
        audit.record_read(request, object_type, ids, purpose=plan.case.purpose)
    return render(
        request,
        "cases/plan_detail.html",
        {
            "plan": plan,
            "case": plan.case,
            "view": view,
            "can_see_case": policy.can(request.user, "view", plan.case),
            "status_form": plan_forms.PlanStatusForm(initial={"status": plan.status}),
            # Linkage merged or split the person: what is open about it (``following``).
            "open_merge": following.open_merge_for(plan) if view.general_full else None,
            "open_split": following.open_split_for(plan) if view.general_full else None,
        },
    )


def _plan_form_page(
    request: HttpRequest,
    pk: int,
    plan_pk: int,
    *,
    make_form: Callable[[Plan, Any], Any],
    save: Callable[[Plan, dict[str, Any]], Any],
    title: str,
) -> HttpResponse:
    plan = get_plan_for_user(request, pk, plan_pk, "change")
    form = make_form(plan, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            save(plan, form.cleaned_data)
        except SchakelError as exc:
            put_problems(form, exc)
        else:
            messages.success(request, _("Recorded."))
            return redirect("plan_detail", pk=pk, plan_pk=plan.pk)
    return render(
        request,
        "cases/plan_form.html",
        {"plan": plan, "case": plan.case, "form": form, "title": title},
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_objective(request: HttpRequest, pk: int, plan_pk: int) -> HttpResponse:
    user = _user(request)
    return _plan_form_page(
        request,
        pk,
        plan_pk,
        make_form=lambda plan, data: plan_forms.ObjectiveForm(data),
        save=lambda plan, data: plans.add_objective(
            plan, data["domain"], data["text"], actor=user, request=request
        ),
        title=_("Add an objective"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_action(request: HttpRequest, pk: int, plan_pk: int) -> HttpResponse:
    user = _user(request)
    colleagues = policy.visible(user, User.objects.filter(is_active=True))
    return _plan_form_page(
        request,
        pk,
        plan_pk,
        make_form=lambda plan, data: plan_forms.ActionForm(data, plan=plan, colleagues=colleagues),
        save=lambda plan, data: plans.add_action(
            plan,
            domain=data["domain"],
            description=data["description"],
            owner_organisation=data["owner_organisation"],
            owner_user=data["owner_user"],
            priority=data["priority"],
            due_date=data["due_date"],
            objective=data["objective"],
            actor=user,
            request=request,
        ),
        title=_("Add an action"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_review(request: HttpRequest, pk: int, plan_pk: int) -> HttpResponse:
    user = _user(request)
    return _plan_form_page(
        request,
        pk,
        plan_pk,
        make_form=lambda plan, data: plan_forms.ReviewForm(
            data, initial={"reviewed_on": timezone.localdate()}
        ),
        save=lambda plan, data: plans.record_review(
            plan,
            reviewed_on=data["reviewed_on"],
            summary=data["summary"],
            next_review_on=data["next_review_on"],
            actor=user,
            request=request,
        ),
        title=_("Record a review"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_request(request: HttpRequest, pk: int, plan_pk: int, kind: str) -> HttpResponse:
    user = _user(request)
    if kind == RequestKind.SHELTER_PLACEMENT:
        return _plan_form_page(
            request,
            pk,
            plan_pk,
            make_form=lambda plan, data: plan_forms.ShelterRequestForm(data),
            save=lambda plan, data: referrals.request_shelter_placement(
                plan, recipient=data["recipient"], actor=user, request=request
            ),
            title=_("Request a shelter placement"),
        )
    if kind == RequestKind.COMENSHA_REGISTRATION:
        return _plan_form_page(
            request,
            pk,
            plan_pk,
            make_form=lambda plan, data: plan_forms.ComenshaRequestForm(data),
            save=lambda plan, data: referrals.register_with_comensha(
                plan,
                reporting_organisation=data["reporting_organisation"],
                actor=user,
                request=request,
            ),
            title=_("Register with CoMensha"),
        )
    raise Http404


@login_required
@require_POST
def plan_status(request: HttpRequest, pk: int, plan_pk: int) -> HttpResponse:
    plan = get_plan_for_user(request, pk, plan_pk, "change")
    form = plan_forms.PlanStatusForm(request.POST)
    if form.is_valid():
        try:
            plans.set_plan_status(
                plan, form.cleaned_data["status"], actor=_user(request), request=request
            )
        except InvalidFields as exc:
            for problems in exc.problems.values():
                for problem in problems:
                    messages.error(request, str(problem))
        else:
            messages.success(request, _("The status of the plan was recorded."))
    else:
        # The form is a list on the plan's page: say what was wrong there, not nothing.
        for errors in form.errors.values():
            for error in errors:
                messages.error(
                    request, _("The status was not changed: %(problem)s") % {"problem": error}
                )
    return redirect("plan_detail", pk=pk, plan_pk=plan.pk)


@login_required
@require_http_methods(["GET", "POST"])
def request_detail(request: HttpRequest, request_pk: int) -> HttpResponse:
    """A request as its recipient and the case team see it; the recipient answers it, the
    case team may withdraw it."""
    user = _user(request)
    record = get_visible_or_404(
        user,
        PlanRequest.objects.select_related(
            "plan__case", "recipient", "reporting_organisation", "requested_by"
        ),
        pk=request_pk,
    )
    may_respond = policy.can(user, "respond", record)
    may_withdraw = policy.can(user, "withdraw", record)
    form = plan_forms.RespondForm(
        request.POST or None, may_respond=may_respond, may_withdraw=may_withdraw
    )
    if request.method == "POST":
        if not (may_respond or may_withdraw):
            raise PermissionDenied
        if form.is_valid():
            answer, note = form.cleaned_data["answer"], form.cleaned_data["note"]
            try:
                if answer == "withdraw":
                    referrals.withdraw(record, note=note, actor=user, request=request)
                else:
                    referrals.respond(
                        record, accepted=answer == "accept", note=note, actor=user, request=request
                    )
            except SchakelError as exc:
                put_problems(form, exc)
            else:
                messages.success(request, _("Recorded."))
                return redirect("plan_request_detail", request_pk=record.pk)
    audit.record_read(request, "cases.planrequest", [record.pk], purpose=record.plan.case.purpose)
    case: Case = record.plan.case
    return render(
        request,
        "cases/plan_request.html",
        {
            "record": record,
            "case": case,
            "form": form,
            "may_respond": may_respond,
            "may_withdraw": may_withdraw,
            "can_see_plan": policy.can(user, "view", record.plan),
        },
    )
