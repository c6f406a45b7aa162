"""Pages of the secured line: a case's line (the messages the viewer may see and a form to
write), one message (and a reply), and the consents of the case's people (record, withdraw).
Thin adapters over ``messages``; 404 for whoever is not a party, 403 for a party who may see
but not do this. Every message body shown is audited with the message's purpose."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from schakel.access import policy
from schakel.access.shortcuts import get_visible_or_404
from schakel.audit import services as audit
from schakel.cases import consents, message_forms
from schakel.cases import messages as secured_line
from schakel.cases.models import Case, CaseMessage, Consent
from schakel.cases.views import _legal_bases, put_problems
from schakel.errors import SchakelError
from schakel.partners.models import User


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if user.organisation is None:
        raise Http404
    return user


def _case(pk: int) -> Case:
    case = Case.objects.select_related("care_coordinator", "lead_organisation").filter(pk=pk)
    found = case.first()
    if found is None:
        raise Http404
    return found


def get_message_for_user(request: HttpRequest, pk: int) -> CaseMessage:
    """The message if the user is one of its parties; else 404."""
    return get_visible_or_404(request.user, secured_line.message_queryset(), pk=pk)


def get_consent_for_user(request: HttpRequest, pk: int) -> Consent:
    return get_visible_or_404(request.user, consents.consent_queryset(), pk=pk)


def _open_consents(user: User, case: Case) -> QuerySet[Consent] | None:
    """The consents the user may share under (none withdrawn), or None for a viewer who sees
    no consents at all."""
    seen = consents.consents_of(user, case)
    if not seen.exists():
        return None
    return seen.filter(withdrawal__isnull=True)


def _message_form(request: HttpRequest, user: User, case: Case, *, reply: bool) -> Any:
    assert user.organisation is not None
    return message_forms.MessageForm(
        request.POST or None,
        recipients=secured_line.recipients_for(user, case),
        legal_bases=_legal_bases(user.organisation),
        consents=_open_consents(user, case),
        reply=reply,
    )


def _send(request: HttpRequest, form: Any, send: Any) -> CaseMessage | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        message: CaseMessage = send(
            kind=data["kind"],
            subject=data["subject"],
            body=data["body"],
            purpose=data["purpose"],
            legal_basis=data["legal_basis"],
            consent=data.get("consent"),
            actor=_user(request),
            request=request,
        )
    except SchakelError as exc:
        put_problems(form, exc)
        return None
    flash.success(request, _("The message was sent."))
    return message


@login_required
@require_http_methods(["GET", "POST"])
def case_line(request: HttpRequest, pk: int) -> HttpResponse:
    """The case's secured line: for its parties only (a justice partner or the care side who
    may write on it, or an organisation that sent or received one of its messages)."""
    user = _user(request)
    case = _case(pk)
    may_send = secured_line.may_send(user, case)
    rows = list(secured_line.visible_messages(user, case))
    if not (may_send or rows):
        raise Http404
    form = _message_form(request, user, case, reply=False) if may_send else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied

        def send(**values: Any) -> CaseMessage:
            return secured_line.send_message(
                case, recipients=form.cleaned_data["recipients"], **values
            )

        if _send(request, form, send) is not None:
            return redirect("case_line", pk=case.pk)
    views = [secured_line.present_message(user, message) for message in rows]
    secured_line.audit_shown(request, views)
    return render(
        request,
        "cases/line.html",
        {
            "case": case,
            "views": views,
            "form": form,
            "can_see_case": policy.can(user, "view", case),
            "may_see_consents": consents.may_record_consent(user, case)
            or consents.consents_of(user, case).exists(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def line_message(request: HttpRequest, message_pk: int) -> HttpResponse:
    """One message as its parties see it, with the conversation it answers and a reply."""
    user = _user(request)
    message = get_message_for_user(request, message_pk)
    may_reply = secured_line.may_reply(user, message)
    form = _message_form(request, user, message.case, reply=True) if may_reply else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied

        def send(**values: Any) -> CaseMessage:
            return secured_line.reply(message, **values)

        answer = _send(request, form, send)
        if answer is not None:
            return redirect("case_line_message", message_pk=answer.pk)
    view = secured_line.present_message(user, message)
    replies = [
        secured_line.present_message(user, r)
        for r in secured_line.visible_messages(user, message.case).filter(in_reply_to=message)
    ]
    parent = None
    if message.in_reply_to is not None and policy.can(user, "view", message.in_reply_to):
        parent = message.in_reply_to
    secured_line.audit_shown(request, [view, *replies])
    return render(
        request,
        "cases/line_message.html",
        {
            "case": message.case,
            "view": view,
            "message": message,
            "replies": replies,
            "parent": parent,
            "form": form,
            "reply_to": secured_line.reply_recipients(user, message) if may_reply else [],
            "can_see_case": policy.can(user, "view", message.case),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_consents(request: HttpRequest, pk: int) -> HttpResponse:
    """The consents of the case's people, for the case's lead and care coordinator."""
    user = _user(request)
    case = _case(pk)
    may_record = consents.may_record_consent(user, case)
    records = list(consents.consents_of(user, case))
    if not (may_record or records):
        raise Http404
    form = None
    if may_record:
        form = message_forms.ConsentForm(
            request.POST or None,
            people=case.people.select_related("entity").order_by("pk"),
            organisations=secured_line.justice_organisations(),
        )
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                consents.record_consent(
                    case,
                    person=data["person"],
                    purpose=data["purpose"],
                    scope=data["scope"],
                    organisations=data["organisations"],
                    sectors=data["sectors"],
                    informed=data["informed"],
                    given_on=data["given_on"],
                    actor=user,
                    request=request,
                )
            except SchakelError as exc:
                put_problems(form, exc)
            else:
                flash.success(request, _("The consent was recorded."))
                return redirect("case_consents", pk=case.pk)
    # The page names the people who consented: care details, audited with each one's purpose.
    for consent in records:
        audit.record_read(request, "cases.consent", [consent.pk], purpose=consent.purpose)
    return render(
        request,
        "cases/consents.html",
        {"case": case, "consents": records, "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def consent_withdraw(request: HttpRequest, consent_pk: int) -> HttpResponse:
    """Record that the person withdrew a consent; it takes effect at once."""
    user = _user(request)
    consent = get_consent_for_user(request, consent_pk)
    if not policy.can(user, "withdraw", consent):
        raise PermissionDenied
    form = message_forms.WithdrawConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            consents.withdraw_consent(
                consent, note=form.cleaned_data["note"], actor=user, request=request
            )
        except SchakelError as exc:
            put_problems(form, exc)
        else:
            flash.success(request, _("The withdrawal was recorded; it takes effect at once."))
            return redirect("case_consents", pk=consent.case_id)
    audit.record_read(request, "cases.consent", [consent.pk], purpose=consent.purpose)
    return render(
        request,
        "cases/consent_withdraw.html",
        {
            "case": consent.case,
            "consent": consent,
            "withdrawn": secured_line.is_withdrawn(consent),
            "form": form,
        },
    )
