"""Plans follow the entities: when linkage merges or splits people, their plans follow —
never silently.

A plan names the entity its person was when it was made. Linkage may later merge that entity
into another or split it; both are announced after the entities' transaction commits
(``entities_regrouped`` with all the merges and splits of a regrouping, then
``entities_merged`` and ``entity_split`` one by one), and this module listens
(``subscribers``: merges from the first, splits from the second).

*Merge.* A person is the *family* of entities that now resolve to one entity (each absorbed
entity points at the one that kept its mentions). When a family carries two or more live
plans, a ``PlanMerge`` is proposed: a task goes to the lead organisation of each case that
carries one of them, and the lead (or the case's care coordinator) answers for that case. The
first agreement names the plan to keep; when every case has agreed, the other plans' objectives
and actions move to the kept plan and those plans end with the status *merged*. One case
declining (with a reason) keeps the plans apart — if they are different people, an analyst
splits the entity. A proposal whose plans no longer share a person (linkage split them again)
is void.

*Split.* A plan whose person was split stays with the original entity until its case's lead
or care coordinator chooses, among the original and the new parts, the entity that keeps it
(``PlanSplitChoice``); the plan's person in the case follows the choice.

``review_plans`` does the merge side for every plan at once: the event handlers call it, and
so does the periodic job ``plan-follow-entities`` (for an event that was lost). Everything
here is idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from schakel.access import policy
from schakel.audit import services as audit
from schakel.cases.models import (
    Case,
    CasePerson,
    Plan,
    PlanAction,
    PlanMerge,
    PlanMergeAnswer,
    PlanObjective,
    PlanSplitChoice,
    PlanStatusChange,
)
from schakel.cases.vocabulary import PlanStatus
from schakel.entities.models import Entity, Mention
from schakel.errors import Conflict, InvalidFields, NotAllowed
from schakel.partners.models import User
from schakel.tasks.models import OPEN_STATUSES as OPEN_TASK_STATUSES
from schakel.tasks.models import Priority, Task
from schakel.tasks.services import cancel_task, complete_task, create_task

__all__ = [
    "answer_merge",
    "answerable_case",
    "audit_plans_read",
    "choose_after_split",
    "current_entity",
    "family_of",
    "live_plans",
    "may_see_choice",
    "open_merge_for",
    "open_split_for",
    "plan_for_entity",
    "plans_seen_by",
    "review_plans",
    "run_plan_follow_entities",
    "split_entity",
]

logger = logging.getLogger(__name__)


# --- People as entities --------------------------------------------------------------------


def _roots(entity_ids: Iterable[int]) -> dict[int, int]:
    """Each entity's current entity: follow ``merged_into`` until an entity that is one."""
    roots: dict[int, int] = {e: e for e in entity_ids}
    pending = set(roots)
    seen: set[int] = set()
    while pending:
        seen |= pending
        step = dict(
            Entity.objects.filter(pk__in=pending, merged_into__isnull=False).values_list(
                "pk", "merged_into_id"
            )
        )
        for entity, root in roots.items():
            if root in step:
                roots[entity] = step[root]
        pending = set(step.values()) - seen
    return roots


def current_entity(entity_id: int) -> int:
    """The entity ``entity_id``'s mentions belong to now (itself unless merged away)."""
    return _roots([entity_id])[entity_id]


def mentions_of(person: CasePerson) -> QuerySet[Mention]:
    """What the signals say of ``person`` now. A case person names the entity they were
    recorded as; once linkage merged it into another, that one holds all the mentions."""
    return Mention.objects.filter(entity_id=current_entity(person.entity_id))


def family_of(entity_id: int) -> set[int]:
    """Every entity that is now the same person as ``entity_id``: its current entity and all
    entities merged into it, directly or through others."""
    family = {current_entity(entity_id)}
    frontier = set(family)
    while frontier:
        frontier = (
            set(Entity.objects.filter(merged_into__in=frontier).values_list("pk", flat=True))
            - family
        )
        family |= frontier
    return family


def live_plans() -> QuerySet[Plan]:
    """Plans that are a person's plan (not merged into another)."""
    return Plan.objects.exclude(status=PlanStatus.MERGED)


def plan_for_entity(entity_id: int) -> Plan | None:
    """The person's live plan, whichever of their entities it was made for (the oldest, while
    a proposed merge is open)."""
    return live_plans().filter(entity_id__in=family_of(entity_id)).order_by("pk").first()


def open_merge_for(plan: Plan) -> PlanMerge | None:
    return plan.merge_proposals.filter(status=PlanMerge.Status.OPEN).first()


def open_split_for(plan: Plan) -> PlanSplitChoice | None:
    return plan.split_choices.filter(status=PlanSplitChoice.Status.OPEN).first()


# --- Who sees what of it ------------------------------------------------------------------


