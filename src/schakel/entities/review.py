"""The review queue and analysts' judgements.

The queue holds the pairs linkage was unsure of, ordered by uncertainty times impact: a pair the
model scores near 0.5 that would join many signals of many partners comes first. A judgement
is an append-only record (who, when, the model's probability then, why); it takes effect at
once on the two entities involved, and every later run keeps to it (``clustering``).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from schakel.access import policy
from schakel.audit import services as audit
from schakel.entities.clustering import (
    Changes,
    apply_plan_here,
    attachable_pairs,
    corroborated_pairs,
    exact_key_pairs,
    group_mentions,
    joining_probability,
    plan_groups,
    read_surroundings,
    sharing_exact_keys,
)
from schakel.entities.explanations import expand, expand_all
from schakel.entities.models import Entity, Judgement, Mention, Suggestion
from schakel.entities.services import EXACT_KEYS, SIGNAL_ACCESS, mentions_shown_to
from schakel.errors import Conflict, InvalidInput, NotFound
from schakel.signals.intake import MAX_ROW_ID

#: Open pairs read at a time while the queue is filled.
QUEUE_CHUNK = 200


def uncertainty(probability: float) -> float:
    """1 at a probability of 0.5, 0 at 0 or 1."""
    return 1.0 - abs(2.0 * probability - 1.0)


def priorities(pairs: Sequence[tuple[float, int | None, int | None]]) -> list[float]:
    """Uncertainty times impact for each (probability, left entity id, right entity id), with
    one query for all: impact is what a merge of the two entities would join — their signals,
    and their partners counted twice (joining what two organisations know matters most)."""
    entities = {e for _p, left, right in pairs for e in (left, right) if e is not None}
    return priorities_among(
        pairs,
        Mention.objects.filter(entity_id__in=entities).values_list(
            "entity_id", "signal_id", "organisation_id"
        ),
    )


def priorities_among(
    pairs: Sequence[tuple[float, int | None, int | None]],
    mentions: Iterable[tuple[int | None, int, int]],
) -> list[float]:
    """``priorities`` with the mentions (entity, signal, organisation) already read: every
    mention of the pairs' entities, and any others (they are not counted)."""
    signals: dict[int | None, set[int]] = defaultdict(set)
    partners: dict[int | None, set[int]] = defaultdict(set)
    for entity, signal, organisation in mentions:
        if entity is None:
            continue
        signals[entity].add(signal)
        partners[entity].add(organisation)
    return [
        uncertainty(probability)
        * (len(signals[left] | signals[right]) + 2 * len(partners[left] | partners[right]))
        for probability, left, right in pairs
    ]


def priority(probability: float, left: Entity | None, right: Entity | None) -> float:
    (value,) = priorities([(probability, left.pk if left else None, right.pk if right else None)])
    return value


@dataclass(frozen=True)
class QueueItem:
    suggestion: Suggestion
    left: Mention
    right: Mention
    # The suggestion's explanation: [{"comparison", "label", "weight"}, ...].
    parts: list[dict[str, Any]]


def may_review(user: Any) -> bool:
    """Whether the matrix lets the user judge suggestions at all."""
    probe = Suggestion(probability=0.5, match_weight=0)
    return policy.can(user, "judge", probe)


def review_queue(user: Any, *, limit: int = 25) -> list[QueueItem]:
    """Open suggestions the user may judge, most urgent first: only pairs whose two mentions
    the user may see in full."""
    suggestions = policy.visible(user, Suggestion.objects.filter(is_open=True), action="judge")
    chosen: list[Suggestion] = []
    batch = (
        suggestions.select_related("left__signal", "right__signal")
        .prefetch_related(
            *(f"{side}__{path}" for side in ("left", "right") for path in SIGNAL_ACCESS)
        )
        .order_by("-priority", "pk")
    )
    # A chunk at a time: its signals' sharing read together, each signal decided once.
    rows = batch.iterator(chunk_size=QUEUE_CHUNK)
    while chunk := list(islice(rows, QUEUE_CHUNK)):
        shown = {
            m.pk for m in mentions_shown_to(user, [m for s in chunk for m in (s.left, s.right)])
        }
        chosen += [s for s in chunk if {s.left_id, s.right_id} <= shown]
        if len(chosen) >= limit:
            break
    chosen = chosen[:limit]
    parts = expand_all(chosen)
    return [QueueItem(s, s.left, s.right, parts[s.pk]) for s in chosen]


def _may_judge(user: Any, left: Mention, right: Mention, suggestion: Suggestion | None) -> bool:
    if suggestion is not None and not policy.can(user, "judge", suggestion):
        return False
    if suggestion is None and not may_review(user):
        return False
    shown = {m.pk for m in mentions_shown_to(user, [left, right])}
    return {left.pk, right.pk} <= shown


