"""Service functions of the cases context: opening a case (from a signal-table decision or by
a coordinator), its status, the signals it holds (with their retention holds) and the people
involved.

Decisions about a person (trafficking status, migration status, reflection period) are in
``schakel.cases.persons``; the reflection reminders in ``schakel.cases.reflection``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from schakel.access import policy
from schakel.audit import services as audit
from schakel.cases import holds, plans
from schakel.cases.models import Case, CasePerson, CaseSignal, CaseStatusChange
from schakel.cases.vocabulary import (
    CASE_PURPOSES,
    DEFAULT_PURPOSE,
    OPEN_STATUSES,
    VICTIM_ROLES,
    CaseStatus,
    strictest_tlp,
)
from schakel.entities.matching import resolve_and_match
from schakel.entities.models import Entity, Mention, Schema
from schakel.errors import InvalidFields, InvalidInput, NotAllowed
from schakel.partners.models import Organisation, Region, RegionContact, SharingGroup, User
from schakel.partners.vocabulary import ContactKind, Role
from schakel.signals import retention
from schakel.signals.models import Signal, Tlp
from schakel.signaltable.models import Decision, Outcome

__all__ = [
    "change_status",
    "open_case",
    "open_case_for_decision",
    "root_of",
    "visible_cases",
]

#: Roles that may be named a case's care coordinator.
COORDINATOR_ROLES: frozenset[str] = frozenset({Role.CARE_COORDINATOR.value, Role.COORDINATOR.value})


def visible_cases(user: Any) -> QuerySet[Case]:
    """The cases ``user`` may see, filtered in the query by the one policy."""
    return policy.visible(user, Case.objects.all()).select_related(
        "lead_organisation", "region", "care_coordinator"
    )


# --- People and signals --------------------------------------------------------------------


def _current_entity(entity_id: int, merged: Mapping[int, int | None]) -> int:
    """Follow merges: a case names the entity that the person's mentions belong to now."""
    seen: set[int] = set()
    while merged.get(entity_id) is not None and entity_id not in seen:
        seen.add(entity_id)
        entity_id = merged[entity_id] or entity_id
    return entity_id


def people_of(signals: Sequence[Signal]) -> list[tuple[int, str]]:
    """The people the signals mention, as entities with a role each: ``(entity_id, role)``.

    When the worker has not resolved the signals yet, its job's work is done here (it is
    idempotent: the worker's run then finds it done), so that a case never waits for the
    worker — matching included, so that these signals are not left unmatched. Only these
    signals: the jobs queued for others are the worker's. A person
    mentioned with several roles keeps a victim's role first, else the role they are
    mentioned with most.
    """
    ids = [s.pk for s in signals]
    unresolved = set(ids) - set(
        Mention.objects.filter(signal_id__in=ids).values_list("signal_id", flat=True)
    )
    if unresolved:
        resolve_and_match(sorted(unresolved))
    mentions = list(
        Mention.objects.filter(signal_id__in=ids, schema=Schema.PERSON, entity__isnull=False)
        .order_by("pk")
        .values_list("entity_id", "role")
    )
    merged = dict(
        Entity.objects.filter(pk__in={e for e, _role in mentions}).values_list(
            "pk", "merged_into_id"
        )
    )
    roles: dict[int, list[str]] = {}
    for entity_id, role in mentions:
        roles.setdefault(_current_entity(entity_id, merged), []).append(role or "other")
    people: list[tuple[int, str]] = []
    for entity_id, found in roles.items():
        victim = next((r for r in found if r in VICTIM_ROLES), None)
        people.append((entity_id, victim or max(found, key=found.count)))
    return people


def _link_signals(case: Case, signals: Iterable[Signal], actor: User) -> list[CaseSignal]:
    known = set(case.signal_links.values_list("signal_id", flat=True))
    new = [
        CaseSignal(case=case, signal=s, reference=s.reference, added_by=actor)
        for s in signals
        if s.pk not in known
    ]
    CaseSignal.objects.bulk_create(new)
    if case.is_open:
        for link in new:
            assert link.signal is not None
            retention.place_hold(
                link.signal, case.hold_name, _("open case %(ref)s") % {"ref": case.reference}
            )
    return new


def _add_people(case: Case, people: Iterable[tuple[int, str]], actor: User) -> None:
    known = set(case.people.values_list("entity_id", flat=True))
    CasePerson.objects.bulk_create(
        [
            CasePerson(case=case, entity_id=entity_id, role=role, added_by=actor)
            for entity_id, role in people
            if entity_id not in known
        ]
    )


def _hold_signals(case: Case) -> None:
    reason = _("open case %(ref)s") % {"ref": case.reference}
    for signal in Signal.objects.filter(case_links__case=case):
        retention.place_hold(signal, case.hold_name, reason)


