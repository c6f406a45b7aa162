"""The Dublin transfer hold: a possible victim who is a Dublin claimant is not transferred to
another EU state before their situation is assessed.

A person of a case comes under a hold when their current migration status is *Dublin
claimant* and either their current trafficking status is *possible* or *actual victim*
(route ``trafficking_status``) or they appear in an open signal — one not yet anonymised —
that carries indicators (route ``open_signal``). The hold blocks: the case shows it to its
team, and a task goes to the organisation with the immigration-liaison function
(``schakel.partners.vocabulary.Function.IMMIGRATION_LIAISON``), which sees the hold.

Ways out: the case lead and the liaison organisation each record their agreement with a
rationale (``agree_to_lift``; the hold is lifted when both have), or the conditions end (the
person is no longer a Dublin claimant, or neither route holds any more). A hold lifted by the
joint decision stays lifted until a newer status record about the person is made. A case is
not closed while one of its people is under a hold (``services.change_status``); reopening a
case evaluates its people again.

The person's signals are those of the entity that holds their mentions now
(``following.mentions_of``): when linkage merges the entity they were recorded as into
another, the hold keeps following them.

Evaluated whenever a status is recorded (``schakel.cases.persons``) and by the periodic job
``transfer-holds``: a new signal about the person reaches the case that way, as intake never
calls this context.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from schakel.access import policy
from schakel.audit import services as audit
from schakel.cases.following import mentions_of
from schakel.cases.models import (
    Case,
    CasePerson,
    MigrationStatusRecord,
    TraffickingStatusDecision,
    TransferHold,
    TransferHoldAgreement,
)
from schakel.cases.vocabulary import OPEN_STATUSES, PLAN_STATUSES
from schakel.constraints import violates_unique
from schakel.errors import Conflict, InvalidFields, NotAllowed
from schakel.partners.models import Organisation, User
from schakel.partners.vocabulary import Function
from schakel.signals.models import Signal
from schakel.tasks.models import OPEN_STATUSES as OPEN_TASK_STATUSES
from schakel.tasks.models import Priority
from schakel.tasks.services import cancel_task, complete_task, create_task

__all__ = [
    "DUBLIN_CLAIMANT",
    "active_hold",
    "active_holds",
    "agree_to_lift",
    "evaluate_case",
    "evaluate_open_cases",
    "evaluate_person",
    "liaison_organisation",
    "reasons_for_hold",
    "run_transfer_holds",
]

#: The code of the migration-status vocabulary (``signals/rules/vocabulary.yaml``).
DUBLIN_CLAIMANT = "dublin_claimant"


def _latest_migration(person: CasePerson) -> MigrationStatusRecord | None:
    return person.migration_statuses.order_by("-recorded_at", "-pk").first()


def _latest_trafficking(person: CasePerson) -> TraffickingStatusDecision | None:
    return person.trafficking_statuses.order_by("-recorded_at", "-pk").first()


def _in_open_signal_with_indicators(person: CasePerson) -> bool:
    return Signal.objects.filter(
        anonymised_at__isnull=True,
        indicator_set__isnull=False,
        pk__in=mentions_of(person).values("signal_id"),
    ).exists()


def reasons_for_hold(person: CasePerson) -> list[str]:
    """The routes by which ``person`` is under a hold now (none: no hold)."""
    migration = _latest_migration(person)
    if migration is None or migration.status != DUBLIN_CLAIMANT:
        return []
    reasons = []
    trafficking = _latest_trafficking(person)
    if trafficking is not None and trafficking.status in PLAN_STATUSES:
        reasons.append("trafficking_status")
    if _in_open_signal_with_indicators(person):
        reasons.append("open_signal")
    return reasons


def liaison_organisation(case: Case) -> Organisation | None:
    """The organisation with the immigration-liaison function: one of the case's region if
    there is one, else the first the chain's directory names."""
    candidates = list(
        Organisation.objects.filter(
            is_active=True, function_set__function=Function.IMMIGRATION_LIAISON
        )
        .select_related("region")
        .order_by("pk")
        .distinct()
    )
    for organisation in candidates:
        region = organisation.region
        if region is not None and (region.police_region() or region).pk == case.region_id:
            return organisation
    return candidates[0] if candidates else None


def active_hold(person: CasePerson) -> TransferHold | None:
    return person.transfer_holds.filter(lifted_at__isnull=True).first()


def active_holds(case: Case) -> QuerySet[TransferHold]:
    """The holds in place in ``case``, oldest first. Unfiltered: read them through the
    policy."""
    return TransferHold.objects.filter(case=case, lifted_at__isnull=True).order_by("pk")


def _last_status_change(person: CasePerson) -> datetime | None:
    times = [
        record.recorded_at
        for record in (_latest_migration(person), _latest_trafficking(person))
        if record is not None
    ]
    return max(times) if times else None


def _audit(
    request: Any, action: str, hold: TransferHold, actor: User | None, **details: Any
) -> None:
    audit.record_change(
        request,
        action,
        "cases.transferhold",
        [hold.pk],
        actor=actor,
        purpose=hold.case.purpose,
        details={"case": hold.case_id, **details},
    )


