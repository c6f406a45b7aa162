"""The secured line between the police (AVIM among them), the prosecution or the Royal
Marechaussee and the care coordinator of a case: structured, case-bound messages — a request
for information, an intention to report (aangifte), information shared, a consent given or
withdrawn — each with its purpose and legal basis, seen only by the parties.

The parties of a message are the organisation that sent it and the organisations it went to:
a justice partner writes to the organisation of the case's care coordinator; that organisation
writes to one or more justice partners (``vocabulary.JUSTICE_LINE_SECTORS``). The access
matrix (``cases.casemessage``) decides who sees and who sends; a sender must also see the case
(or, for a reply, the message answered). Messages are written once.

Information may be shared under a person's consent (``consents``): only within its purpose,
with the organisations it names, with the consent as legal basis, and never once it is
withdrawn — a recipient then sees only that information was shared and withdrawn. Every message
is audited when it is written; every display of a message's body is audited with the message's
purpose by the page or endpoint that shows it (``audit_shown``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from schakel.access import policy
from schakel.access.matrix import current as current_matrix
from schakel.audit import services as audit
from schakel.cases.models import Case, CaseMessage, Consent
from schakel.cases.vocabulary import (
    CONSENT_LEGAL_BASIS,
    JUSTICE_LINE_SECTORS,
    MESSAGE_PURPOSES,
    WRITTEN_MESSAGE_KINDS,
    MessageKind,
)
from schakel.errors import InvalidFields, NotAllowed
from schakel.notifications.services import notify
from schakel.partners.models import Organisation, User
from schakel.partners.vocabulary import Role

__all__ = [
    "Draft",
    "MessageView",
    "care_party",
    "deliver",
    "is_withdrawn",
    "justice_organisations",
    "locked_consent",
    "may_reply",
    "may_send",
    "may_use_line",
    "message_queryset",
    "present_message",
    "recipients_for",
    "reply",
    "reply_recipients",
    "send_message",
    "visible_messages",
]

#: Who on a recipient organisation hears of a new message (its coordinating and analysing
#: roles; the case's care coordinator always).
NOTIFIED_ROLES = (Role.COORDINATOR, Role.CARE_COORDINATOR, Role.ANALYST)

Problems = dict[str, list[Any]]


# --- Reading ---------------------------------------------------------------------------------


def message_queryset() -> QuerySet[CaseMessage]:
    """Messages with what their pages and the API show of them."""
    return CaseMessage.objects.select_related(
        "case__care_coordinator",
        "sender_organisation",
        "sender",
        "in_reply_to",
        "consent__withdrawal",
    ).prefetch_related(Prefetch("recipients", queryset=Organisation.objects.order_by("name", "pk")))


def visible_messages(user: Any, case: Case) -> QuerySet[CaseMessage]:
    """The case's messages ``user`` may see, oldest first."""
    return policy.visible(user, message_queryset().filter(case=case)).order_by("sent_at", "pk")


def is_withdrawn(consent: Consent) -> bool:
    return hasattr(consent, "withdrawal")


def care_party(case: Case) -> Organisation | None:
    """The care side of the line: the organisation of the case's care coordinator."""
    coordinator = case.care_coordinator
    return coordinator.organisation if coordinator is not None else None


def justice_organisations() -> QuerySet[Organisation]:
    """The organisations on the justice side of the line."""
    return Organisation.objects.filter(is_active=True, sector__in=JUSTICE_LINE_SECTORS).order_by(
        "name", "pk"
    )


def _is_care_side(user: User, case: Case) -> bool:
    party = care_party(case)
    return user.pk == case.care_coordinator_id or (
        party is not None and user.organisation_id == party.pk
    )


def _draft(case: Case, user: User) -> CaseMessage:
    """The message ``user`` would send: the "may I send this?" check of the policy."""
    return CaseMessage(case=case, sender_organisation=user.organisation)


def may_send(user: User, case: Case) -> bool:
    """May ``user`` start a message on the case's line? They see the case, and the matrix lets
    their organisation write on it (a justice partner, or the care coordinator's side)."""
    if user.organisation_id is None or not policy.can(user, "view", case):
        return False
    return policy.can(user, "send", _draft(case, user))


def may_use_line(user: User, case: Case) -> bool:
    """Is ``user`` a party of the case's line: may they write on it, or did their organisation
    send or receive one of its messages?"""
    return may_send(user, case) or visible_messages(user, case).exists()


def may_reply(user: User, message: CaseMessage) -> bool:
    """A party of ``message`` answers it (whether or not they see the case)."""
    if user.organisation_id is None or not policy.can(user, "view", message):
        return False
    return policy.can(user, "send", _draft(message.case, user))


def recipients_for(user: User, case: Case) -> QuerySet[Organisation]:
    """Whom ``user`` may write to on the case's line: the care side writes to the justice
    partners; a justice partner writes to the care coordinator's organisation."""
    if _is_care_side(user, case):
        return justice_organisations().exclude(pk=user.organisation_id or 0)
    party = care_party(case)
    if party is None:
        return Organisation.objects.none()
    return Organisation.objects.filter(pk=party.pk, is_active=True)