def plans_seen_by(user: Any, merge: PlanMerge) -> list[Plan]:
    """The proposal's plans whose general details ``user`` may see (the page and the API show
    the proposal to them; nobody else learns of it)."""
    visible = policy.visible(user, Plan.objects.filter(merge_proposals=merge))
    return [
        plan
        for plan in visible.select_related("case__lead_organisation").order_by("pk")
        if policy.decide(user, "view", plan).is_full("general")
    ]


def audit_plans_read(request: Any, plans: Sequence[Plan]) -> None:
    """One audit entry per purpose of the plans shown (their cases' purposes)."""
    for purpose in sorted({p.case.purpose for p in plans}):
        audit.record_read(
            request,
            "cases.plan",
            [p.pk for p in plans if p.case.purpose == purpose],
            purpose=purpose,
        )


def answerable_case(user: Any, merge: PlanMerge, seen: Sequence[Plan]) -> Case | None:
    """The carrying case ``user`` answers for: one whose plan they may change and which has
    not answered yet."""
    if merge.status != PlanMerge.Status.OPEN:
        return None
    answered = set(merge.answers.values_list("case_id", flat=True))
    for plan in seen:
        if (
            plan.status != PlanStatus.MERGED
            and plan.case_id not in answered
            and policy.can(user, "change", plan)
        ):
            return plan.case
    return None


def may_see_choice(user: Any, choice: PlanSplitChoice) -> bool:
    """A choice after a split is shown to whoever sees its plan's general details."""
    return policy.decide(user, "view", choice.plan).is_full("general")


# --- Common steps --------------------------------------------------------------------------


def _audit(
    request: Any, action: str, plans: Sequence[Plan], actor: User | None, **details: Any
) -> None:
    for case_id, purpose in sorted({(p.case_id, p.case.purpose) for p in plans}):
        audit.record_change(
            request,
            action,
            "cases.plan",
            sorted(p.pk for p in plans if p.case_id == case_id),
            actor=actor,
            purpose=purpose,
            details={"case": case_id, **details},
        )


def _task(case: Case, plan: Plan, title: str, description: str) -> Task:
    # No names in a task: the task list is seen by the whole organisation.
    owner = case.care_coordinator
    if owner is not None and owner.organisation_id != case.lead_organisation_id:
        owner = None
    return create_task(
        case.lead_organisation,
        title,
        description=description,
        priority=Priority.HIGH,
        owner_user=owner,
        subject=plan,
        reference=case.reference,
    )


def _close_tasks(tasks: Iterable[Task], *, done: bool, note: str) -> None:
    for task in tasks:
        if task.status not in OPEN_TASK_STATUSES:
            continue
        if done:
            complete_task(task, actor=None, result=note)
        else:
            cancel_task(task, actor=None, reason=note)


# --- Merges --------------------------------------------------------------------------------


def review_plans(entity_ids: Iterable[int] | None = None) -> dict[str, int]:
    """Propose a merge for every person with two or more live plans, and void the open
    proposals whose plans are no longer one person's. ``entity_ids`` limits the review to
    those people (an event names them); without, every plan is reviewed. Idempotent."""
    plans = live_plans().select_related("case").order_by("pk")
    merges = PlanMerge.objects.filter(status=PlanMerge.Status.OPEN)
    if entity_ids is not None:
        family: set[int] = set()
        for entity_id in set(entity_ids):
            if entity_id not in family:
                family |= family_of(entity_id)
        plans = plans.filter(entity_id__in=family)
        merges = merges.filter(plans__entity_id__in=family).distinct()
    by_person: dict[int, list[Plan]] = {}
    listed = list(plans)
    roots = _roots({p.entity_id for p in listed})
    for plan in listed:
        by_person.setdefault(roots[plan.entity_id], []).append(plan)
    voided = 0
    for merge in merges.prefetch_related("plans"):
        mine = [p for p in merge.plans.all() if p.status != PlanStatus.MERGED]
        together = {roots.get(p.entity_id) or current_entity(p.entity_id) for p in mine}
        if len(mine) < 2 or together != {merge.entity_id}:
            _void(merge)
            voided += 1
    proposed = sum(
        1
        for entity_id, together in by_person.items()
        if len(together) >= 2 and _propose(entity_id, together)
    )
    return {"proposed": proposed, "voided": voided}


def _void(merge: PlanMerge) -> None:
    with transaction.atomic():
        locked = PlanMerge.objects.select_for_update().get(pk=merge.pk)
        if locked.status != PlanMerge.Status.OPEN:
            return
        locked.status = PlanMerge.Status.VOID
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at"])
        _close_tasks(
            locked.tasks.all(), done=False, note=_("The plans are no longer of one person.")
        )
        _audit(None, "merge_void", list(locked.plans.select_related("case")), None, merge=locked.pk)


