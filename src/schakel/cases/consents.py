"""A person's consent to share information about them on the secured line (``messages``):
for which purpose, what and with whom (justice partners, by name or by sector), given when,
recorded by whom — our own record, mapped to HTCDS v2.0 ``con_Consent``
(``vocabulary.htcds_consent``).

The case's lead organisation and its care coordinator record consents and their withdrawal
(``cases.consent`` in the access matrix). A withdrawal takes effect at once: what was shared
under the consent is no longer shown to its recipients (``messages.present_message``), nothing
more is shared under it (``messages`` refuses it, naming the field), and the organisations that
received information under it are told on the line.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from schakel.access import policy
from schakel.audit import services as audit
from schakel.cases.messages import (
    Draft,
    Problems,
    deliver,
    is_withdrawn,
    justice_organisations,
    locked_consent,
    may_send,
)
from schakel.cases.models import Case, CasePerson, Consent, ConsentWithdrawal
from schakel.cases.vocabulary import (
    CONSENT_LEGAL_BASIS,
    JUSTICE_LINE_SECTORS,
    MESSAGE_PURPOSES,
    MessageKind,
)
from schakel.errors import InvalidFields, NotAllowed
from schakel.partners.models import Organisation, User

__all__ = [
    "consent_queryset",
    "consents_of",
    "is_withdrawn",
    "may_record_consent",
    "record_consent",
    "withdraw_consent",
]


def consent_queryset() -> QuerySet[Consent]:
    return Consent.objects.select_related(
        "case", "person__entity", "recorded_by", "recorded_organisation", "withdrawal__withdrawn_by"
    ).prefetch_related("organisations")


def consents_of(user: Any, case: Case) -> QuerySet[Consent]:
    """The case's consents ``user`` may see, oldest first."""
    return policy.visible(user, consent_queryset().filter(case=case)).order_by("recorded_at", "pk")


def may_record_consent(user: User, case: Case) -> bool:
    return policy.can(user, "record", Consent(case=case))


def _audit_consent(
    request: Any, action: str, consent: Consent, actor: User, **details: Any
) -> None:
    audit.record_change(
        request,
        action,
        "cases.consent",
        [consent.pk],
        actor=actor,
        purpose=consent.purpose,
        details={"case": consent.case_id, "person": consent.person_id, **details},
    )


@transaction.atomic
def record_consent(
    case: Case,
    *,
    person: CasePerson | None,
    purpose: str,
    scope: str,
    organisations: Iterable[Organisation] = (),
    sectors: Iterable[str] = (),
    informed: bool,
    given_on: date | None,
    actor: User,
    request: Any = None,
) -> Consent:
    """Record that ``person`` consented to sharing ``scope`` for ``purpose`` with these
    organisations or sectors of the justice side. The organisations named hear of it on the
    line (a *consent given* message), when the recording side writes on it."""
    if not may_record_consent(actor, case):
        raise NotAllowed(_("Only the case's lead and care coordinator record consent."))
    named = list(organisations)
    chosen_sectors = sorted(set(sectors))
    problems: Problems = {}
    if person is None or person.case_id != case.pk:
        problems.setdefault("person", []).append(_("Choose the person who gave consent."))
    if purpose not in MESSAGE_PURPOSES:
        problems.setdefault("purpose", []).append(_("Choose the purpose."))
    if not scope.strip():
        problems.setdefault("scope", []).append(_("Say what may be shared."))
    justice = set(justice_organisations().values_list("pk", flat=True))
    if not named and not chosen_sectors:
        problems.setdefault("organisations", []).append(_("Say with whom it may be shared."))
    elif any(org.pk not in justice for org in named):
        problems.setdefault("organisations", []).append(
            _("Consent on this line covers the justice partners only.")
        )
    if any(sector not in JUSTICE_LINE_SECTORS for sector in chosen_sectors):
        problems.setdefault("sectors", []).append(
            _("Consent on this line covers the justice partners only.")
        )
    if not informed:
        problems.setdefault("informed", []).append(
            _("Consent counts only when the person was told what it means and how to withdraw it.")
        )
    if given_on is None:
        problems.setdefault("given_on", []).append(_("Give the date of the consent."))
    if problems:
        raise InvalidFields(problems)
    assert person is not None and given_on is not None and actor.organisation is not None
    consent = Consent.objects.create(
        case=case,
        person=person,
        purpose=purpose,
        scope=scope.strip(),
        sectors=chosen_sectors,
        informed=informed,
        given_on=given_on,
        recorded_by=actor,
        recorded_organisation=actor.organisation,
    )
    consent.organisations.set(named)
    _audit_consent(request, "record", consent, actor)
    if named and may_send(actor, case):
        given = Draft(
            case,
            MessageKind.CONSENT_GIVEN,
            named,
            _("Consent %(reference)s given") % {"reference": consent.reference},
            consent.scope,
            consent.purpose,
            CONSENT_LEGAL_BASIS,
            consent=consent,
        )
        deliver(given, actor, request)
    return consent


@transaction.atomic
def withdraw_consent(
    consent: Consent, *, note: str = "", actor: User, request: Any = None
) -> ConsentWithdrawal:
    """The person withdrew their consent. At once: what was shared under it is no longer
    shown to its recipients and nothing more is shared under it; the organisations that
    received information under it, and those it named, are told on the line."""
    if not policy.can(actor, "withdraw", consent):
        raise NotAllowed(_("Only the case's lead and care coordinator record a withdrawal."))
    locked = locked_consent(consent)
    assert locked is not None
    if is_withdrawn(locked):
        raise InvalidFields({"consent": [_("This consent was already withdrawn.")]})
    withdrawal = ConsentWithdrawal.objects.create(
        consent=locked, note=note.strip(), withdrawn_by=actor
    )
    _audit_consent(request, "withdraw", locked, actor)
    received = Organisation.objects.filter(received_case_messages__consent=locked)
    told = {org.pk: org for org in [*received, *locked.organisations.all()]}
    told.pop(actor.organisation_id or 0, None)
    if told and may_send(actor, locked.case):
        notice = Draft(
            locked.case,
            MessageKind.CONSENT_WITHDRAWN,
            list(told.values()),
            _("Consent %(reference)s withdrawn") % {"reference": locked.reference},
            _(
                "The person withdrew this consent. What was shared under it is no longer "
                "shown, and nothing more is shared under it."
            ),
            locked.purpose,
            CONSENT_LEGAL_BASIS,
            consent=locked,
        )
        deliver(notice, actor, request)
    return withdrawal