def _place(person: CasePerson, reasons: list[str], actor: User | None) -> TransferHold:
    case = person.case
    liaison = liaison_organisation(case)
    hold = TransferHold.objects.create(
        case=case, person=person, reasons=reasons, liaison_organisation=liaison
    )
    if liaison is not None:
        # No names in the task: the task list is seen by the whole organisation; the hold's
        # page shows who it is about to those who may see it.
        hold.task = create_task(
            liaison,
            _("Dublin transfer hold (case %(case)s)") % {"case": case.reference},
            description=_(
                "A possible victim of trafficking in case %(case)s is a Dublin claimant. Do not "
                "transfer them before their situation is assessed; the hold is lifted only by a "
                "decision that the case lead and your organisation both record."
            )
            % {"case": case.reference},
            priority=Priority.URGENT,
            subject=hold,
            reference=case.reference,
            created_by=actor,
        )
        hold.save(update_fields=["task"])
    _audit(None, "place", hold, actor, reasons=reasons, person=person.pk)
    return hold


def _lift(hold: TransferHold, because: str, actor: User | None, request: Any = None) -> None:
    hold.lifted_at = timezone.now()
    hold.lifted_because = because
    hold.save(update_fields=["lifted_at", "lifted_because"])
    task = hold.task
    if task is not None and task.status in OPEN_TASK_STATUSES:
        if because == TransferHold.Lifted.DECISION:
            complete_task(task, actor=None, result=_("The hold was lifted by a joint decision."))
        else:
            cancel_task(task, actor=None, reason=_("The conditions for the hold ended."))
    _audit(request, "lift", hold, actor, because=because)


@transaction.atomic
def evaluate_person(person: CasePerson, *, actor: User | None = None) -> TransferHold | None:
    """Place, keep or lift the person's hold as their statuses and signals now stand; returns
    the active hold, if any. Idempotent."""
    # Lock the person: two evaluations at once place one hold.
    CasePerson.objects.select_for_update().filter(pk=person.pk).exists()
    active = active_hold(person)
    # The case as it stands now, not as it was when ``person`` was read.
    case_open = Case.objects.filter(pk=person.case_id, status__in=OPEN_STATUSES).exists()
    reasons = reasons_for_hold(person) if case_open else []
    if active is not None:
        if not reasons:
            _lift(active, TransferHold.Lifted.CONDITIONS_ENDED, actor)
            return None
        return active
    if not reasons:
        return None
    decided = (
        person.transfer_holds.filter(lifted_because=TransferHold.Lifted.DECISION)
        .order_by("-lifted_at")
        .first()
    )
    changed = _last_status_change(person)
    if (
        decided is not None
        and decided.lifted_at is not None
        and changed is not None
        and changed <= decided.lifted_at
    ):
        return None  # lifted by the joint decision; nothing new since
    return _place(person, reasons, actor)


def evaluate_case(case: Case, *, actor: User | None = None) -> list[TransferHold]:
    holds = []
    for person in case.people.select_related("case").order_by("pk"):
        hold = evaluate_person(person, actor=actor)
        if hold is not None:
            holds.append(hold)
    return holds


def evaluate_open_cases() -> int:
    """Every person of every open case whose hold may have changed; returns how many holds
    are active afterwards. People who are no Dublin claimant and have no hold are skipped."""
    people = CasePerson.objects.filter(case__status__in=OPEN_STATUSES).select_related("case")
    active = 0
    for person in people.order_by("pk"):
        migration = _latest_migration(person)
        if (migration is None or migration.status != DUBLIN_CLAIMANT) and active_hold(
            person
        ) is None:
            continue
        if evaluate_person(person) is not None:
            active += 1
    return active


def run_transfer_holds() -> str:
    """The periodic job's entry point."""
    return f"{evaluate_open_cases()} Dublin transfer holds active"


def _side_for(hold: TransferHold, actor: User) -> str:
    """Which side ``actor`` records for: the case lead (its organisation or the case's care
    coordinator) or the liaison organisation."""
    case = hold.case
    done = set(hold.agreements.values_list("side", flat=True))
    sides = []
    if actor.organisation_id == case.lead_organisation_id or case.care_coordinator_id == actor.pk:
        sides.append(TransferHoldAgreement.Side.LEAD)
    if actor.organisation_id == hold.liaison_organisation_id:
        sides.append(TransferHoldAgreement.Side.LIAISON)
    open_sides = [side for side in sides if side not in done]
    if not sides:
        raise NotAllowed(_("Only the case lead and the liaison organisation decide on the hold."))
    if not open_sides:
        raise Conflict(_("Your side has already recorded its agreement."))
    return open_sides[0]


@transaction.atomic
def agree_to_lift(
    hold: TransferHold, *, rationale: str, actor: User, request: Any = None
) -> TransferHoldAgreement:
    """The case lead or the liaison organisation records that it agrees to lift the hold,
    and why. When both have, the hold is lifted."""
    if not policy.can(actor, "lift", hold):
        raise NotAllowed(_("Only the case lead and the liaison organisation decide on the hold."))
    locked = TransferHold.objects.select_for_update().select_related("case").get(pk=hold.pk)
    if locked.lifted_at is not None:
        raise Conflict(_("This hold was already lifted."))
    if not rationale.strip():
        raise InvalidFields({"rationale": [_("Give the rationale of the decision.")]})
    side = _side_for(locked, actor)
    assert actor.organisation is not None
    try:
        with transaction.atomic():
            agreement = TransferHoldAgreement.objects.create(
                hold=locked,
                side=side,
                organisation=actor.organisation,
                rationale=rationale.strip(),
                agreed_by=actor,
            )
    except IntegrityError as exc:
        if not violates_unique(exc, TransferHoldAgreement, "transfer_hold_agreement_once"):
            raise
        raise Conflict(_("Your side has already recorded its agreement.")) from None
    _audit(request, "agree", locked, actor, side=side)
    if locked.agreements.count() == len(TransferHoldAgreement.Side.values):
        _lift(locked, TransferHold.Lifted.DECISION, actor, request)
    return agreement
