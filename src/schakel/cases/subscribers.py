"""The cases context listens to the signal table — a decision to open a case opens one — and
to linkage: plans follow merged and split people (``schakel.cases.following``).

The table sends ``table_decision_recorded`` after its transaction commits and never waits
for us. Opening is idempotent (``services.open_case_for_decision``), so the event may come
twice, and a periodic sweep (``schakel_periodic cases-from-decisions``) opens what a failed
delivery missed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.dispatch import receiver
from django.utils import timezone

from schakel.cases import following
from schakel.cases.models import Case, Plan
from schakel.cases.services import open_case_for_decision
from schakel.entities.events import entities_regrouped, entity_split
from schakel.entities.models import Entity
from schakel.rows import Values
from schakel.signaltable.models import Decision, Outcome
from schakel.signaltable.services import current_decisions, table_decision_recorded

logger = logging.getLogger(__name__)

#: How far back the sweep looks for decisions without their case.
SWEEP_DAYS = 90


@receiver(table_decision_recorded, sender=Decision, dispatch_uid="cases.open_for_decision")
def open_case_when_decided(sender: type[Decision], decision: Decision, **kwargs: Any) -> None:
    if decision.outcome != Outcome.OPEN_CASE:
        return
    try:
        open_case_for_decision(decision)
    except Exception:
        # The decision stands (it committed); the sweep opens the case later. Ids only: the
        # log never holds personal data.
        logger.exception("case not opened for decision", extra={"decision": decision.pk})


def open_missing_cases() -> str:
    """Open the cases of recent open-case decisions that have none; safe to run again."""
    since = timezone.now() - timedelta(days=SWEEP_DAYS)
    decisions = list(
        current_decisions(
            Decision.objects.filter(outcome=Outcome.OPEN_CASE, decided_at__gte=since)
        ).select_related("meeting__group__chair_organisation", "decided_by")
    )
    before = Case.objects.count()
    for decision in decisions:
        try:
            open_case_for_decision(decision)
        except Exception:
            logger.exception("case not opened for decision", extra={"decision": decision.pk})
    opened = Case.objects.count() - before
    return f"{opened} cases opened from {len(decisions)} open-case decisions checked"


# --- Entities: plans follow merges and splits (``schakel.cases.following``) ----------------


#: Entity ids per query when looking for plans among a regrouping's merges.
PLAN_LOOKUP_CHUNK = 1_000


def _holding_plans(entity_ids: set[int]) -> set[int]:
    """Those of ``entity_ids`` that a plan was made for, or that an entity a plan was made for
    was merged into. A few ids (matching after intake) are looked up; for more than
    ``PLAN_LOOKUP_CHUNK`` (a batch run's hundreds of thousands of merges) every plan's person
    is read once instead, in one query: plans are one per victim, few beside the entities
    (on the million-mention demo the lookup per thousand ids took 14 s of the run). A plan
    further down a chain of merges is found by the periodic job ``plan-follow-entities``."""
    if not entity_ids:
        return set()
    rows: Iterable[tuple[Any, ...]]
    if len(entity_ids) <= PLAN_LOOKUP_CHUNK:
        ids = tuple(sorted(entity_ids))
        rows = _PLANS_OF.fetch([ids, ids])
    else:
        rows = Plan.objects.values_list("entity_id", "entity__merged_into_id")
    found: set[int] = set()
    for entity, merged_into in rows:
        found.update(e for e in (entity, merged_into) if e is not None)
    return found & entity_ids


# The plans' persons among the entities named or merged into one of them, and what each was
# merged into: the entities found by their indexes first (a condition on the joined entity
# made PostgreSQL read every plan's entity, or walk the entities' key index up to the highest
# a plan holds, on every regrouping after intake); written once (regrouping after intake
# asks for every signal).
_PLANS_OF = Values(
    [(Plan, "entity"), (Entity, "merged_into")],
    "FROM {Plan} LEFT JOIN {Entity} ON {Entity.id} = {Plan.entity} WHERE {Plan.entity} IN "
    "(SELECT e.id FROM {Entity} e WHERE e.id IN %s "
    "UNION ALL SELECT e.id FROM {Entity} e WHERE e.merged_into_id IN %s)",
    models=[Plan, Entity],
)


@receiver(entities_regrouped, sender=Entity, dispatch_uid="cases.plans_follow_merges")
def plans_follow_merges(
    sender: type[Entity],
    merges: list[tuple[int, list[int]]],
    splits: list[tuple[int, list[int]]],
    **kwargs: Any,
) -> None:
    """Review the plans of every merge that concerns a person with a plan; all the
    regrouping's merges are looked up together."""
    if not merges:
        return
    holding = _holding_plans({e for kept, gone in merges for e in (kept, *gone)})
    for kept, gone in merges:
        if holding.isdisjoint((kept, *gone)):
            continue
        try:
            following.review_plans([kept])
        except Exception:
            # The periodic job ``plan-follow-entities`` proposes what this missed.
            logger.exception("plans not reviewed after a merge", extra={"entity": kept})


@receiver(entity_split, sender=Entity, dispatch_uid="cases.plans_follow_split")
def plans_follow_split(
    sender: type[Entity], original: Entity, parts: list[Entity], **kwargs: Any
) -> None:
    # Splits are few; whether the split person had a plan is looked up along every merge.
    family = following.family_of(original.pk) | {p.pk for p in parts}
    if not Plan.objects.filter(entity_id__in=family).exists():
        return
    try:
        following.split_entity(original, parts)
        following.review_plans([original.pk, *(p.pk for p in parts)])
    except Exception:
        logger.exception("plans not reviewed after a split", extra={"entity": original.pk})