def _propose(entity_id: int, plans: list[Plan]) -> bool:
    """Open a proposal for ``plans`` (one person's), or add plans to the open one; True when
    something new was proposed."""
    with transaction.atomic():
        Entity.objects.select_for_update().filter(pk=entity_id).exists()
        merge = PlanMerge.objects.filter(entity_id=entity_id, status=PlanMerge.Status.OPEN).first()
        known = set(merge.plans.values_list("pk", flat=True)) if merge else set()
        new = [p for p in plans if p.pk not in known]
        if not new:
            return False
        if merge is None:
            merge = PlanMerge.objects.create(entity_id=entity_id)
        merge.plans.add(*new)
        asked = set(
            Task.objects.filter(pk__in=merge.tasks.values("pk")).values_list("reference", flat=True)
        )
        for plan in new:
            case = plan.case
            if case.reference in asked:
                continue
            asked.add(case.reference)
            merge.tasks.add(
                _task(
                    case,
                    plan,
                    _("Two plans for one person: decide on merging (case %(case)s)")
                    % {"case": case.reference},
                    _(
                        "Linkage found that plan %(plan)s is for a person who already has "
                        "another plan. Plans are never merged without the cases that carry "
                        "them: agree on the plan to keep, or decline with a reason."
                    )
                    % {"plan": plan.reference},
                )
            )
        _audit(None, "merge_proposed", plans, None, merge=merge.pk)
    return True


def cases_to_answer(merge: PlanMerge) -> list[Case]:
    """The cases that carry the proposal's live plans, each of which answers it."""
    cases = {
        p.case_id: p.case
        for p in merge.plans.select_related("case").exclude(status=PlanStatus.MERGED)
    }
    return [cases[k] for k in sorted(cases)]


@transaction.atomic
def answer_merge(
    merge: PlanMerge,
    *,
    case: Case,
    agrees: bool,
    actor: User,
    kept_plan: Plan | None = None,
    reason: str = "",
    request: Any = None,
) -> PlanMerge:
    """Record ``case``'s answer. The first agreement names the plan to keep; the last one
    merges; a refusal (with a reason) ends the proposal."""
    locked = PlanMerge.objects.select_for_update().get(pk=merge.pk)
    plans = list(locked.plans.select_related("case").exclude(status=PlanStatus.MERGED))
    own = [p for p in plans if p.case_id == case.pk]
    if not own:
        raise NotAllowed(_("This case carries none of the plans."))
    if not policy.can(actor, "change", own[0]):
        raise NotAllowed(_("Only the lead organisation and the care coordinator change the plan."))
    if locked.status != PlanMerge.Status.OPEN:
        raise Conflict(_("This proposal has already been decided."))
    if locked.answers.filter(case=case).exists():
        raise Conflict(_("This case has already answered."))
    first = locked.answers.filter(agrees=True).order_by("answered_at", "pk").first()
    reason = reason.strip()
    if agrees:
        if first is not None:
            if kept_plan is not None and kept_plan.pk != first.kept_plan_id:
                raise InvalidFields(
                    {"kept_plan": [_("Another case already chose the plan to keep.")]}
                )
            kept_plan = first.kept_plan
        if kept_plan is None or kept_plan.pk not in {p.pk for p in plans}:
            raise InvalidFields({"kept_plan": [_("Choose the plan to keep.")]})
    elif not reason:
        raise InvalidFields({"reason": [_("Say why the plans should stay apart.")]})
    PlanMergeAnswer.objects.create(
        merge=locked,
        case=case,
        agrees=agrees,
        kept_plan=kept_plan if agrees else None,
        reason=reason,
        answered_by=actor,
    )
    _audit(request, "merge_answer", own, actor, merge=locked.pk, agrees=agrees)
    if not agrees:
        locked.status = PlanMerge.Status.DECLINED
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at"])
        _close_tasks(locked.tasks.all(), done=False, note=_("A case declined the merge."))
        return locked
    answered = set(locked.answers.values_list("case_id", flat=True))
    if answered >= {p.case_id for p in plans}:
        assert kept_plan is not None
        _merge(locked, kept_plan, plans, actor, request)
    return locked


