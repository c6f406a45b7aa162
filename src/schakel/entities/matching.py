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
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from schakel.entities.explanations import compact, layout_of
from schakel.entities.linking import KIND_OF_SCHEMA, person_records
from schakel.entities.models import (
    BlockingKey,
    LinkageRun,
    Mention,
    MentionRecord,
    Schema,
    Suggestion,
    TermFrequency,
)
from schakel.entities.review import priorities_among, resolve_around_ids
from schakel.entities.services import RESOLVE_BATCH, resolve_new_mentions
from schakel.rows import Values, fetch_together, insert_rows

log = logging.getLogger(__name__)

#: Keys that find candidates; a date of birth alone is too common to be one. One name with
#: the date of birth finds a record whose other name has a typing error.
CANDIDATE_KEYS = (
    "name",
    "name_born",
    "family_dob",
    "given_dob",
    "phone",
    "email",
    "identity",
)
MAX_CANDIDATES = 200

# Matching's reads, each written once (``schakel.rows.Values``).
_NEW_PEOPLE = Values(
    [(Mention, "record"), (MentionRecord, "signal")],
    "FROM {Mention} JOIN {MentionRecord} ON {MentionRecord.id} = {Mention.record} "
    "WHERE {MentionRecord.schema} = %s AND {Mention.record} IN %s ORDER BY {Mention.record}",
    models=[Mention, MentionRecord],
)
_KEYS_OF = Values(
    [(BlockingKey, "mention"), (BlockingKey, "kind"), (BlockingKey, "value")],
    "FROM {BlockingKey} WHERE {BlockingKey.mention} IN %s AND {BlockingKey.kind} IN %s",
    models=[BlockingKey],
)
_SHARING = Values(
    [
        (BlockingKey, "kind"),
        (BlockingKey, "value"),
        (BlockingKey, "mention"),
        (MentionRecord, "signal"),
    ],
    "FROM {BlockingKey} JOIN {MentionRecord} ON {MentionRecord.id} = {BlockingKey.mention} "
    "WHERE {BlockingKey.kind} IN %s AND {BlockingKey.value} IN %s "
    "AND {MentionRecord.schema} = %s",
    models=[BlockingKey, MentionRecord],
)
# Pairs of these mentions scored since a batch run started.
_PAIRED = Values(
    [(Suggestion, "left"), (Suggestion, "right")],
    "FROM {Suggestion} WHERE ({Suggestion.left} IN %s OR {Suggestion.right} IN %s) "
    "AND {Suggestion.run} IN (SELECT u.id FROM {LinkageRun} u WHERE u.started_at >= %s)",
    models=[Suggestion, LinkageRun],
)
_FREQUENCIES = Values(
    [(TermFrequency, "column"), (TermFrequency, "value"), (TermFrequency, "records")],
    "FROM {TermFrequency} WHERE {TermFrequency.run} = %s AND {TermFrequency.column} IN %s "
    "AND {TermFrequency.value} IN %s",
    models=[TermFrequency],
)
# Every mention of the entities of the mentions named: (mention, entity, signal, partner).
_HELD_WITH = Values(
    [
        (Mention, "record"),
        (Mention, "entity"),
        (MentionRecord, "signal"),
        (MentionRecord, "organisation"),
    ],
    "FROM {Mention} JOIN {MentionRecord} ON {MentionRecord.id} = {Mention.record} "
    "WHERE {Mention.entity} IN (SELECT s.entity_id FROM {Mention} s WHERE s.id IN %s)",
    models=[Mention, MentionRecord],
)


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
        .only("pk", "started_at", "layout")
        .first()
    )
    # The comparisons as declared now: the batch run's model was checked against them.
    layout = layout_of(KIND_OF_SCHEMA[Schema(batch.schema)])
    if found is not None:
        if found.layout != layout:  # made before runs had layouts
            LinkageRun.objects.filter(pk=found.pk).update(layout=layout)
            found.layout = layout
        return found
    return LinkageRun.objects.create(
        kind=LinkageRun.Kind.INTAKE,
        schema=batch.schema,
        status=LinkageRun.Status.DONE,
        threshold=batch.threshold,
        review_threshold=batch.review_threshold,
        finished_at=timezone.now(),
        layout=layout,
    )


