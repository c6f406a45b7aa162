"""The cases context listens to the signal table — a decision to open a case opens one — and
to linkage: plans follow merged and split people (``schakel.cases.following``).

The table sends ``table_decision_recorded`` after its transaction commits and never waits
for us. Opening is idempotent (``services.open_case_for_decision``), so the event may come
twice, and a periodic sweep (``schakel_periodic cases-from-decisions``) opens what a failed
delivery missed.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone

from schakel.cases import following
from schakel.cases.models import Case, Plan
from schakel.cases.services import open_case_for_decision
from schakel.entities.events import entities_merged, entity_split
from schakel.entities.models import Entity
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


def _may_hold_plans(entity_ids: list[int]) -> bool:
    """Whether a plan was made for one of these entities or one merged into them: one query,
    so that a batch run's thousands of merges of people without plans cost little (on FEBRL4,
    4,977 merges: the run took 13.6 s with a full review per merge, 9.5 s with this). A plan
    further down a chain of merges is found by the periodic job ``plan-follow-entities``."""
    return Plan.objects.filter(
        Q(entity_id__in=entity_ids) | Q(entity__merged_into_id__in=entity_ids)
    ).exists()


@receiver(entities_merged, sender=Entity, dispatch_uid="cases.plans_follow_merge")
def plans_follow_merge(
    sender: type[Entity], kept: Entity, absorbed: list[Entity], **kwargs: Any
) -> None:
    if not _may_hold_plans([kept.pk, *(e.pk for e in absorbed)]):
        return
    try:
        following.review_plans([kept.pk])
    except Exception:
        # The periodic job ``plan-follow-entities`` proposes what this missed.
        logger.exception("plans not reviewed after a merge", extra={"entity": kept.pk})


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