@transaction.atomic
def judge(
    user: Any,
    left: Mention,
    right: Mention,
    verdict: str,
    *,
    reason: str,
    suggestion: Suggestion | None = None,
    request: Any = None,
) -> tuple[Judgement, Changes]:
    """Record a judgement on two mentions and apply it to their entities at once."""
    judgement = _record(user, left, right, verdict, reason, suggestion, request)
    return judgement, resolve_around([left, right])


def _record(
    user: Any,
    left: Mention,
    right: Mention,
    verdict: str,
    reason: str,
    suggestion: Suggestion | None,
    request: Any,
    split: uuid.UUID | None = None,
) -> Judgement:
    """A judgement recorded and audited, not yet applied to the entities. ``split``: the key
    the judgements of one split share."""
    if not _may_judge(user, left, right, suggestion):
        raise NotFound()
    if verdict not in {
        Judgement.Verdict.SAME,
        Judgement.Verdict.NOT_SAME,
        Judgement.Verdict.UNSURE,
    }:
        raise InvalidInput(_("Choose: the same, not the same, or unsure."), field="verdict")
    if not reason.strip():
        raise InvalidInput(_("Say why: a judgement needs a reason."), field="reason")
    if left.pk == right.pk or left.schema != right.schema:
        raise InvalidInput(_("Judge two different mentions of the same type."), field="verdict")
    judgement = Judgement.objects.create(
        left=left,
        right=right,
        verdict=verdict,
        reason=reason.strip(),
        score=suggestion.probability if suggestion else None,
        suggestion=suggestion,
        judged_by=user,
        split=split,
    )
    if suggestion is not None:
        Suggestion.objects.filter(pk=suggestion.pk).update(is_open=False)
    Suggestion.objects.filter(
        Q(left=left, right=right) | Q(left=right, right=left), is_open=True
    ).update(is_open=False)
    audit.record_change(
        request,
        "judge",
        "entities.judgement",
        [judgement.pk],
        actor=user,
        details={"verdict": verdict, "mentions": sorted([left.pk, right.pk])},
    )
    return judgement


@transaction.atomic
def withdraw(user: Any, judgement: Judgement, *, reason: str, request: Any = None) -> Judgement:
    """Withdraw a judgement: a new record; the entities follow the model again. A judgement
    is withdrawn once, and a withdrawal is not itself withdrawn (judge the pair again).
    Withdrawn alone, one judgement of a split does not make the records one entity again
    while the others stand (``withdraw_split`` withdraws them together)."""
    (withdrawal,) = _withdraw_together(user, judgement, [judgement], reason, request)
    return withdrawal


@transaction.atomic
def withdraw_split(
    user: Any, judgement: Judgement, *, reason: str, request: Any = None
) -> list[Judgement]:
    """Withdraw the split ``judgement`` was made in: a withdrawal of each of its standing
    judgements whose two records the user may see in full (the others stay, unseen), and
    the records grouped again once, as ``split_off`` applied them. A judgement made on its
    own is withdrawn alone."""
    return _withdraw_together(user, judgement, _split_of(user, judgement), reason, request)


def _split_of(user: Any, judgement: Judgement) -> list[Judgement]:
    """The judgements of the split ``judgement`` was made in (itself among them) whose two
    records the user may see in full; just ``judgement`` if it was made on its own."""
    if judgement.split is None or judgement.verdict != Judgement.Verdict.NOT_SAME:
        return [judgement]
    made = list(
        _with_their_records(
            Judgement.objects.filter(split=judgement.split, verdict=Judgement.Verdict.NOT_SAME)
        ).order_by("pk")
    )
    shown = {m.pk for m in mentions_shown_to(user, [m for j in made for m in (j.left, j.right)])}
    return [j for j in made if {j.left_id, j.right_id} <= shown or j.pk == judgement.pk]


def _withdraw_together(
    user: Any, judgement: Judgement, together: list[Judgement], reason: str, request: Any
) -> list[Judgement]:
    """Withdraw ``judgement`` and the standing ones of ``together`` (judgements it was made
    with), each a new audited record, and group their records again once."""
    if not _may_judge(user, judgement.left, judgement.right, None):
        raise NotFound()
    if judgement.verdict == Judgement.Verdict.WITHDRAWN:
        raise Conflict(_("This is a withdrawal; it cannot be withdrawn itself."))
    # Locked, so that two analysts withdrawing them at the same moment make one withdrawal.
    ids = [j.pk for j in together]
    list(Judgement.objects.select_for_update().filter(pk__in=ids).values_list("pk"))
    withdrawn = set(
        Judgement.objects.filter(withdraws_id__in=ids).values_list("withdraws_id", flat=True)
    )
    if judgement.pk in withdrawn:
        raise Conflict(_("This judgement was withdrawn already."))
    if not reason.strip():
        raise InvalidInput(_("Say why: a judgement needs a reason."), field="reason")
    standing = [j for j in together if j.pk not in withdrawn]
    withdrawals = []
    for withdrawn_now in standing:
        withdrawal = Judgement.objects.create(
            left=withdrawn_now.left,
            right=withdrawn_now.right,
            verdict=Judgement.Verdict.WITHDRAWN,
            reason=reason.strip(),
            withdraws=withdrawn_now,
            judged_by=user,
        )
        audit.record_change(
            request,
            "judge_withdraw",
            "entities.judgement",
            [withdrawal.pk],
            actor=user,
            details={"split": str(judgement.split)} if len(standing) > 1 else None,
        )
        withdrawals.append(withdrawal)
    # Applied once, when none of them stands any more (as ``split_off`` applies them).
    resolve_around([m for j in standing for m in (j.left, j.right)])
    return withdrawals