def candidates_among(
    new: list[tuple[int, int]], keys: Iterable[tuple[int, str, str]] | None = None
) -> dict[int, list[int]]:
    """For each new person mention, given as (mention id, signal id): the person mentions of
    other signals sharing a candidate key with it, at most ``MAX_CANDIDATES``: those sharing
    the most keys first (someone of the same given name born the same day shares one, the
    same person written alike four), then the newest. Two queries for the whole batch,
    however many mentions it holds: their keys (or ``keys``, (mention, kind, value) already
    read), then every person mention with one of those keys."""
    signal_of = dict(new)
    if keys is None:
        keys = _KEYS_OF.fetch([tuple(sorted(signal_of)), CANDIDATE_KEYS]) if signal_of else []
    wanting: dict[tuple[str, str], list[int]] = defaultdict(list)
    for mention_id, kind, value in keys:
        wanting[(kind, value)].append(mention_id)
    if not wanting:
        return {}
    sharing = _SHARING.fetch(
        [
            tuple(sorted({kind for kind, _value in wanting})),
            tuple(sorted({value for _kind, value in wanting})),
            Schema.PERSON,
        ]
    )
    found: dict[int, Counter[int]] = defaultdict(Counter)
    for kind, value, other, other_signal in sharing:
        # The query pairs any kind with any value; only the same key counts.
        for mention_id in wanting.get((kind, value), ()):
            if other_signal != signal_of[mention_id]:
                found[mention_id][other] += 1
    return {
        mention_id: sorted(shared, key=lambda other: (-shared[other], -other))[:MAX_CANDIDATES]
        for mention_id, shared in found.items()
    }


def with_term_frequencies(run: LinkageRun, records: dict[int, dict[str, Any]]) -> None:
    """Give each person record, as ``tf_<column>``, the share of the batch run's records
    that held its value in each column the run weighed by frequency (``TermFrequency``): a
    name or phone number many records share counts for less, as it did in the run. A value
    the run saw once or never has the share of one record. Records of a run from before
    the frequencies were kept get none: the levels' average weights apply."""
    from schakel.entities import linkage

    totals: dict[str, int] = run.term_frequency_totals
    if not totals or not records:
        return
    cleaned = {key: linkage.clean_record("person", record) for key, record in records.items()}
    wanted: dict[str, set[str]] = defaultdict(set)
    for record in cleaned.values():
        for column in totals:
            if record.get(column) is not None:
                wanted[column].add(str(record[column]))
    # Every column's values at once (a few more rows than wanted: each value with each
    # column), kept where the column is its own.
    held = (
        {
            (column, value): count
            for column, value, count in _FREQUENCIES.fetch(
                [
                    run.pk,
                    tuple(sorted(wanted)),
                    tuple(sorted({v for values in wanted.values() for v in values})),
                ]
            )
            if value in wanted[column]
        }
        if wanted
        else {}
    )
    for key, record in records.items():
        for column, total in totals.items():
            value = cleaned[key].get(column)
            if value is not None and total:
                record[f"tf_{column}"] = held.get((column, str(value)), 1) / total


