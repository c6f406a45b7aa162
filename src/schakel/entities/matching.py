"""Matching right after intake: a new person mention against the entities already known.

Candidates come from indexed blocking keys in the main database (the same name, the same
name and year of birth, the same phone number, e-mail address or identity number) — never
from DuckDB, which belongs to the batch run's process. Each candidate is scored in Python with
the parameters of the last successful batch run (``linkage.score``). A candidate the model
links (probability at the run's threshold, with identifying evidence) joins the new mention
to its entity; one in the review band becomes a suggestion for the analysts. Judgements hold
here too: the grouping is ``review.resolve_around``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from schakel.entities.linking import person_records
from schakel.entities.models import BlockingKey, LinkageRun, Mention, Schema, Suggestion
from schakel.entities.review import priorities, resolve_around
from schakel.rows import insert_rows

log = logging.getLogger(__name__)

#: Keys that find candidates; a date of birth alone is too common to be one.
CANDIDATE_KEYS = ("name", "name_born", "phone", "email", "identity")
MAX_CANDIDATES = 200


@dataclass
class MatchOutcome:
    mentions: int = 0
    candidates: int = 0
    joined: int = 0
    suggested: int = 0
    # Seconds spent finding and scoring the candidates, and writing what was found (the
    # suggestions and the regrouping around the links).
    scoring_seconds: float = 0.0
    writing_seconds: float = 0.0


def latest_model(schema: str = Schema.PERSON) -> LinkageRun | None:
    return (
        LinkageRun.objects.filter(
            kind=LinkageRun.Kind.BATCH, schema=schema, status=LinkageRun.Status.DONE
        )
        .exclude(model={})
        .order_by("-started_at", "-pk")
        .first()
    )


def _intake_run(batch: LinkageRun) -> LinkageRun:
    """The run record that the pairs matching after intake finds belong to: one per batch
    run's model, made by the first matching after it (not one per signal)."""
    found = (
        LinkageRun.objects.filter(
            kind=LinkageRun.Kind.INTAKE,
            schema=batch.schema,
            started_at__gte=batch.started_at,
            threshold=batch.threshold,
            review_threshold=batch.review_threshold,
        )
        .order_by("-started_at", "-pk")
        .only("pk", "started_at")
        .first()
    )
    if found is not None:
        return found
    return LinkageRun.objects.create(
        kind=LinkageRun.Kind.INTAKE,
        schema=batch.schema,
        status=LinkageRun.Status.DONE,
        threshold=batch.threshold,
        review_threshold=batch.review_threshold,
        finished_at=timezone.now(),
    )


def candidates_for(mention_id: int, signal_id: int) -> list[int]:
    """Person mentions of other signals sharing a candidate key with this one, newest
    first, at most ``MAX_CANDIDATES``."""
    keys = BlockingKey.objects.filter(mention_id=mention_id, kind__in=CANDIDATE_KEYS)
    found = (
        BlockingKey.objects.filter(
            kind__in=CANDIDATE_KEYS,
            value__in=keys.values("value"),
            mention__schema=Schema.PERSON,
        )
        .exclude(mention__signal_id=signal_id)
        .order_by("-mention_id")
        .values_list("mention_id", flat=True)
        .distinct()
    )
    # Rows of another kind with the same value (a phone number equal to a name key cannot
    # happen, but the filter above does not pair kinds) are scored and fall away.
    return list(found[:MAX_CANDIDATES])


def match_mentions(mention_ids: Iterable[int]) -> MatchOutcome:
    """Match new person mentions against what is known; safe to run again."""
    outcome = MatchOutcome()
    run = latest_model()
    ids = list(
        Mention.objects.filter(pk__in=list(mention_ids), schema=Schema.PERSON).values_list(
            "pk", "signal_id"
        )
    )
    if run is None or not ids:
        return outcome
    from schakel.entities import linkage

    try:
        linkage.kind_of_model(run.model)
    except linkage.ModelMismatch:
        # A new version compares differently from the model saved by the last batch run:
        # nothing can be scored with it until the next run (the mentions are resolved and
        # bundled by their exact keys meanwhile).
        log.warning(
            "intake matching waits for a batch run: the saved model predates the current "
            "comparisons (run `schakel link`)",
            extra={"run": run.pk},
        )
        return outcome

    intake_run = _intake_run(run)
    rows: list[Suggestion] = []
    around: set[int] = set()
    started = time.perf_counter()
    for mention_id, signal_id in ids:
        candidate_ids = candidates_for(mention_id, signal_id)
        outcome.mentions += 1
        if not candidate_ids:
            continue
        outcome.candidates += len(candidate_ids)
        records = {r["unique_id"]: r for r in person_records([mention_id, *candidate_ids])}
        scored = linkage.score(
            run.model, records[mention_id], [records[c] for c in candidate_ids if c in records]
        )
        for candidate in scored:
            if candidate.match_probability < run.review_threshold:
                continue
            links = candidate.links(run.threshold)
            left, right = sorted((mention_id, int(candidate.unique_id)))
            rows.append(
                Suggestion(
                    left_id=left,
                    right_id=right,
                    run=intake_run,
                    probability=candidate.match_probability,
                    match_weight=candidate.match_weight,
                    links=links,
                    explanation=[
                        {
                            "comparison": w.comparison,
                            "label": w.level,
                            "weight": round(w.match_weight, 3),
                        }
                        for w in candidate.comparisons
                    ],
                    is_open=not links,
                )
            )
            outcome.joined += int(links)
            outcome.suggested += int(not links)
            if links:
                around.update((left, right))
    scored_at = time.perf_counter()
    outcome.scoring_seconds = scored_at - started
    if not rows:
        return outcome
    # One transaction and one regrouping for all the signal's people (not one per person).
    with transaction.atomic():
        mentions = Mention.objects.in_bulk({m for row in rows for m in (row.left_id, row.right_id)})
        ranks = priorities(
            [
                (row.probability, mentions[row.left_id].entity_id, mentions[row.right_id].entity_id)
                for row in rows
            ]
        )
        for row, rank in zip(rows, ranks, strict=True):
            row.priority = rank
        insert_rows(Suggestion, rows)
        if around:
            resolve_around([mentions[m] for m in sorted(around)])
    outcome.writing_seconds = time.perf_counter() - scored_at
    return outcome


def match_signals(signal_ids: Iterable[int]) -> MatchOutcome:
    """The person mentions of these signals against what is known."""
    mentions = Mention.objects.filter(
        signal_id__in=list(signal_ids), schema=Schema.PERSON
    ).values_list("pk", flat=True)
    return match_mentions(list(mentions))