@dataclass(frozen=True)
class JudgementEntry:
    """A judgement on two mentions, with its withdrawal (who, when, why) if it was withdrawn:
    the history stays readable, and only a standing judgement is withdrawn."""

    judgement: Judgement
    withdrawal: Judgement | None
    # The other standing judgements of the split it was made in, as far as the user may see
    # both records of each: while they stand, withdrawing this one alone does not make the
    # records one entity again (it may join the split record to this one's other record alone).
    split_standing: tuple[Judgement, ...] = ()

    @property
    def standing(self) -> bool:
        return self.withdrawal is None

    @property
    def withdrawable(self) -> bool:
        """Standing, and a judgement rather than a withdrawal (``withdraw`` refuses both)."""
        return self.standing and self.judgement.verdict != Judgement.Verdict.WITHDRAWN

    @property
    def split_withdrawable(self) -> bool:
        """Withdrawable, and made in a split with others that still stand."""
        return self.withdrawable and bool(self.split_standing)

    @property
    def split_judgements(self) -> tuple[Judgement, ...]:
        """The judgements ``withdraw_split`` would withdraw (this one first)."""
        return (self.judgement, *self.split_standing)


def _with_their_records(judgements: QuerySet[Judgement]) -> QuerySet[Judgement]:
    """With what showing a judgement reads: who judged, and each mention's signal (with its
    sharing, for the access decision), organisation and entity."""
    return judgements.select_related(
        "judged_by__organisation",
        *(f"{side}__{to}" for side in ("left", "right") for to in ("signal", "organisation")),
        "left__entity",
        "right__entity",
    ).prefetch_related(*(f"{side}__{path}" for side in ("left", "right") for path in SIGNAL_ACCESS))


def _withdrawals(judgement_ids: list[int]) -> dict[int, Judgement]:
    """The withdrawal of each of these judgements that has one (the first, should a race
    before the lock in ``withdraw`` have made two)."""
    found: dict[int, Judgement] = {}
    for withdrawal in (
        Judgement.objects.filter(withdraws_id__in=judgement_ids)
        .select_related("judged_by__organisation")
        .order_by("judged_at", "pk")
    ):
        assert withdrawal.withdraws_id is not None
        found.setdefault(withdrawal.withdraws_id, withdrawal)
    return found


def judgements_about(user: Any, mentions: Iterable[Mention]) -> list[JudgementEntry]:
    """The judgements on these mentions (with each other, or with any other mention), newest
    first, each with its withdrawal: only those whose two mentions the user may see in full,
    so that neither a hidden record nor the reason given about it is shown. A withdrawal is
    not listed apart: it is shown with the judgement it withdraws."""
    ids = [m.pk for m in mentions]
    found = list(
        _with_their_records(
            Judgement.objects.filter(Q(left_id__in=ids) | Q(right_id__in=ids)).exclude(
                verdict=Judgement.Verdict.WITHDRAWN
            )
        ).order_by("-judged_at", "-pk")
    )
    shown = {m.pk for m in mentions_shown_to(user, [m for j in found for m in (j.left, j.right)])}
    found = [j for j in found if {j.left_id, j.right_id} <= shown]
    withdrawals = _withdrawals([j.pk for j in found])
    splits = _standing_in_splits(user, {j.split for j in found if j.split is not None})
    return [JudgementEntry(j, withdrawals.get(j.pk), _others_in_split(j, splits)) for j in found]


def _standing_in_splits(user: Any, keys: set[uuid.UUID]) -> dict[uuid.UUID, list[Judgement]]:
    """The standing judgements of these splits whose two records the user may see in full."""
    if not keys:
        return {}
    made = list(
        _with_their_records(
            Judgement.objects.filter(
                split__in=keys, verdict=Judgement.Verdict.NOT_SAME, withdrawn_by__isnull=True
            )
        ).order_by("pk")
    )
    shown = {m.pk for m in mentions_shown_to(user, [m for j in made for m in (j.left, j.right)])}
    found: dict[uuid.UUID, list[Judgement]] = defaultdict(list)
    for judgement in made:
        if judgement.split is not None and {judgement.left_id, judgement.right_id} <= shown:
            found[judgement.split].append(judgement)
    return found


