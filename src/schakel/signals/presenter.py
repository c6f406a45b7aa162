"""What one viewer may see of one signal, decided by the policy per field category.

Hidden personal data never reaches a template or a serializer: the presenter leaves it out
and puts a *hit* in its place — that something is there, and whom to contact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from schakel.access import policy
from schakel.access.matrix import Level
from schakel.signals.access import category_of_role
from schakel.signals.models import BandDecision, Signal


@dataclass(frozen=True)
class Hit:
    """In place of hidden data: what kind of thing is there and whom to ask."""

    what: str  # e.g. "person:possible_victim", "identifiers", "description"
    contact_organisation: str
    contact_email: str


@dataclass(frozen=True)
class OverruleView:
    """A person's decision on the band, as one viewer may see it. The band is for everyone
    who sees the signal; the reason is free text that may name people, and who decided is a
    person: both only for viewers who see the general details in full, as the description
    (``None`` otherwise)."""

    band: str  # the band's label
    reason: str | None = None
    decided_by: Any = None


@dataclass
class SignalView:
    signal: Signal
    levels: dict[str, Level]
    persons: list[Any] = field(default_factory=list)
    companies: list[Any] = field(default_factory=list)
    addresses: list[Any] = field(default_factory=list)
    identifiers: list[Any] = field(default_factory=list)
    relations: list[Any] = field(default_factory=list)
    payments: list[Any] = field(default_factory=list)
    attachments: list[Any] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    description: str | None = None
    submitter: Any = None
    reliability: tuple[str, str] | None = None
    overrule: OverruleView | None = None
    personal_ids: dict[str, list[int]] = field(default_factory=dict)

    @property
    def redacted(self) -> bool:
        return bool(self.hits)


def loaded_as(name: str) -> str:
    """Where a caller presenting many signals loads the relation ``name`` (persons, companies,
    addresses, attachments, identifiers, relations, payments) beforehand, as a plain list:
    ``Prefetch(name, to_attr=loaded_as(name))``; the presenter reads it from there."""
    return f"loaded_{name}"


def _rows(signal: Signal, name: str, read: Callable[[], Iterable[Any]] | None = None) -> list[Any]:
    """The rows of the signal's relation ``name``: as loaded with it, as prefetched, or read
    now (by ``read`` when given)."""
    loaded = signal.__dict__.get(loaded_as(name))
    if loaded is not None:
        return list(loaded)
    if read is None or name in getattr(signal, "_prefetched_objects_cache", {}):
        return list(getattr(signal, name).all())
    return list(read())


def present(user: Any, signal: Signal, *, overrule: BandDecision | None = None) -> SignalView:
    """The signal as ``user`` may see it. Call only for signals ``can(user, 'view')``.

    ``overrule``: the signal's current decision on the band (``services.current_overrule``),
    for a page that shows it; its reason and decider count as personal data shown."""
    decision = policy.decide(user, "view", signal)
    levels = decision.levels
    owner = signal.owner_organisation
    view = SignalView(signal, levels)

    def full(category: str) -> bool:
        return levels.get(category, Level.NONE) is Level.FULL

    def hit(what: str) -> None:
        view.hits.append(Hit(what, owner.name, owner.email))

    shown_overrules: list[int] = []
    if overrule is not None:
        if full("general"):
            view.overrule = OverruleView(
                overrule.get_band_display(), overrule.reason, overrule.decided_by
            )
            shown_overrules.append(overrule.pk)
        else:
            view.overrule = OverruleView(overrule.get_band_display())
    addresses, companies = _rows(signal, "addresses"), _rows(signal, "companies")
    attachments = _rows(signal, "attachments")
    if full("general"):
        view.description = signal.description
        view.addresses = addresses
        view.companies = companies
        view.attachments = attachments
    else:
        if attachments:
            hit("attachments")
        if signal.description:
            hit("description")
        if addresses:
            hit("addresses")
        if companies:
            hit("companies")
    person_categories: dict[int, str] = {}
    for person in _rows(signal, "persons"):
        category = category_of_role(person.role)
        person_categories[person.pk] = category
        if full(category):
            view.persons.append(person)
        else:
            hit(f"person:{person.role}")
    for identifier in _rows(signal, "identifiers"):
        category = person_categories.get(identifier.person_id or 0, "general")
        if full(category):
            view.identifiers.append(identifier)
        elif identifier.person_id is None:
            hit(f"identifier:{identifier.kind}")
    _present_ties(view, signal, person_categories, full, hit)
    if full("justice") and (signal.source_reliability or signal.information_reliability):
        view.reliability = (signal.source_reliability, signal.information_reliability)
    viewer = policy.viewer_for(user)
    if not signal.reporter_withheld or viewer.organisation_id == owner.pk:
        view.submitter = signal.submitted_by
    # Distinct hits only: "a possible victim" once, however many there are.
    view.hits = list(dict.fromkeys(view.hits))
    view.personal_ids = {
        "signals.personmention": [p.pk for p in view.persons],
        "signals.identifiermention": [i.pk for i in view.identifiers],
        "signals.addressmention": [a.pk for a in view.addresses],
        "signals.relationmention": [r.pk for r in view.relations],
        "signals.paymentmention": [p.pk for p in view.payments],
        "signals.banddecision": shown_overrules,
    }
    return view


def _present_ties(
    view: SignalView,
    signal: Signal,
    person_categories: dict[int, str],
    full: Callable[[str], bool],
    hit: Callable[[str], None],
) -> None:
    """A relation or payment is shown only when the viewer sees in full everything it names:
    each person (by their role's category), and companies, accounts and the payment's own
    details (general). Otherwise it is a hit: a name must not come out through a tie."""

    def shown(person_ids: tuple[int | None, ...], general: bool) -> bool:
        return (not general or full("general")) and all(
            full(person_categories.get(pk, "general")) for pk in person_ids if pk is not None
        )

    # A caller presenting many signals loads ``relations`` and ``payments`` (with their
    # persons and companies); one signal's page reads them here, with what they name.
    relations = _rows(
        signal,
        "relations",
        lambda: signal.relations.select_related("person", "other_person", "company"),
    )
    payments = _rows(
        signal,
        "payments",
        lambda: signal.payments.select_related(
            "payer_person", "payer_company", "beneficiary_person", "beneficiary_company"
        ),
    )
    for relation in relations:
        if shown((relation.person_id, relation.other_person_id), relation.company_id is not None):
            view.relations.append(relation)
        else:
            hit("relations")
    for payment in payments:
        if shown((payment.payer_person_id, payment.beneficiary_person_id), True):
            view.payments.append(payment)
        else:
            hit("payments")