def _merge(merge: PlanMerge, kept: Plan, plans: list[Plan], actor: User, request: Any) -> None:
    others = [p for p in plans if p.pk != kept.pk]
    other_ids = [p.pk for p in others]
    PlanObjective.objects.filter(plan_id__in=other_ids).update(plan=kept)
    moved = PlanAction.objects.filter(plan_id__in=other_ids)
    # The actions' tasks now belong to the kept plan and its case's file.
    Task.objects.filter(pk__in=moved.values("task_id")).update(
        subject_type=ContentType.objects.get_for_model(Plan),
        subject_id=str(kept.pk),
        reference=kept.case.reference,
    )
    moved.update(plan=kept)
    today = timezone.localdate()
    for other in others:
        other.status = PlanStatus.MERGED
        other.merged_into = kept
        other.ended_on = today
        other.save(update_fields=["status", "merged_into", "ended_on"])
        PlanStatusChange.objects.create(plan=other, status=PlanStatus.MERGED, changed_by=actor)
    if kept.next_review_on is None or any(
        o.next_review_on and o.next_review_on < kept.next_review_on for o in others
    ):
        dates = [p.next_review_on for p in plans if p.next_review_on]
        if dates:
            kept.next_review_on = min(dates)
            kept.save(update_fields=["next_review_on"])
    merge.status = PlanMerge.Status.MERGED
    merge.kept_plan = kept
    merge.closed_at = timezone.now()
    merge.save(update_fields=["status", "kept_plan", "closed_at"])
    _close_tasks(merge.tasks.all(), done=True, note=_("The plans were merged."))
    _audit(request, "merge", plans, actor, merge=merge.pk, kept=kept.pk)


# --- Splits --------------------------------------------------------------------------------


def split_entity(original: Entity, parts: Sequence[Entity]) -> list[PlanSplitChoice]:
    """Linkage split ``original``: each live plan of that person asks its case to choose the
    entity that keeps it. Idempotent (one open choice per plan)."""
    family = family_of(original.pk)
    options = [original.pk, *(p.pk for p in parts)]
    made = []
    for plan in live_plans().filter(entity_id__in=family).select_related("case"):
        with transaction.atomic():
            Plan.objects.select_for_update().filter(pk=plan.pk).exists()
            choice = open_split_for(plan)
            if choice is not None:
                choice.options.add(*options)
                continue
            choice = PlanSplitChoice.objects.create(plan=plan, original=original)
            choice.options.add(*options)
            choice.task = _task(
                plan.case,
                plan,
                _("A person was split: choose who keeps plan %(plan)s (case %(case)s)")
                % {"plan": plan.reference, "case": plan.case.reference},
                _(
                    "Linkage split the person plan %(plan)s is for into more than one. The "
                    "plan stays where it is until you choose the person it belongs to."
                )
                % {"plan": plan.reference},
            )
            choice.save(update_fields=["task"])
            _audit(None, "split_noticed", [plan], None, choice=choice.pk, original=original.pk)
            made.append(choice)
    return made


@transaction.atomic
def choose_after_split(
    choice: PlanSplitChoice, *, entity: Entity | None, actor: User, request: Any = None
) -> Plan:
    """The plan goes with ``entity`` (one of the choice's options that is a person now and
    has no plan made for it); the plan's person in the case follows. Open merge proposals
    are reviewed after: the choice may part two plans or put them on one person."""
    locked = (
        PlanSplitChoice.objects.select_for_update().select_related("plan__case").get(pk=choice.pk)
    )
    plan = locked.plan
    if not policy.can(actor, "change", plan):
        raise NotAllowed(_("Only the lead organisation and the care coordinator change the plan."))
    if locked.status != PlanSplitChoice.Status.OPEN:
        raise Conflict(_("This choice has already been made."))
    problem = ""
    if entity is None or not locked.options.filter(pk=entity.pk).exists():
        problem = _("Choose one of the people the entity was split into.")
    elif entity.merged_into_id is not None:
        problem = _("This person was merged into another since; choose again.")
    elif Plan.objects.filter(entity=entity).exclude(pk=plan.pk).exists():
        # Another plan made for this very entity: one plan per person. (A plan made for an
        # entity merged into this one is not refused: the review below proposes a merge.)
        problem = _("This person already has a plan.")
    if problem:
        raise InvalidFields({"entity": [problem]})
    assert entity is not None
    if plan.entity_id != entity.pk:
        person = plan.person
        same = plan.case.people.filter(entity=entity).first()
        if same is not None and not Plan.objects.filter(person=same).exists():
            plan.person = same
        elif same is None:
            CasePerson.objects.filter(pk=person.pk).update(entity=entity)
        plan.entity = entity
        plan.save(update_fields=["person", "entity"])
    locked.status = PlanSplitChoice.Status.CHOSEN
    locked.chosen = entity
    locked.chosen_by = actor
    locked.chosen_at = timezone.now()
    locked.save(update_fields=["status", "chosen", "chosen_by", "chosen_at"])
    if locked.task is not None:
        _close_tasks([locked.task], done=True, note=_("The plan's person was chosen."))
    _audit(request, "split_choice", [plan], actor, choice=locked.pk, entity=entity.pk)
    review_plans([entity.pk, locked.original_id])
    return plan


def run_plan_follow_entities() -> str:
    """The periodic job: proposals for every person with two plans, void ones ended."""
    result = review_plans()
    return _("%(proposed)d plan merges proposed, %(voided)d void") % result