def _others_in_split(
    judgement: Judgement, splits: dict[uuid.UUID, list[Judgement]]
) -> tuple[Judgement, ...]:
    if judgement.split is None:
        return ()
    return tuple(j for j in splits.get(judgement.split, []) if j.pk != judgement.pk)


def get_judgement_for_user(user: Any, pk: Any) -> JudgementEntry:
    """The judgement ``pk`` with its withdrawal, for a user who may judge its two mentions
    (the review right, and both mentions in full); NotFound otherwise, whether it exists or
    not."""
    ours = str(pk).isdigit() and 0 < int(pk) <= MAX_ROW_ID
    judgement = _with_their_records(Judgement.objects.filter(pk=pk)).first() if ours else None
    if judgement is None or not _may_judge(user, judgement.left, judgement.right, None):
        raise NotFound()
    splits = _standing_in_splits(user, {judgement.split} if judgement.split else set())
    return JudgementEntry(
        judgement,
        _withdrawals([judgement.pk]).get(judgement.pk),
        _others_in_split(judgement, splits),
    )


def resolve_around(mentions: list[Mention]) -> Changes:
    """Group again the mentions of the entities these mentions belong to (all of one schema),
    with the scored pairs of the latest batch run among them, their exact keys and every
    standing judgement."""
    return resolve_around_ids(mentions[0].schema, [m.pk for m in mentions])


@transaction.atomic(savepoint=False)
def resolve_around_ids(schema: str, mention_ids: Sequence[int]) -> Changes:
    """``resolve_around`` by the mentions' ids: what it needs read in one round trip
    (``clustering.read_surroundings``). In one transaction; inside a caller's, without a
    savepoint of its own (matching after intake does this for every signal): a failure
    rolls back the caller's transaction as a whole."""
    named: set[int] = set()
    if schema in EXACT_KEYS:
        # With every mention of their exact keys (an IBAN, a plate, a Dutch postcode with
        # house number), though a judgement has put one apart: the key may join it to the
        # rest again. (People have none: matching after intake needs no such read.)
        entity_ids = Mention.objects.filter(
            pk__in=list(mention_ids), entity__isnull=False
        ).values_list("entity_id", flat=True)
        named = set(Mention.objects.filter(entity_id__in=entity_ids).values_list("pk", flat=True))
        named |= sharing_exact_keys(schema, named | set(mention_ids))
    around = read_surroundings(schema, mention_ids, named)
    component = set(around.current)
    threshold = around.threshold
    rows = [
        (left, right, probability, links, expand(explanation, around.layouts.get(run_id)), weight)
        for left, right, probability, links, explanation, weight, run_id in around.scored
    ]
    pairs = [
        (left, right, joining_probability(probability, links, threshold))
        for left, right, probability, links, _explanation, _weight in rows
    ]
    person = around.born is not None
    judgements = around.judgements
    # An IBAN, a plate, a Dutch postcode with house number: what joins them in a batch run
    # joins them here too (the run does not store these pairs).
    pairs += exact_key_pairs(schema, among=component, apart=judgements.not_same)
    groups, _refused = group_mentions(
        component,
        pairs,
        threshold,
        judgements,
        around.born,
        corroborated_pairs((a, b, e) for a, b, _p, _l, e, _w in rows) if person else (),
        attachable_pairs((a, b, e, w) for a, b, _p, _l, e, w in rows) if person else (),
        seen_with=around.seen_with,
    )
    plan = plan_groups(schema, groups, known=around.current)
    plan.merged_away = around.merged_away
    return apply_plan_here(plan)


def split_off(
    user: Any, entity: Entity, mention: Mention, *, reason: str, request: Any = None
) -> list[Judgement]:
    """ "This one is not the same as the rest": a not-the-same judgement between ``mention``
    and each other mention of the entity the user may see; the entity splits at once."""
    others = [
        m
        for m in mentions_shown_to(user, entity.mentions.select_related("signal"))
        if m.pk != mention.pk
    ]
    if mention.entity_id != entity.pk or not others:
        raise NotFound()
    # One key for the split's judgements: it is withdrawn as it was made (``withdraw_split``).
    split = uuid.uuid4()
    with transaction.atomic():
        made = [
            _record(user, mention, other, Judgement.Verdict.NOT_SAME, reason, None, request, split)
            for other in others
        ]
        # Applied once, when every judgement stands: applied one by one, the first regrouping
        # (with only "not the same as B" standing) could keep the split record with C and move
        # B out, and the next one, no longer seeing B, split C off as well.
        resolve_around([mention, *others])
    return made