@dataclass
class MessageView:
    """One message as one viewer may see it. ``body_shown`` is false for information shared
    under a consent that was since withdrawn, for everyone but its sender's side."""

    message: CaseMessage
    body_shown: bool
    mine: bool
    consent_withdrawn_at: datetime | None = None

    @property
    def recipients(self) -> list[Organisation]:
        return list(self.message.recipients.all())

    @property
    def body(self) -> str:
        return self.message.body if self.body_shown else ""

    @property
    def legal_basis_label(self) -> str:
        return legal_basis_label(self.message.legal_basis)

    @property
    def subject(self) -> str:
        """Hidden with the body: a recipient sees only that information was shared under a
        consent since withdrawn."""
        if self.body_shown:
            return self.message.subject
        return _("Information shared under a consent that was withdrawn")


def legal_basis_label(code: str) -> str:
    """The legal basis's name (the access matrix's ``legal_bases``) in the user's language."""
    names = current_matrix().legal_bases.get(code, {})
    return names.get((get_language() or "nl")[:2], code)


def present_message(user: User, message: CaseMessage) -> MessageView:
    """Call only for messages ``user`` may see (``visible_messages``, ``get_visible_or_404``)."""
    mine = user.organisation_id == message.sender_organisation_id
    consent = message.consent
    withdrawn_at = None
    if consent is not None and is_withdrawn(consent):
        withdrawn_at = consent.withdrawal.withdrawn_at
    body_shown = (
        withdrawn_at is None
        or message.kind != MessageKind.INFORMATION_SHARED
        or mine
        or user.pk == message.case.care_coordinator_id
    )
    return MessageView(message, body_shown, mine, withdrawn_at)


def shown_bodies(views: Iterable[MessageView]) -> dict[str, list[int]]:
    """The messages whose body a page shows, per purpose, for the audit log."""
    shown: dict[str, list[int]] = {}
    for view in views:
        if view.body_shown:
            shown.setdefault(view.message.purpose, []).append(view.message.pk)
    return shown


def audit_shown(request: Any, views: Iterable[MessageView]) -> None:
    """One read per request (the middleware collects them), each body with its purpose."""
    for purpose, ids in shown_bodies(views).items():
        audit.record_read(request, "cases.casemessage", ids, purpose=purpose)


# --- Sending ---------------------------------------------------------------------------------


@dataclass
class Draft:
    """A message about to be sent: what the services check and then write."""

    case: Case
    kind: str
    recipients: list[Organisation]
    subject: str
    body: str
    purpose: str
    legal_basis: str
    consent: Consent | None = None
    in_reply_to: CaseMessage | None = None


def _check_message(draft: Draft, actor: User, allowed_recipients: QuerySet[Organisation]) -> None:
    problems: Problems = {}
    if draft.kind not in WRITTEN_MESSAGE_KINDS:
        problems.setdefault("kind", []).append(_("Choose the kind of message."))
    allowed = set(allowed_recipients.values_list("pk", flat=True))
    if not draft.recipients:
        problems.setdefault("recipients", []).append(_("Choose to whom the message goes."))
    elif any(org.pk not in allowed for org in draft.recipients):
        problems.setdefault("recipients", []).append(
            _("Messages on this line go only to its parties.")
        )
    if not draft.subject.strip():
        problems.setdefault("subject", []).append(_("Give the message a subject."))
    if not draft.body.strip():
        problems.setdefault("body", []).append(_("Write the message."))
    if draft.purpose not in MESSAGE_PURPOSES:
        problems.setdefault("purpose", []).append(_("Choose the purpose."))
    assert actor.organisation is not None
    if draft.legal_basis not in policy.legal_bases_for(actor.organisation.sector):
        problems.setdefault("legal_basis", []).append(
            _("Choose a legal basis your organisation may invoke.")
        )
    if draft.consent is not None:
        _check_consent_use(draft, draft.consent, actor, problems)
    if problems:
        raise InvalidFields(problems)


def _check_consent_use(draft: Draft, consent: Consent, actor: User, problems: Problems) -> None:
    if consent.case_id != draft.case.pk or not policy.can(actor, "view", consent):
        problems.setdefault("consent", []).append(_("Unknown consent."))
        return
    if is_withdrawn(consent):
        problems.setdefault("consent", []).append(
            _("This consent was withdrawn: nothing more is shared under it.")
        )
        return
    if draft.kind != MessageKind.INFORMATION_SHARED:
        problems.setdefault("consent", []).append(
            _("Only information shared is sent under a consent.")
        )
    if draft.purpose != consent.purpose:
        problems.setdefault("purpose", []).append(_("The consent was given for another purpose."))
    if draft.legal_basis != CONSENT_LEGAL_BASIS:
        problems.setdefault("legal_basis", []).append(
            _("What is shared under a consent has the consent as its legal basis.")
        )
    named = {org.pk for org in consent.organisations.all()}
    outside = [
        org for org in draft.recipients if org.pk not in named and org.sector not in consent.sectors
    ]
    if outside:
        problems.setdefault("recipients", []).append(
            _("The consent does not cover sharing with %(organisations)s.")
            % {"organisations": ", ".join(org.name for org in outside)}
        )


