"""Linkage runs over the mentions in the database: ``schakel link`` and the worker's job.

The mentions of one schema become linkage records (``linkage.records``); the engine trains
a model without labels, scores the blocked pairs and returns those at or above the review
threshold; the pairs are stored as suggestions (the evidence, with each comparison's
weight), and mentions are grouped along the strong ones and every standing judgement
(``clustering``) into entities. The run record keeps the model's parameters — matching right
after intake scores with them — and counts, thresholds and durations.

Everything is written in one transaction at the end: a run that fails half-way leaves the
previous entities and suggestions as they were, and records the failure.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings as django_settings
from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model
from django.utils import timezone

from schakel.bulk import copy_text, copy_values
from schakel.entities.clustering import (
    CORROBORATING,
    GroupPlan,
    SeenWith,
    apply_plan,
    exact_key_pairs,
    group_mentions,
    plan_groups,
    standing_judgements,
)
from schakel.entities.explanations import layout_of
from schakel.entities.linkage.records import (
    normalise_code,
    normalise_name_part,
    normalise_postcode,
)
from schakel.entities.models import (
    OBSERVED_AT,
    Judgement,
    LinkageRun,
    Mention,
    MentionRecord,
    Schema,
    Suggestion,
    TermFrequency,
)
from schakel.entities.review import priorities_among, resolve_around
from schakel.rows import Values, fetch_together

log = logging.getLogger(__name__)

#: The linkage kind of each schema that linkage resolves (the others have exact keys).
KIND_OF_SCHEMA = {Schema.PERSON: "person", Schema.COMPANY: "company", Schema.ADDRESS: "address"}
CHUNK = 5_000
Progress = Callable[[str, float], None]


#: How each column is normalised before linkage compares it, as ``linkage.records`` expects:
#: names, streets and cities transliterated to lower-case Latin, postcodes and numbers as
#: their letters and digits. (Comparing the partners' own spellings made "Димитър Колев" and
#: "Dimitar Kolev", born the same day, two people.)
_NORMALISERS: dict[str, Callable[[str | None], str | None]] = {
    "given_name": normalise_name_part,
    "family_name": normalise_name_part,
    "name": normalise_name_part,
    "street": normalise_name_part,
    "city": normalise_name_part,
    "postcode": normalise_postcode,
    "identity_number": normalise_code,
    "registration_number": normalise_code,
}


def _normalised(record: dict[str, Any]) -> dict[str, Any]:
    for column, normalise in _NORMALISERS.items():
        value = record.get(column)
        if value is not None:
            record[column] = normalise(str(value))
    return record


def _first(properties: dict[str, list[str]], name: str) -> str | None:
    values = properties.get(name) or []
    return values[0] if values else None


_FEW_PEOPLE = Values(
    [(MentionRecord, name) for name in ("id", "signal", "organisation", "original", "properties")],
    "FROM {MentionRecord} JOIN {Mention} ON {Mention.record} = {MentionRecord.id} "
    "WHERE {MentionRecord.schema} = %s AND {MentionRecord.id} IN %s ORDER BY {MentionRecord.id}",
    models=[MentionRecord, Mention],
)
_THEIR_PLACES = Values(
    [(MentionRecord, "signal"), (MentionRecord, "original")],
    "FROM {MentionRecord} JOIN {Mention} ON {Mention.record} = {MentionRecord.id} "
    "WHERE {MentionRecord.schema} = %s AND {MentionRecord.role} = %s "
    "AND {MentionRecord.signal} IN (SELECT r.signal_id FROM {MentionRecord} r WHERE r.id IN %s) "
    "ORDER BY {MentionRecord.id}",
    models=[MentionRecord, Mention],
)


def person_records(only: Iterable[int] | None = None) -> Iterator[dict[str, Any]]:
    """One record per person mention (all, or those in ``only``), with the place the signal
    ties the person to: where the signal was observed (its first place of observation).
    A possible victim lives or works there (their ``addressEntity``); a suspect, recruiter
    or landlord was seen there. A place is never identifying evidence (docs/linkage.md):
    it strengthens a link between two mentions of one name, it never makes one."""
    values: Iterable[tuple[Any, ...]]
    places: Iterable[tuple[Any, ...]]
    if only is not None:
        # A few records for matching: them and their signals' places in one round trip.
        ids = tuple(sorted(set(only)))
        if not ids:
            return
        values, places = fetch_together(
            (_FEW_PEOPLE, (Schema.PERSON, ids)),
            (_THEIR_PLACES, (Schema.ADDRESS, OBSERVED_AT, ids)),
        )
    else:
        # A whole schema streams in chunks (a server-side cursor on PostgreSQL).
        places = (
            Mention.objects.filter(schema=Schema.ADDRESS, role=OBSERVED_AT)
            .order_by("pk")
            .values_list("signal_id", "original")
        )
        values = (
            Mention.objects.filter(schema=Schema.PERSON)
            .order_by("pk")
            .values_list("pk", "signal_id", "organisation_id", "original", "properties")
            .iterator(chunk_size=CHUNK)
        )
    seen_at: dict[int, dict[str, Any]] = {}
    for signal_id, original in places:
        seen_at.setdefault(signal_id, original)
    for pk, signal_id, organisation_id, original, properties in values:
        address = seen_at.get(signal_id, {})
        yield _normalised(
            {
                "unique_id": pk,
                "organisation_id": organisation_id,
                "given_name": original.get("given_names"),
                "family_name": original.get("family_name"),
                "date_of_birth": _first(properties, "birthDate"),
                "gender": _first(properties, "gender"),
                "nationality": (original.get("nationality") or "").upper() or None,
                "phone": _first(properties, "phone"),
                "identity_number": _first(properties, "idNumber"),
                "street": address.get("street"),
                "house_number": address.get("house_number"),
                "postcode": address.get("postcode"),
                "city": address.get("city"),
            }
        )


def company_records() -> Iterator[dict[str, Any]]:
    rows = Mention.objects.filter(schema=Schema.COMPANY).order_by("pk")
    for pk, organisation_id, original, properties in rows.values_list(
        "pk", "organisation_id", "original", "properties"
    ).iterator(chunk_size=CHUNK):
        yield _normalised(
            {
                "unique_id": pk,
                "organisation_id": organisation_id,
                "name": original.get("name"),
                "registration_number": original.get("registration_number"),
                "phone": _first(properties, "phone"),
            }
        )


def address_records() -> Iterator[dict[str, Any]]:
    rows = Mention.objects.filter(schema=Schema.ADDRESS).order_by("pk")
    for pk, organisation_id, original in rows.values_list(
        "pk", "organisation_id", "original"
    ).iterator(chunk_size=CHUNK):
        yield _normalised({"unique_id": pk, "organisation_id": organisation_id, **original})


RECORDS: dict[Schema, Callable[[], Iterator[dict[str, Any]]]] = {
    Schema.PERSON: person_records,
    Schema.COMPANY: company_records,
    Schema.ADDRESS: address_records,
}


def run_linkage(
    schema: str = Schema.PERSON,
    *,
    threshold: float | None = None,
    progress: Progress | None = None,
) -> LinkageRun:
    """One batch run for ``schema``; returns its record (status done or failed)."""
    import pandas  # type: ignore[import-untyped]  # ships without type information

    from schakel.entities import linkage

    chosen = linkage.DEFAULT_THRESHOLD if threshold is None else threshold
    run = LinkageRun.objects.create(
        kind=LinkageRun.Kind.BATCH,
        schema=schema,
        threshold=chosen,
        review_threshold=min(linkage.REVIEW_THRESHOLD, chosen),
        layout=layout_of(KIND_OF_SCHEMA[Schema(schema)]),
    )
    started = time.monotonic()
    try:
        report = progress or (lambda phase, done: None)
        report("reading", 0.0)
        records = pandas.DataFrame.from_records(list(RECORDS[Schema(schema)]()))
        durations = {"reading": round(time.monotonic() - started, 3)}
        if len(records) < 2:
            return _finish(run, {"records": len(records)}, durations, {})
        with _scratch_store() as store:
            result = linkage.link(
                records,
                KIND_OF_SCHEMA[Schema(schema)],  # type: ignore[arg-type]
                threshold=chosen,
                duckdb_path=str(store),
                progress=progress,
                memory_mb=django_settings.SCHAKEL_LINKAGE_MEMORY_MB,
                # The entities are grouped here, along the pairs and the judgements.
                cluster=False,
            )
        durations.update(result.durations)
        writing = time.monotonic()
        report("writing", 0.0)
        # Python integers, not numpy's: grouping looks each one up millions of times.
        ids = records["unique_id"].astype("int64").tolist()
        born = (
            dict(zip(ids, records["date_of_birth"].tolist(), strict=True))
            if "date_of_birth" in records.columns
            else None
        )
        with _collector_paused():
            counts = _store(run, schema, ids, result, born)
        durations["writing"] = round(time.monotonic() - writing, 3)
        durations["total"] = round(time.monotonic() - started, 3)
        report("writing", 1.0)
        return _finish(run, counts, durations, result.model)
    except Exception as exc:
        log.exception("linkage run failed", extra={"run": run.pk})
        LinkageRun.objects.filter(pk=run.pk).update(
            status=LinkageRun.Status.FAILED,
            finished_at=timezone.now(),
            error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        run.refresh_from_db()
        return run


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a run groups and writes: it makes millions of
    small lists and tuples (no cycles among them), and each full collection walked all of
    them again — at a million mentions a third of grouping's time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def supersede(run: LinkageRun) -> int:
    """Before ``run`` stores its pairs, in its transaction: delete the pairs of the schema's
    earlier runs (batch, and matching after intake) that no judgement points at — the run
    scores every pair again, and each batch run would otherwise leave millions of rows
    behind — and close the earlier open ones a judgement keeps. Returns how many were deleted.

    One DELETE instead of closing the open pairs first and deleting them after: at a million
    mentions, closing 550,000 open pairs rewrote each row and took 17 s."""
    earlier = list(
        LinkageRun.objects.filter(schema=run.schema, started_at__lt=run.started_at)
        .exclude(pk=run.pk)
        .values_list("pk", flat=True)
    )
    if not earlier:
        return 0
    connection = connections[router.db_for_write(Suggestion)]
    quote = connection.ops.quote_name

    def column(model: type[Model], name: str) -> str:
        field = model._meta.get_field(name)
        assert isinstance(field, Field)
        return quote(field.column)

    suggestions = quote(Suggestion._meta.db_table)
    judgements = quote(Judgement._meta.db_table)
    pk = f"{suggestions}.{column(Suggestion, 'id')}"
    runs = ", ".join(["%s"] * len(earlier))
    # Only pairs made before this run began: matching after intake goes on while a run works,
    # and the pairs it finds meanwhile are of mentions this run never read.
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {suggestions} WHERE {column(Suggestion, 'run')} IN ({runs}) "  # noqa: S608 - names from the models
            f"AND {column(Suggestion, 'created_at')} < %s "
            f"AND NOT EXISTS (SELECT 1 FROM {judgements} j "
            f"WHERE j.{column(Judgement, 'suggestion')} = {pk})",
            [*earlier, run.started_at],
        )
        deleted = int(cursor.rowcount)
    Suggestion.objects.filter(run__in=earlier, is_open=True, created_at__lt=run.started_at).update(
        is_open=False
    )
    return deleted


def _regroup_the_late(run: LinkageRun) -> None:
    """Regroup around the pairs matching after intake found while ``run`` worked: their new
    mentions were not among the run's records and kept the entities matching gave them, which
    the run may have merged away or split."""
    late = list(
        Suggestion.objects.filter(
            run__kind=LinkageRun.Kind.INTAKE,
            run__schema=run.schema,
            created_at__gte=run.started_at,
            links=True,
        ).values_list("left_id", "right_id")
    )
    if late:
        mentions = Mention.objects.in_bulk({m for pair in late for m in pair})
        resolve_around(list(mentions.values()))


@contextmanager
def _scratch_store() -> Iterator[Path]:
    """The DuckDB store of one run, in a folder of its own, removed when the engine is done
    with it, whatever happened. It belongs to the process running linkage (worker or command
    line); the database holds the results. A folder per run, so that two runs at once (the
    worker's and one from the command line) never share a file. Removed, not emptied:
    dropping DuckDB's tables leaves their blocks in the file, with the names and dates of
    birth of every record compared, and retention must be able to reach everything that
    holds them."""
    folder = Path(django_settings.DATA_DIR) / "linkage"
    folder.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_stores(folder)
    own = Path(tempfile.mkdtemp(prefix=f"run-{os.getpid()}-", dir=folder))
    try:
        yield own / "linkage.duckdb"
    finally:
        # With its write-ahead log, and the folder DuckDB spills to beyond its memory limit.
        shutil.rmtree(own, ignore_errors=True)


def _remove_abandoned_stores(folder: Path) -> None:
    """The stores of runs whose process is gone (killed before it could remove them), and
    the single store earlier versions kept in the folder itself."""
    for leftover in folder.glob("linkage.duckdb*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
    for store in folder.glob("run-*-*"):
        try:
            pid = int(store.name.split("-")[1])
        except ValueError:
            continue
        if not _process_alive(pid):
            shutil.rmtree(store, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


@transaction.atomic
def _store(
    run: LinkageRun,
    schema: str,
    mention_ids: list[int],
    result: Any,
    born: dict[int, str | None] | None = None,
) -> dict[str, int]:
    import numpy

    pairs = result.pairs
    pruned = supersede(run)
    lefts = pairs["unique_id_l"].to_numpy(dtype="int64")
    rights = pairs["unique_id_r"].to_numpy(dtype="int64")
    chances = pairs["match_probability"].to_numpy(dtype="float64")
    # The engine's rule: a pair links only at the threshold *and* with identifying evidence
    # (name, date of birth, identity number); a shared address or phone alone never joins
    # two people.
    links = _linked(pairs, run.threshold)
    open_at = ~links
    # Grouping joins along the links alone (a pair that does not link never joins; see
    # ``clustering.joining_probability``), most probable first: sorted here, once, by numpy.
    order = numpy.argsort(-chances, kind="stable")
    order = order[links[order]]
    scored = list(
        zip(lefts[order].tolist(), rights[order].tolist(), chances[order].tolist(), strict=True)
    )
    # The pairs of an exact key (probability 1) go after the model's pairs at 1, where a sort
    # by probability that keeps ties in their order puts them: grouping need not sort again.
    certain = int((chances[order] >= 1.0).sum())
    # Everything grouping needs from the database, read before the linked pairs are written
    # beside it on the same connection.
    judgements = standing_judgements()
    exact = exact_key_pairs(schema, apart=judgements.not_same)
    scored[certain:certain] = exact
    in_review = int(open_at.sum())
    corroborated = _corroborated(pairs, lefts, rights) if born is not None else ()
    attachable = _attachable(pairs) if born is not None else ()
    # The schema's mentions with their entities, signals and partners, read once, in the
    # run's transaction: for choosing each group's entity and for the review queue's order.
    mentions = list(
        Mention.objects.filter(schema=schema).values_list(
            "pk", "entity_id", "signal_id", "organisation_id"
        )
    )
    database = router.db_for_write(Suggestion)
    # The linked pairs wait for nothing (they are not in the review queue): on PostgreSQL they
    # are written while grouping and planning run, which are Python alone. COPY's work is the
    # database server's and DuckDB's, so the two share the machine's cores instead of taking
    # turns.
    with writing_beside(
        lambda connection: _write_suggestions(pairs, run, links, None, connection),
        database,
    ):
        groups, refused = group_mentions(
            mention_ids,
            scored,
            run.threshold,
            judgements,
            born,
            corroborated,
            attachable,
            ordered=True,
            seen_with=SeenWith.of_signals((pk, signal) for pk, _e, signal, _o in mentions)
            if born is not None
            else None,
        )
        plan = plan_groups(schema, groups, ((pk, entity) for pk, entity, _s, _o in mentions))
        # The review queue's order of the pairs in review, from the entities as they will be.
        priority = _priorities(
            plan,
            mentions,
            lefts[open_at].tolist(),
            rights[open_at].tolist(),
            chances[open_at].tolist(),
        )
    del mentions
    changes = apply_plan(plan)
    # The pairs in review are written after the entities (no second pass over the rows).
    _write_suggestions(pairs, run, open_at, priority, connections[database])
    _regroup_the_late(run)
    frequencies = _store_term_frequencies(run, result) if schema == Schema.PERSON else 0
    return {
        "records": len(mention_ids),
        "distinct_records": int(result.counts.distinct_records),
        "pairs_pruned": pruned,
        "pairs_compared": int(result.counts.pairs_compared),
        "pairs_stored": len(links),
        "pairs_linked": len(scored) - len(exact),
        "in_review": in_review,
        "refused_by_judgements": len(refused),
        "entities": len(groups),
        "entities_created": changes.created,
        "mentions_moved": changes.moved_mentions,
        "merges": len(changes.merges),
        "splits": len(changes.splits),
        "term_frequencies": frequencies,
    }


def _store_term_frequencies(run: LinkageRun, result: Any) -> int:
    """The run's term frequencies of the values at least two records held, for matching
    after intake (``TermFrequency``), in place of the earlier runs'. Returns how many."""
    TermFrequency.objects.exclude(run=run).delete()
    totals: dict[str, int] = result.term_frequency_totals
    rows = (
        (run.pk, column, value, held)
        for column, shares in result.term_frequencies.items()
        for value, share in shares.items()
        if (held := round(share * totals[column])) >= 2
    )
    stored = copy_values(TermFrequency, ("run_id", "column", "value", "records"), rows)
    LinkageRun.objects.filter(pk=run.pk).update(term_frequency_totals=totals)
    return stored


SUGGESTION_COLUMNS = (
    "left_id",
    "right_id",
    "run_id",
    "probability",
    "match_weight",
    "links",
    "explanation",
    "is_open",
    "priority",
    "created_at",
)


def _corroborated(pairs: Any, left: Any, right: Any) -> list[tuple[int, int]]:
    """The pairs (of the arrays ``left`` and ``right``) a corroborating comparison (identity
    number, address, phone) agrees on."""
    agree = None
    for name in CORROBORATING:
        column = f"mw_{name}"
        if column in pairs.columns:
            positive = (pairs[column].astype("float64").fillna(0.0) > 0).to_numpy()
            agree = positive if agree is None else agree | positive
    if agree is None:
        return []
    return list(zip(left[agree].tolist(), right[agree].tolist(), strict=True))


def _attachable(pairs: Any) -> list[tuple[int, int, float]]:
    """(left, right, match weight) of the pairs with identifying evidence in which a record has
    no date of birth: those along which a person's group without a date may be attached
    (``clustering``). Only those rows become Python objects (a million-mention run holds
    three million pairs)."""
    from schakel.entities.linkage.comparisons import UNKNOWN_LABEL

    if "identifying_weight" not in pairs.columns or "date_of_birth" not in pairs.columns:
        return []
    chosen = pairs[
        (pairs["date_of_birth"] == UNKNOWN_LABEL)
        & (pairs["identifying_weight"].astype("float64").fillna(0.0) > 0)
    ]
    return list(
        zip(
            chosen["unique_id_l"].astype("int64").tolist(),
            chosen["unique_id_r"].astype("int64").tolist(),
            chosen["match_weight"].astype("float64").tolist(),
            strict=True,
        )
    )


@contextmanager
def writing_beside(work: Callable[[Any], None], database: str) -> Iterator[None]:
    """Run ``work(connection)`` in a thread of its own on this thread's connection to
    ``database`` (so in its transaction) while the body runs, on PostgreSQL; on SQLite, which
    runs in this process, first and alone. The body must not use the database: the connection
    is the thread's until it is done. Leaving waits for the thread and raises its error."""
    connection = connections[database]
    if connection.vendor != "postgresql":
        work(connection)
        yield
        return
    failed: list[BaseException] = []

    def run() -> None:
        try:
            work(connection)
        except BaseException as exc:  # noqa: BLE001 - raised again in the calling thread
            failed.append(exc)

    connection.inc_thread_sharing()
    thread = threading.Thread(target=run, name="linkage-writer", daemon=True)
    thread.start()
    try:
        yield
    finally:
        # Also when the body fails: the transaction is not rolled back under the thread.
        thread.join()
        connection.dec_thread_sharing()
    if failed:
        raise failed[0]


def _write_suggestions(
    pairs: Any,
    run: LinkageRun,
    rows: Any,
    priority: list[float] | None,
    connection: BaseDatabaseWrapper,
) -> None:
    """Store the pairs selected by the boolean array ``rows``, with their place in the review
    queue (``priority``, one per selected pair; ``None``: 0 for each)."""
    if connection.vendor == "postgresql":
        copy_text(
            Suggestion,
            SUGGESTION_COLUMNS,
            _suggestion_rows(pairs, run, priority, rows=rows, text=True),
            connection=connection,
        )
    else:
        copy_values(
            Suggestion,
            SUGGESTION_COLUMNS,
            _suggestion_rows(pairs, run, priority, rows=rows, text=False),
        )


def _suggestion_rows(
    pairs: Any, run: LinkageRun, priority: list[float] | None, *, rows: Any, text: bool
) -> Iterator[Any]:
    """The pairs selected by the boolean array ``rows`` as rows of ``SUGGESTION_COLUMNS``,
    made by DuckDB over the pairs' columns in parallel and handed over in chunks as they are
    written (three million pairs held as Python rows at once took gigabytes). Each
    explanation in the compact form of ``explanations``: ``[[level, weight], ...]`` in the
    run's layout's order. With ``text``, blocks of lines in PostgreSQL's COPY text format
    (``bulk.copy_text``); otherwise tuples."""
    import duckdb
    import numpy
    import pandas

    count = int(rows.sum())
    if pairs.empty or not count:
        return
    frame = pandas.DataFrame(
        {
            "left_id": pairs["unique_id_l"].astype("int64").to_numpy()[rows],
            "right_id": pairs["unique_id_r"].astype("int64").to_numpy()[rows],
            "probability": pairs["match_probability"].astype("float64").to_numpy()[rows],
            "match_weight": pairs["match_weight"].astype("float64").to_numpy()[rows],
            "links": _linked(pairs, run.threshold)[rows],
            "priority": numpy.zeros(count, dtype="float64")
            if priority is None
            else numpy.asarray(priority, dtype="float64"),
        }
    )
    parts = []
    for index, (name, labels) in enumerate(run.layout):
        if name not in pairs.columns:
            raise ValueError(f"the pairs lack the comparison {name}")
        column = pairs[name]
        if (
            isinstance(column.dtype, pandas.CategoricalDtype)
            and list(column.cat.categories) == labels
        ):
            levels = pandas.Series(column.cat.codes.to_numpy(), index=column.index)
            levels = levels.where(levels >= 0)  # -1: no label
        else:
            levels = column.map({label: level for level, label in enumerate(labels)})
        if levels.isna().any():
            unknown = sorted(set(pairs[name][levels.isna()].astype(str)))[:3]
            raise ValueError(f"{name}: levels not in the run's layout: {unknown}")
        frame[f"l{index}"] = levels.astype("int64").to_numpy()[rows]
        frame[f"w{index}"] = pairs[f"mw_{name}"].astype("float64").fillna(0.0).to_numpy()[rows]
        parts.append(f"json_array(l{index}, round(greatest(least(w{index}, 999), -999), 3))")
    explanation = f"json_array({', '.join(parts)})::VARCHAR"
    typed = (
        f"SELECT left_id, right_id, {int(run.pk)} AS run_id, probability, match_weight, links, "  # noqa: S608 - names from the declarations
        f"{explanation} AS explanation, NOT links AS is_open, priority FROM pairs"
    )
    with duckdb.connect() as connection:
        connection.register("pairs", frame)
        if text:
            # Numbers, booleans and the explanation (numbers only) need no escaping.
            at = run.started_at.isoformat()
            lines = connection.execute(
                "SELECT concat_ws(chr(9), left_id, right_id, run_id, probability, match_weight, "  # noqa: S608 - as above
                "CASE WHEN links THEN 't' ELSE 'f' END, explanation, "
                f"CASE WHEN is_open THEN 't' ELSE 'f' END, priority, ?) FROM ({typed})",
                [at],
            )
            while chunk := lines.fetchmany(PAIR_CHUNK):
                yield "".join(line + "\n" for (line,) in chunk)
            return
        rows = connection.execute(typed)
        while chunk := rows.fetchmany(PAIR_CHUNK):
            for row in chunk:
                yield (*row, run.started_at)


def _linked(pairs: Any, threshold: float) -> Any:
    """Whether each pair links: the engine's rule (the threshold *and* identifying evidence
    for the match), or the threshold alone for pairs scored without it."""
    if "linked" in pairs.columns:
        return pairs["linked"].fillna(False).astype(bool).to_numpy()
    return (pairs["match_probability"].astype("float64") >= threshold).to_numpy()


#: Pairs fetched from DuckDB at a time.
PAIR_CHUNK = 50_000


def _priorities(
    plan: GroupPlan,
    mentions: Sequence[tuple[int, int | None, int, int]],
    left: list[int],
    right: list[int],
    probability: list[float],
) -> list[float]:
    """The review queue's order of the open pairs (``left[i]``, ``right[i]``, at
    ``probability[i]``) with the entities as ``plan`` will write them; ``mentions`` are
    (mention, entity, signal, organisation) of the schema as read before."""
    if not left:
        return []
    entity_of = {pk: entity for pk, entity, _signal, _organisation in mentions}
    entity_of.update(plan.entities_after())
    return priorities_among(
        [
            (chance, entity_of.get(a), entity_of.get(b))
            for a, b, chance in zip(left, right, probability, strict=True)
        ],
        ((entity_of[pk], signal, organisation) for pk, _e, signal, organisation in mentions),
    )


def _finish(
    run: LinkageRun, counts: dict[str, int], durations: dict[str, float], model: dict[str, Any]
) -> LinkageRun:
    LinkageRun.objects.filter(pk=run.pk).update(
        status=LinkageRun.Status.DONE,
        finished_at=timezone.now(),
        counts=counts,
        durations=durations,
        model=model,
    )
    run.refresh_from_db()
    return run