def _release_signals(case: Case) -> None:
    for signal in Signal.objects.filter(case_links__case=case):
        retention.release_hold(signal, case.hold_name)


# --- Opening -------------------------------------------------------------------------------


def _check_case(
    *,
    lead_organisation: Organisation,
    care_coordinator: User | None,
    tlp: str,
    purpose: str,
    legal_basis: str,
    sharing_groups: Sequence[SharingGroup],
) -> None:
    problems: dict[str, list[Any]] = {}
    if tlp not in Tlp.values:
        problems.setdefault("tlp", []).append(_("Choose a sharing label."))
    elif tlp == Tlp.CLEAR:
        problems.setdefault("tlp", []).append(
            _("A case holds personal data: TLP:CLEAR is not allowed.")
        )
    if purpose not in CASE_PURPOSES:
        problems.setdefault("purpose", []).append(_("Choose a purpose of sharing."))
    if legal_basis and legal_basis not in policy.legal_bases_for(lead_organisation.sector):
        problems.setdefault("legal_basis", []).append(
            _("The lead organisation cannot invoke this legal basis.")
        )
    if care_coordinator is not None and not (COORDINATOR_ROLES & care_coordinator.roles):
        problems.setdefault("care_coordinator", []).append(
            _("The care coordinator must have the role of (care) coordinator.")
        )
    member_of = set(
        SharingGroup.objects.filter(members=lead_organisation).values_list("pk", flat=True)
    )
    if any(group.pk not in member_of for group in sharing_groups):
        problems.setdefault("sharing_groups", []).append(
            _("A case is shared only with groups the lead organisation belongs to.")
        )
    if problems:
        raise InvalidFields(problems)


def _create_case(
    *,
    lead_organisation: Organisation,
    region: Region,
    care_coordinator: User | None,
    tlp: str,
    purpose: str,
    legal_basis: str,
    sharing_groups: Sequence[SharingGroup],
    signals: Sequence[Signal],
    actor: User,
    request: Any,
    source_decision: Decision | None = None,
) -> Case:
    case = Case.objects.create(
        lead_organisation=lead_organisation,
        region=region,
        care_coordinator=care_coordinator,
        tlp=tlp,
        purpose=purpose,
        legal_basis=legal_basis,
        status=CaseStatus.ACTIVE,
        source_decision=source_decision,
        opened_by=actor,
    )
    case.sharing_groups.set(sharing_groups)
    CaseStatusChange.objects.create(
        case=case,
        status=CaseStatus.ACTIVE,
        reason=_("Opened by the signal table.") if source_decision else _("Opened."),
        changed_by=actor,
    )
    _link_signals(case, signals, actor)
    _add_people(case, people_of(signals), actor)
    # Each possible victim has one plan from the start (the one they have, or a draft).
    plans.ensure_plans(case, actor=actor)
    audit.record_change(
        request,
        "open",
        "cases.case",
        [case.pk],
        actor=actor,
        purpose=purpose,
        details={
            "signals": sorted(s.pk for s in signals),
            **({"decision": source_decision.pk} if source_decision else {}),
        },
    )
    return case


@transaction.atomic
def open_case(
    *,
    lead_organisation: Organisation,
    region: Region,
    signals: Sequence[Signal],
    actor: User,
    care_coordinator: User | None = None,
    tlp: str = Tlp.AMBER,
    purpose: str = DEFAULT_PURPOSE,
    legal_basis: str = "",
    sharing_groups: Sequence[SharingGroup] = (),
    request: Any = None,
) -> Case:
    """A coordinator opens a case directly, for their own organisation as its lead, from
    signals they may see in full; the people those signals mention come with them."""
    draft = Case(lead_organisation=lead_organisation, tlp=tlp, purpose=purpose)
    if not policy.can(actor, "open", draft):
        raise NotAllowed(_("Only coordinators open cases, for their own organisation."))
    _check_case(
        lead_organisation=lead_organisation,
        care_coordinator=care_coordinator,
        tlp=tlp,
        purpose=purpose,
        legal_basis=legal_basis,
        sharing_groups=sharing_groups,
    )
    unseen = [s.reference for s in signals if not policy.decide(actor, "view", s).is_full()]
    if unseen:
        raise InvalidInput(
            _("You can only open a case from signals you may see in full."), field="signals"
        )
    return _create_case(
        lead_organisation=lead_organisation,
        region=region,
        care_coordinator=care_coordinator,
        tlp=tlp,
        purpose=purpose,
        legal_basis=legal_basis,
        sharing_groups=sharing_groups,
        signals=signals,
        actor=actor,
        request=request,
    )


def root_of(decision: Decision) -> Decision:
    """The first decision of a chain of corrections."""
    root = decision
    while root.supersedes_id is not None:
        root = Decision.objects.get(pk=root.supersedes_id)
    return root