def deliver(draft: Draft, actor: User, request: Any) -> CaseMessage:
    """Write the checked ``draft`` as sent by ``actor``: audited, its recipients notified."""
    assert actor.organisation is not None
    message = CaseMessage.objects.create(
        case=draft.case,
        kind=draft.kind,
        sender_organisation=actor.organisation,
        sender=actor,
        subject=draft.subject.strip(),
        body=draft.body.strip(),
        purpose=draft.purpose,
        legal_basis=draft.legal_basis,
        consent=draft.consent,
        in_reply_to=draft.in_reply_to,
    )
    message.recipients.set(draft.recipients)
    audit.record_change(
        request,
        "send",
        "cases.casemessage",
        [message.pk],
        actor=actor,
        purpose=draft.purpose,
        details={
            "case": draft.case.pk,
            "kind": draft.kind,
            "recipients": sorted(org.pk for org in draft.recipients),
            "legal_basis": draft.legal_basis,
            "consent": draft.consent.pk if draft.consent is not None else None,
            "in_reply_to": draft.in_reply_to.pk if draft.in_reply_to is not None else None,
        },
    )
    _notify_recipients(message, draft.recipients)
    return message


def _notify_recipients(message: CaseMessage, recipients: list[Organisation]) -> None:
    """The recipients' coordinators and analysts hear of it, and the care coordinator when
    the message goes to the care side; in-app and by e-mail (through the worker). The e-mail
    names the case, the organisations and the kind only: it leaves our hands."""
    case = message.case
    ids = [org.pk for org in recipients]
    users = list(
        User.objects.filter(
            organisation_id__in=ids, is_active=True, role_set__role__in=NOTIFIED_ROLES
        ).distinct()
    )
    coordinator = case.care_coordinator
    if coordinator is not None and coordinator.organisation_id in ids:
        users.append(coordinator)
    if message.in_reply_to is not None and message.in_reply_to.sender.organisation_id in ids:
        users.append(message.in_reply_to.sender)
    names = {
        "case": case.reference,
        "from": message.sender_organisation.name,
        "kind": message.get_kind_display(),
    }
    with translation.override("nl"):
        title = _("New message on the secured line (case %(case)s)") % names
        text = (
            _(
                "%(from)s sent a message on the secured line of case %(case)s: %(kind)s. "
                "Read it in Schakel."
            )
            % names
        )
    notify(
        users,
        kind="line_message",
        title=title,
        body=text,
        link=reverse("case_line_message", args=[message.pk]),
        source_type="cases.casemessage",
        source_id=str(message.pk),
    )


def locked_consent(consent: Consent | None) -> Consent | None:
    """The consent, read under a row lock, so that a withdrawal at the same moment either
    comes first (and the sharing is refused) or waits for it."""
    if consent is None:
        return None
    return (
        Consent.objects.select_related("case", "withdrawal")
        .prefetch_related("organisations")
        .select_for_update(of=("self",))
        .get(pk=consent.pk)
    )


@transaction.atomic
def send_message(
    case: Case,
    *,
    kind: str,
    recipients: Iterable[Organisation],
    subject: str,
    body: str,
    purpose: str,
    legal_basis: str,
    actor: User,
    consent: Consent | None = None,
    request: Any = None,
) -> CaseMessage:
    """``actor`` writes on the case's line to ``recipients`` (parties of the line)."""
    if not may_send(actor, case):
        raise NotAllowed(
            _("Only the justice partners and the care coordinator write on this line.")
        )
    if care_party(case) is None:
        raise InvalidFields(
            {"recipients": [_("The case has no care coordinator yet: the line has no care side.")]}
        )
    draft = Draft(
        case,
        kind,
        list(recipients),
        subject,
        body,
        purpose,
        legal_basis,
        consent=locked_consent(consent),
    )
    _check_message(draft, actor, recipients_for(actor, case))
    return deliver(draft, actor, request)


def reply_recipients(user: User, message: CaseMessage) -> list[Organisation]:
    """A reply goes to the sender's organisation; the sender's side following up writes to
    the same recipients again."""
    if user.organisation_id == message.sender_organisation_id:
        return list(message.recipients.all())
    return [message.sender_organisation]


@transaction.atomic
def reply(
    message: CaseMessage,
    *,
    kind: str,
    subject: str,
    body: str,
    purpose: str,
    legal_basis: str,
    actor: User,
    consent: Consent | None = None,
    request: Any = None,
) -> CaseMessage:
    """A party answers ``message`` (a reply needs no sight of the case: the message was sent
    to them)."""
    if not may_reply(actor, message):
        raise NotAllowed(_("Only the parties of a message answer it."))
    recipients = reply_recipients(actor, message)
    draft = Draft(
        message.case,
        kind,
        recipients,
        subject,
        body,
        purpose,
        legal_basis,
        consent=locked_consent(consent),
        in_reply_to=message,
    )
    allowed = Organisation.objects.filter(pk__in=[org.pk for org in recipients])
    _check_message(draft, actor, allowed)
    return deliver(draft, actor, request)
