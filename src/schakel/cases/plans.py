"""The one plan per victim: made when a case finds a possible or actual victim, with
objectives and actions per domain, periodic reviews and its status.

Every action is a task of the one task model (``schakel.tasks.services``), on the owner
organisation's task list and filed under the case's reference; its owner, due date,
priority, status and result are the task's, so the plan and the task list never disagree.
Due dates per priority and review intervals come from ``rules/plan_deadlines.yaml``.

A plan for a minor cannot be set active before a youth-care organisation is involved (owns
an action), and it asks the lead organisation whether a report to Veilig Thuis is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from schakel.access import policy
from schakel.audit import services as audit
from schakel.cases import rules
from schakel.cases.following import mentions_of, plan_for_entity
from schakel.cases.models import (
    Case,
    CasePerson,
    Plan,
    PlanAction,
    PlanObjective,
    PlanReview,
    PlanStatusChange,
)
from schakel.cases.vocabulary import PLAN_STATUSES, VICTIM_ROLES, PlanStatus
from schakel.constraints import violates_unique
from schakel.entities.models import Mention
from schakel.errors import InvalidFields, NotAllowed
from schakel.partners.models import Organisation, User
from schakel.partners.vocabulary import Function, Sector
from schakel.signals.intake import person_is_minor
from schakel.signals.models import PersonMention
from schakel.tasks import services as tasks
from schakel.tasks.models import Priority

__all__ = [
    "add_action",
    "add_objective",
    "blockers_of",
    "ensure_plan",
    "ensure_plans",
    "is_minor",
    "record_review",
    "set_plan_status",
]

UNACCOMPANIED_MINOR = "unaccompanied_minor"


@dataclass(frozen=True)
class Blocker:
    """A condition that keeps a plan from being set active; ``field`` names it."""

    field: str
    message: str


def _audit(request: Any, action: str, plan: Plan, actor: User | None, **details: Any) -> None:
    audit.record_change(
        request,
        action,
        "cases.plan",
        [plan.pk],
        actor=actor,
        purpose=plan.case.purpose,
        details={"case": plan.case_id, **details},
    )


def _check_change(actor: User, plan: Plan) -> None:
    if not policy.can(actor, "change", plan):
        raise NotAllowed(_("Only the lead organisation and the care coordinator change the plan."))


# --- Who has a plan ----------------------------------------------------------------------


def needs_plan(person: CasePerson) -> bool:
    """A possible or actual victim: by role, or by their latest trafficking status."""
    latest = person.trafficking_statuses.order_by("-recorded_at", "-pk").first()
    if latest is not None:
        return latest.status in PLAN_STATUSES
    return person.role in VICTIM_ROLES


def is_minor(person: CasePerson, today: date | None = None) -> bool:
    """Under 18 as the signals describe them (date of birth today, or an age band below 18),
    or recorded as an unaccompanied minor."""
    today = today or timezone.localdate()
    latest = person.migration_statuses.order_by("-recorded_at", "-pk").first()
    if latest is not None and latest.status == UNACCOMPANIED_MINOR:
        return True
    mentions = PersonMention.objects.filter(
        pk__in=mentions_of(person).filter(source=Mention.Source.PERSON).values("source_id")
    ).values_list("date_of_birth", "age_band")
    return any(person_is_minor(born, band, today) for born, band in mentions)


def ensure_plan(person: CasePerson, *, actor: User) -> Plan | None:
    """The person's one plan: the one they already have (in whichever case), else a new
    draft carried by this case. ``None`` for someone who is not a (possible) victim."""
    existing = plan_for_entity(person.entity_id)
    if existing is not None or not needs_plan(person):
        return existing
    try:
        with transaction.atomic():
            plan = Plan.objects.create(
                case=person.case, person=person, entity_id=person.entity_id, created_by=actor
            )
            PlanStatusChange.objects.create(plan=plan, status=PlanStatus.DRAFT, changed_by=actor)
    except IntegrityError as exc:
        if not violates_unique(exc, Plan, "plan_one_per_person"):
            raise
        # Another request made this person's plan at the same moment: the database keeps one.
        return Plan.objects.get(entity_id=person.entity_id)
    _audit(None, "create", plan, actor)
    ask_about_veilig_thuis(plan, actor=actor)
    return plan


def ensure_plans(case: Case, *, actor: User) -> list[Plan]:
    """A plan for every possible or actual victim of the case that has none yet."""
    made = []
    for person in case.people.all():
        plan = ensure_plan(person, actor=actor)
        if plan is not None:
            made.append(plan)
    return made


# --- Minors --------------------------------------------------------------------------------


def ask_about_veilig_thuis(plan: Plan, *, actor: User | None) -> PlanAction | None:
    """For a minor: a task for the lead organisation asking whether a report to Veilig Thuis
    (the advice and reporting centre for domestic violence and child abuse) is needed. Once
    per plan."""
    if not is_minor(plan.person):
        return None
    existing = plan.actions.filter(kind=PlanAction.Kind.VEILIG_THUIS).first()
    if existing is not None:
        return existing
    case = plan.case
    try:
        with transaction.atomic():
            return _make_action(
                plan,
                domain="safety",
                description=_(
                    "A minor: decide whether a report to Veilig Thuis is needed, following "
                    "the reporting code (meldcode), and record the outcome as the result."
                ),
                owner_organisation=case.lead_organisation,
                owner_user=None,
                priority=Priority.HIGH,
                due_date=None,
                objective=None,
                actor=actor,
                kind=PlanAction.Kind.VEILIG_THUIS,
            )
    except IntegrityError as exc:
        if not violates_unique(exc, PlanAction, "plan_action_special_once"):
            raise
        return plan.actions.get(kind=PlanAction.Kind.VEILIG_THUIS)


def _is_youth_care(organisation: Organisation) -> bool:
    return organisation.sector == Sector.YOUTH_CARE or organisation.has_function(
        Function.YOUTH_PROTECTION
    )


def youth_care_involved(plan: Plan) -> bool:
    """A youth-care organisation owns an action of the plan that was not cancelled."""
    owners = Organisation.objects.filter(
        tasks__plan_action__plan=plan, tasks__status__in=("open", "in_progress", "done")
    ).distinct()
    return any(_is_youth_care(org) for org in owners)


def blockers_of(plan: Plan) -> list[Blocker]:
    """What keeps the plan from being set active."""
    found: list[Blocker] = []
    if is_minor(plan.person) and not youth_care_involved(plan):
        found.append(
            Blocker(
                "youth_care",
                _(
                    "The plan is for a minor: a youth-care organisation must be involved "
                    "before it is set active. Give one an action in the plan."
                ),
            )
        )
    return found


# --- Objectives, actions, reviews ----------------------------------------------------------


def _check_domain(problems: dict[str, list[Any]], domain: str) -> None:
    if domain not in dict(rules.domains().choices()):
        problems.setdefault("domain", []).append(_("Choose a domain."))


def _raise(problems: dict[str, list[Any]]) -> None:
    if problems:
        raise InvalidFields(problems)


@transaction.atomic
def add_objective(
    plan: Plan, domain: str, text: str, *, actor: User, request: Any = None
) -> PlanObjective:
    _check_change(actor, plan)
    problems: dict[str, list[Any]] = {}
    _check_domain(problems, domain)
    if not text.strip():
        problems.setdefault("text", []).append(_("Say what the plan aims at."))
    _raise(problems)
    objective = PlanObjective.objects.create(
        plan=plan, domain=domain, text=text.strip(), created_by=actor
    )
    _audit(request, "objective", plan, actor, domain=domain)
    return objective


def _task_title(plan: Plan, domain: str) -> str:
    # No names in a task's title: the owner's whole organisation sees its task list.
    label = rules.domains().get(domain).label.get()
    # The label as written ("Verblijf (B8)"): lower-casing it would spoil abbreviations.
    return _("Plan action %(domain)s (case %(case)s)") % {
        "domain": label,
        "case": plan.case.reference,
    }


def _make_action(
    plan: Plan,
    *,
    domain: str,
    description: str,
    owner_organisation: Organisation,
    owner_user: User | None,
    priority: str,
    due_date: date | None,
    objective: PlanObjective | None,
    actor: User | None,
    kind: str = PlanAction.Kind.ACTION,
    request: Any = None,
) -> PlanAction:
    due = due_date or rules.deadlines().due_on(priority, timezone.localdate())
    task = tasks.create_task(
        owner_organisation,
        _task_title(plan, domain),
        description=description,
        due_date=due,
        priority=priority,
        owner_user=owner_user,
        subject=plan,
        reference=plan.case.reference,
        created_by=actor,
        request=request,
    )
    action = PlanAction.objects.create(
        plan=plan,
        objective=objective,
        domain=domain,
        description=description,
        kind=kind,
        task=task,
        created_by=actor,
    )
    _audit(request, "action", plan, actor, plan_action=action.pk, task=task.pk, domain=domain)
    return action


@transaction.atomic
def add_action(
    plan: Plan,
    *,
    domain: str,
    description: str,
    owner_organisation: Organisation | None,
    actor: User,
    owner_user: User | None = None,
    priority: str = Priority.NORMAL,
    due_date: date | None = None,
    objective: PlanObjective | None = None,
    request: Any = None,
) -> PlanAction:
    """An action for ``owner_organisation`` (optionally one of its people), due by its
    priority unless a date is agreed; it lands on their task list."""
    _check_change(actor, plan)
    problems: dict[str, list[Any]] = {}
    _check_domain(problems, domain)
    if not description.strip():
        problems.setdefault("description", []).append(_("Say what is to be done."))
    if owner_organisation is None or not owner_organisation.is_active:
        problems.setdefault("owner_organisation", []).append(_("Choose the organisation."))
    elif owner_user is not None and owner_user.organisation_id != owner_organisation.pk:
        problems.setdefault("owner_user", []).append(
            _("The owner must work at the owner organisation.")
        )
    if priority not in Priority.values:
        problems.setdefault("priority", []).append(_("Choose a priority."))
    if due_date is not None and due_date < timezone.localdate():
        problems.setdefault("due_date", []).append(_("This date lies in the past."))
    if objective is not None and objective.plan_id != plan.pk:
        problems.setdefault("objective", []).append(_("Choose an objective of this plan."))
    if plan.status == PlanStatus.CLOSED:
        problems.setdefault("status", []).append(_("The plan is closed."))
    elif plan.status == PlanStatus.MERGED:
        problems.setdefault("status", []).append(_("The plan was merged into another plan."))
    _raise(problems)
    assert owner_organisation is not None
    return _make_action(
        plan,
        domain=domain,
        description=description.strip(),
        owner_organisation=owner_organisation,
        owner_user=owner_user,
        priority=priority,
        due_date=due_date,
        objective=objective,
        actor=actor,
        request=request,
    )


@transaction.atomic
def record_review(
    plan: Plan,
    *,
    reviewed_on: date,
    summary: str,
    actor: User,
    next_review_on: date | None = None,
    request: Any = None,
) -> PlanReview:
    """A periodic review; the next one is due by the deadlines file unless a date is given."""
    _check_change(actor, plan)
    problems: dict[str, list[Any]] = {}
    today = timezone.localdate()
    if reviewed_on > today:
        problems.setdefault("reviewed_on", []).append(_("This date lies in the future."))
    if not summary.strip():
        problems.setdefault("summary", []).append(_("Say what the review concluded."))
    upcoming = next_review_on or rules.deadlines().next_review(
        reviewed_on, minor=is_minor(plan.person)
    )
    if upcoming <= reviewed_on:
        problems.setdefault("next_review_on", []).append(_("The next review comes after this one."))
    _raise(problems)
    review = PlanReview.objects.create(
        plan=plan,
        reviewed_on=reviewed_on,
        summary=summary.strip(),
        next_review_on=upcoming,
        recorded_by=actor,
    )
    Plan.objects.filter(pk=plan.pk).update(next_review_on=upcoming)
    plan.next_review_on = upcoming
    _audit(request, "review", plan, actor, next_review_on=upcoming.isoformat())
    return review


STATUS_MOVES = {
    PlanStatus.DRAFT: {PlanStatus.ACTIVE, PlanStatus.CLOSED},
    PlanStatus.ACTIVE: {PlanStatus.CLOSED},
    PlanStatus.CLOSED: {PlanStatus.ACTIVE},
    # Only a plan merge (``schakel.cases.following``) ends a plan this way, and for good.
    PlanStatus.MERGED: set(),
}


@transaction.atomic
def set_plan_status(plan: Plan, status: str, *, actor: User, request: Any = None) -> Plan:
    """Draft → active → closed (and reopened). Setting a plan active is refused while a
    blocking condition holds (a minor without youth care), naming it as the field."""
    _check_change(actor, plan)
    locked = Plan.objects.select_for_update().select_related("case", "person").get(pk=plan.pk)
    if status not in PlanStatus.values or status not in STATUS_MOVES[PlanStatus(locked.status)]:
        raise InvalidFields({"status": [_("The plan cannot go to this status.")]})
    if status == PlanStatus.ACTIVE:
        ask_about_veilig_thuis(locked, actor=actor)
        blockers = blockers_of(locked)
        if blockers:
            raise InvalidFields({b.field: [b.message] for b in blockers})
        if locked.next_review_on is None:
            locked.next_review_on = rules.deadlines().next_review(
                timezone.localdate(), minor=is_minor(locked.person)
            )
        locked.ended_on = None
    if status == PlanStatus.CLOSED:
        locked.ended_on = timezone.localdate()
    locked.status = status
    locked.save(update_fields=["status", "next_review_on", "ended_on"])
    PlanStatusChange.objects.create(plan=locked, status=status, changed_by=actor)
    _audit(request, "status", locked, actor, status=status)
    return locked
