"""The Dublin transfer hold's page: the hold as the case team, the liaison organisation and the
partners at the table may see it, and the form by which the case lead and the liaison
organisation each record their agreement to lift it. A thin adapter over ``holds``; 404 for
whoever may not see the hold, 403 for whoever may see it but not decide on it."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from schakel.access import policy
from schakel.access.shortcuts import get_visible_or_404
from schakel.audit import services as audit
from schakel.cases import holds
from schakel.cases.models import TransferHold
from schakel.cases.views import put_problems
from schakel.errors import SchakelError
from schakel.partners.models import User


class LiftForm(forms.Form):
    rationale = forms.CharField(
        label=gettext_lazy("Rationale of the decision to lift the hold"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def hold_queryset() -> QuerySet[TransferHold]:
    return TransferHold.objects.select_related(
        "case__lead_organisation", "person__entity", "liaison_organisation", "task"
    ).prefetch_related("agreements__organisation", "agreements__agreed_by")


@login_required
@require_http_methods(["GET", "POST"])
def hold_detail(request: HttpRequest, hold_pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    hold = get_visible_or_404(user, hold_queryset(), pk=hold_pk)
    full = policy.decide(user, "view", hold).is_full("care")
    may_lift = hold.is_active and policy.can(user, "lift", hold)
    form = LiftForm(request.POST or None)
    if request.method == "POST":
        if not may_lift:
            raise PermissionDenied
        if form.is_valid():
            try:
                holds.agree_to_lift(
                    hold, rationale=form.cleaned_data["rationale"], actor=user, request=request
                )
            except SchakelError as exc:
                put_problems(form, exc)
            else:
                messages.success(request, _("Recorded."))
                return redirect("case_transfer_hold", hold_pk=hold.pk)
    audit.record_read(request, "cases.transferhold", [hold.pk], purpose=hold.case.purpose)
    if full:
        audit.record_read(request, "cases.caseperson", [hold.person_id], purpose=hold.case.purpose)
    return render(
        request,
        "cases/hold_detail.html",
        {
            "hold": hold,
            "case": hold.case,
            "full": full,
            "form": form,
            "may_lift": may_lift,
            "can_see_case": policy.can(user, "view", hold.case),
        },
    )
