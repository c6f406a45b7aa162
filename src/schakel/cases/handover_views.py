"""Handover pages: asking another organisation to take a case over, and one handover as the
requesting and the receiving organisation see it (the receiving side answers there, the
requesting side may withdraw). Thin adapters over ``handovers``; 404 for whoever may not see
the case or the handover, 403 for whoever may see it but not do this."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from schakel.access import policy
from schakel.access.shortcuts import get_visible_or_404
from schakel.audit import services as audit
from schakel.cases import forms, handovers
from schakel.cases.models import Handover
from schakel.cases.views import get_case_for_user, put_problems
from schakel.errors import SchakelError
from schakel.partners.models import User


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if user.organisation is None:
        raise Http404
    return user


def get_handover_for_user(request: HttpRequest, pk: int) -> Handover:
    """The handover if the user may see it; else 404."""
    return get_visible_or_404(request.user, handovers.handover_queryset(), pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def handover_request(request: HttpRequest, pk: int) -> HttpResponse:
    """A coordinator of the lead organisation asks another organisation to take over."""
    user = _user(request)
    case = get_case_for_user(request, pk, "hand_over")
    form = forms.HandoverRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            handover = handovers.request_handover(
                case,
                to_organisation=data["to_organisation"],
                to_region=data["to_region"],
                reason=data["reason"],
                actor=user,
                request=request,
            )
        except SchakelError as exc:
            put_problems(form, exc)
        else:
            messages.success(request, _("The handover was requested."))
            return redirect("case_handover", handover_pk=handover.pk)
    return render(
        request,
        "cases/handover_form.html",
        {"case": case, "form": form, "open_handover": handovers.open_handover(case)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def handover_detail(request: HttpRequest, handover_pk: int) -> HttpResponse:
    user = _user(request)
    handover = get_handover_for_user(request, handover_pk)
    may_respond = handover.is_open and policy.can(user, "respond", handover)
    may_withdraw = handover.is_open and policy.can(user, "withdraw", handover)
    form = forms.HandoverAnswerForm(
        request.POST or None,
        may_respond=may_respond,
        may_withdraw=may_withdraw,
        coordinators=handovers.coordinators_of(handover.to_organisation),
    )
    if request.method == "POST":
        if not (may_respond or may_withdraw):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            answer, note = data["answer"], data["note"]
            try:
                if answer == "accept":
                    handovers.accept(
                        handover,
                        note=note,
                        care_coordinator=data.get("care_coordinator"),
                        actor=user,
                        request=request,
                    )
                elif answer == "decline":
                    handovers.decline(handover, note=note, actor=user, request=request)
                else:
                    handovers.withdraw(handover, note=note, actor=user, request=request)
            except SchakelError as exc:
                put_problems(form, exc)
            else:
                messages.success(request, _("Recorded."))
                return redirect("case_handover", handover_pk=handover.pk)
    audit.record_read(request, "cases.handover", [handover.pk], purpose=handover.case.purpose)
    return render(
        request,
        "cases/handover_detail.html",
        {
            "handover": handover,
            "case": handover.case,
            "answer": getattr(handover, "answer", None),
            "form": form,
            "may_answer": may_respond or may_withdraw,
            "can_see_case": policy.can(user, "view", handover.case),
        },
    )