def match_mentions(mention_ids: Iterable[int]) -> MatchOutcome:
    """Match new person mentions against what is known; safe to run again."""
    outcome = MatchOutcome()
    run = latest_model()
    asked = tuple(sorted(set(mention_ids)))
    if run is None or not asked:
        return outcome
    # The new people, their keys, and the pairs already scored (this matching run before, on
    # a retry: scored once, not twice), in one round trip.
    ids, keys, scored_before = fetch_together(
        (_NEW_PEOPLE, (Schema.PERSON, asked)),
        (_KEYS_OF, (asked, CANDIDATE_KEYS)),
        (_PAIRED, (asked, asked, run.started_at)),
    )
    if not ids:
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
    found = candidates_among(ids, keys)
    records = {
        r["unique_id"]: r
        for r in person_records({*found, *(c for others in found.values() for c in others)})
    }
    with_term_frequencies(run, records)
    paired: set[tuple[int, int]] = set(scored_before)
    for mention_id, _signal_id in ids:
        outcome.mentions += 1
        candidate_ids = [c for c in found.get(mention_id, ()) if c in records]
        if not candidate_ids:
            continue
        # Without a date of birth, a mention may be attached along pairs below the threshold
        # (clustering's attaching step): its candidates are regrouped with it.
        undated = not records[mention_id].get("date_of_birth")
        outcome.candidates += len(candidate_ids)
        scored = linkage.score(run.model, records[mention_id], [records[c] for c in candidate_ids])
        for candidate in scored:
            if candidate.match_probability < run.review_threshold:
                continue
            left, right = sorted((mention_id, int(candidate.unique_id)))
            if (left, right) in paired:
                # Two new mentions of one batch find each other: one pair, not two.
                continue
            paired.add((left, right))
            links = candidate.links(run.threshold)
            rows.append(
                Suggestion(
                    left_id=left,
                    right_id=right,
                    run=intake_run,
                    probability=candidate.match_probability,
                    match_weight=candidate.match_weight,
                    links=links,
                    explanation=compact(
                        ((w.comparison, w.level, w.match_weight) for w in candidate.comparisons),
                        intake_run.layout,
                    ),
                    is_open=not links,
                )
            )
            outcome.joined += int(links)
            outcome.suggested += int(not links)
            if links or (undated and candidate.identifying_weight > 0):
                around.update((left, right))
    scored_at = time.perf_counter()
    outcome.scoring_seconds = scored_at - started
    if not rows:
        return outcome
    # One transaction and one regrouping for all the batch's people (not one per person);
    # inside the job's transaction, without a savepoint: a failure undoes the job as a whole.
    with transaction.atomic(savepoint=False):
        paired_now = {m for row in rows for m in (row.left_id, row.right_id)}
        # Every mention of the pairs' entities: the pairs' own entities, and what a merge
        # of each pair would join (``review.priorities``).
        held = _HELD_WITH.fetch([tuple(sorted(paired_now))])
        entity_of = {pk: entity for pk, entity, _signal, _partner in held if pk in paired_now}
        ranks = priorities_among(
            [
                (row.probability, entity_of.get(row.left_id), entity_of.get(row.right_id))
                for row in rows
            ],
            [(entity, signal, partner) for _pk, entity, signal, partner in held],
        )
        for row, rank in zip(rows, ranks, strict=True):
            row.priority = rank
        insert_rows(Suggestion, rows)
        if around:
            resolve_around_ids(Schema.PERSON, sorted(around))
    outcome.writing_seconds = time.perf_counter() - scored_at
    return outcome


def resolve_and_match(signal_ids: Iterable[int]) -> list[int]:
    """Make the mentions of these signals and match their people against what is known, each
    ``RESOLVE_BATCH`` of signals in one transaction: no one sees a signal's mentions before
    they are matched, and a failure leaves nothing half-done (the retry does it all, a signal
    whose mentions exist is skipped). Returns the ids of the mentions made."""
    ids = sorted(set(signal_ids))
    made: list[int] = []
    for start in range(0, len(ids), RESOLVE_BATCH):
        with transaction.atomic():
            new = resolve_new_mentions(ids[start : start + RESOLVE_BATCH])
            if new:
                match_mentions(new)
        made += new
    return made


def match_signals(signal_ids: Iterable[int]) -> MatchOutcome:
    """The person mentions of these signals against what is known."""
    mentions = Mention.objects.filter(
        signal_id__in=list(signal_ids), schema=Schema.PERSON
    ).values_list("pk", flat=True)
    return match_mentions(list(mentions))