def _coordinator_for(organisation: Organisation, region: Region | None) -> User | None:
    """Whom a case of ``organisation`` gets as care coordinator: the region's published care
    coordinator if they work there and hold that role (a contact may be published by someone
    who only administers the organisation), else the organisation's first care coordinator."""
    contact = (
        RegionContact.objects.filter(
            region=region, kind=ContactKind.CARE_COORDINATOR, user__organisation=organisation
        )
        .select_related("user")
        .order_by("pk")
        .first()
        if region is not None
        else None
    )
    if (
        contact is not None
        and contact.user is not None
        and contact.user.is_active
        and contact.user.has_role(Role.CARE_COORDINATOR)
    ):
        return contact.user
    return (
        User.objects.with_role(Role.CARE_COORDINATOR)
        .filter(organisation=organisation, is_active=True)
        .order_by("last_name", "first_name", "pk")
        .first()
    )


def open_case_for_decision(decision: Decision) -> Case | None:
    """The table decided to open a case: open it, once.

    Idempotent: the case belongs to the first decision of the chain of corrections, so a
    re-sent event or a correction finds the case already opened. The table's chair
    organisation leads it; the case goes to the table's group, with the strictest label of
    its signals (at least TLP:AMBER), for the protection of the victim.
    """
    if decision.outcome != Outcome.OPEN_CASE:
        return None
    root = root_of(decision)
    existing = Case.objects.filter(source_decision=root).first()
    if existing is not None:
        return existing
    group = decision.meeting.group
    signals = list(
        Signal.objects.filter(table_decision_links__decision=decision).order_by("pk").distinct()
    )
    region = group.region or group.chair_organisation.region
    if region is None:
        raise InvalidInput(_("The signal table has no region; open the case by hand."))
    lead = group.chair_organisation
    try:
        with transaction.atomic():
            return _create_case(
                lead_organisation=lead,
                region=region,
                care_coordinator=_coordinator_for(lead, group.region),
                tlp=strictest_tlp([s.tlp for s in signals]),
                purpose=DEFAULT_PURPOSE,
                legal_basis="",
                sharing_groups=[group],
                signals=signals,
                actor=decision.decided_by,
                request=None,
                source_decision=root,
            )
    except IntegrityError:
        # A second delivery of the same event raced this one and won: its case stands.
        existing = Case.objects.filter(source_decision=root).first()
        if existing is None:
            raise
        return existing


# --- Status --------------------------------------------------------------------------------


@transaction.atomic
def change_status(
    case: Case,
    status: str,
    *,
    reason: str = "",
    referred_to: Organisation | None = None,
    actor: User,
    request: Any = None,
) -> Case:
    """Active, follow-up, closed, or closed and referred (with the partner and why).

    Closing releases the case's hold on its signals; reopening places it again. A case is
    not closed while a Dublin transfer hold protects one of its people: that hold is lifted
    only by the joint decision of the case lead and the immigration liaison (or when its
    conditions end), never as a side effect of closing. Reopening evaluates the holds again.
    """
    if not policy.can(actor, "change", case):
        raise NotAllowed()
    problems: dict[str, list[Any]] = {}
    if status not in CaseStatus.values:
        problems.setdefault("status", []).append(_("Choose a status."))
    closing = status in (CaseStatus.CLOSED, CaseStatus.CLOSED_REFERRED)
    if closing and not reason.strip():
        problems.setdefault("reason", []).append(_("Say why the case is closed."))
    if status == CaseStatus.CLOSED_REFERRED and referred_to is None:
        problems.setdefault("referred_to", []).append(_("Name the partner the case goes to."))
    if problems:
        raise InvalidFields(problems)
    locked = Case.objects.select_for_update().get(pk=case.pk)
    was_open = locked.status in OPEN_STATUSES
    if closing and was_open and holds.active_holds(locked).exists():
        raise InvalidFields(
            {
                "status": [
                    _(
                        "A Dublin transfer hold is in place in this case. Lift it first by a "
                        "joint decision with the immigration liaison; then close the case."
                    )
                ]
            }
        )
    CaseStatusChange.objects.create(
        case=locked,
        status=status,
        reason=reason.strip(),
        referred_to=referred_to if status == CaseStatus.CLOSED_REFERRED else None,
        changed_by=actor,
    )
    locked.status = status
    locked.save(update_fields=["status"])
    if was_open and closing:
        _release_signals(locked)
    elif not was_open and not closing:
        _hold_signals(locked)
        holds.evaluate_case(locked, actor=actor)
    audit.record_change(
        request,
        "status",
        "cases.case",
        [locked.pk],
        actor=actor,
        purpose=locked.purpose,
        details={"status": status},
    )
    return locked
