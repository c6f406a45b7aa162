"""A linkage run: train a model without labels, score the blocked pairs, cluster them.

``link`` is the whole run on one DuckDB connection that it opens and closes itself; nothing
else touches that database while it runs (DuckDB allows one writing process per file, and
web processes never open it). A DuckDB file, when given, is a work area for data larger than
memory: the run removes its tables from it before closing, so no personal data stays there.

Training uses no labels (``training``): the prior from deterministic rules, u from random
pairs drawn with the run's seed, m by expectation maximisation. Then the pairs the blocking
rules generate are scored, and records are clustered (connected components) over the pairs
that link: at or above the threshold, with identifying evidence for the match (see
``KindSettings.identifying``). Pairs from ``REVIEW_THRESHOLD`` up that do not link are kept
for review.

Records that agree on every column the model reads are scored once (``collapse``, the
default): partners report the same person the same way again and again, and every such copy
would be blocked, compared and scored against every record its original meets. Training
still sees every record, and the term frequencies are those of every record, so each pair of
the result carries exactly what Splink's ``predict`` on all records gives it (a test holds
the two equal); only the work of comparing copies is saved.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final

import duckdb
import numpy

# pandas and pyarrow ship without type information (no stubs are installed): their objects
# are Any here.
import pandas  # type: ignore[import-untyped]
import pyarrow  # type: ignore[import-untyped]
from splink import DuckDBAPI, Linker, block_on
from splink.blocking_rule_library import CustomRule
from splink.internals.blocking_rule_creator import BlockingRuleCreator

from schakel.entities.linkage.records import (
    COLUMNS,
    DERIVED_COLUMNS,
    ID_COLUMNS,
    Kind,
    clean_record,
)
from schakel.entities.linkage.scoring import ComparisonWeight
from schakel.entities.linkage.settings import SETTINGS, Block, KindSettings
from schakel.entities.linkage.training import train

logger = logging.getLogger(__name__)

#: Match probability at or above which two records are taken to be the same.
DEFAULT_THRESHOLD: Final = 0.9
#: Pairs from here up to the threshold are kept for review.
REVIEW_THRESHOLD: Final = 0.5

Progress = Callable[[str, float], None]


@dataclass(frozen=True, slots=True)
class LinkageCounts:
    """``distinct_records``: the records that differ in some column the model reads (the
    rest are copies, scored through their first); ``pairs_compared``: the comparisons made."""

    records: int
    distinct_records: int
    pairs_compared: int
    pairs_above_threshold: int
    pairs_in_review: int
    clusters: int


@dataclass(frozen=True)
class LinkageResult:
    """What a run found and how.

    ``clusters`` maps each unique_id to its cluster, numbered by the cluster's smallest
    unique_id. ``pairs`` holds every scored pair at or above ``review_threshold``: ids,
    organisations, ``match_probability``, ``match_weight`` (bits, prior included),
    ``identifying_weight`` (the identifying comparisons' part), ``linked`` (whether the pair
    links), and per comparison the level (column named after the comparison) and its weight
    in bits (``mw_<comparison>``, term-frequency part included); the pairs that do not link
    are the review band. ``counts.pairs_above_threshold`` counts the pairs that link.

    ``model`` is Splink's settings dictionary with the trained values, JSON-serialisable, for
    ``scoring.score`` and for loading into a Splink linker; it holds no values of records.
    ``term_frequencies`` maps each column with a term-frequency adjustment to the share of
    records holding each value: a list of names and addresses, so personal data, to be kept
    with the mentions rather than with the model; ``term_frequency_totals`` the number of
    records with a value in that column (a share times it is the number of records holding
    the value). ``durations`` are seconds per phase.
    """

    kind: Kind
    threshold: float
    review_threshold: float
    clusters: dict[int, int]
    pairs: pandas.DataFrame
    model: dict[str, Any]
    counts: LinkageCounts
    durations: dict[str, float]
    term_frequencies: dict[str, dict[str, float]] = field(default_factory=dict)
    term_frequency_totals: dict[str, int] = field(default_factory=dict)

    def explain(self, left: int, right: int) -> tuple[ComparisonWeight, ...]:
        """The weight of each comparison for a pair in ``pairs`` (either order)."""
        low, high = sorted((left, right))
        rows = self.pairs[(self.pairs.unique_id_l == low) & (self.pairs.unique_id_r == high)]
        if rows.empty:
            raise KeyError((left, right))
        row = rows.iloc[0]
        return tuple(
            ComparisonWeight(comparison.name, row[comparison.name], row[f"mw_{comparison.name}"])
            for comparison in SETTINGS[self.kind].comparisons
        )


def prepare_records(records: pandas.DataFrame | pyarrow.Table, kind: Kind) -> pyarrow.Table:
    """The records as linkage reads them: every column of the kind, cleaned, typed.

    Columns the kind does not know are dropped; columns it knows but the input lacks are
    unknown throughout. ``unique_id`` must be present and unique, ``organisation_id`` present.
    """
    frame = records.to_pandas() if isinstance(records, pyarrow.Table) else records
    missing_ids = [column for column in ID_COLUMNS if column not in frame.columns]
    if missing_ids:
        raise ValueError(f"Records need the columns {', '.join(missing_ids)}.")
    if not frame["unique_id"].is_unique:
        raise ValueError("unique_id must be unique.")
    columns = [column for column in COLUMNS[kind] if column not in ID_COLUMNS]
    present = [column for column in columns if column in frame.columns]
    rows = [
        clean_record(kind, dict(zip(present, values, strict=True)))
        for values in frame[present].itertuples(index=False, name=None)
    ]
    arrays = {column: pyarrow.array(frame[column], type=pyarrow.int64()) for column in ID_COLUMNS}
    for column in (*columns, *DERIVED_COLUMNS[kind]):
        # Typed as text even when every value is unknown: DuckDB cannot compare a NULL-typed
        # column with jaro_winkler_similarity.
        arrays[column] = pyarrow.array([row[column] for row in rows], type=pyarrow.string())
    return pyarrow.table(arrays)


def link(
    records: pandas.DataFrame | pyarrow.Table,
    kind: Kind,
    *,
    threshold: float,
    duckdb_path: str | None = None,
    progress: Progress | None = None,
    seed: int = 1,
    memory_mb: int | None = None,
    cluster: bool = True,
    collapse: bool = True,
) -> LinkageResult:
    """Train a model on ``records`` without labels, score their pairs and cluster them at
    ``threshold`` (match probability). See the module documentation for the steps.

    ``memory_mb`` caps DuckDB's memory; beyond it a store in ``duckdb_path`` spills to disk
    (by default DuckDB takes up to 80 % of the machine's memory before it does).
    ``cluster=False`` leaves Splink's clustering out (``clusters`` is empty): for a caller that
    groups the pairs itself, as Schakel's batch run does with the analysts' judgements.
    ``collapse=False`` scores every record with Splink's own ``predict``, copies included:
    the same pairs, more work (the plain-Splink reference of the benchmarks)."""
    if not 0.0 < threshold < 1.0:
        raise ValueError("threshold is a match probability between 0 and 1.")
    settings = SETTINGS[kind]
    clock = _Clock(progress)
    with clock("prepare", 0.0):
        table = prepare_records(records, kind)
    connection = duckdb.connect(duckdb_path or ":memory:")
    try:
        if memory_mb is not None:
            connection.execute(f"SET memory_limit = '{int(memory_mb)}MB'").fetchall()
        return _run(
            connection, table, settings, threshold, seed, clock, cluster=cluster, collapse=collapse
        )
    finally:
        _drop_work_tables(connection)
        connection.close()


def _drop_work_tables(connection: duckdb.DuckDBPyConnection) -> None:
    # Splink's tables hold the compared values of every pair: names, dates of birth.
    with contextlib.suppress(duckdb.Error):  # a failed run's error matters more than this
        names = connection.execute(
            "SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, '__')"
        ).fetchall()
        for (name,) in names:
            connection.execute(f'DROP TABLE IF EXISTS "{name}"').fetchall()


def _run(
    connection: duckdb.DuckDBPyConnection,
    table: pyarrow.Table,
    settings: KindSettings,
    threshold: float,
    seed: int,
    clock: _Clock,
    *,
    cluster: bool,
    collapse: bool,
) -> LinkageResult:
    review_threshold = min(REVIEW_THRESHOLD, threshold)
    database = DuckDBAPI(connection=connection)
    with clock("load", 0.05):
        # Registered with the database API first: Splink 5 on DuckDB 2 reads a bare data
        # frame handed to the Linker unreliably (DESIGN.md §5).
        records = database.register(table)
    model = train(records, settings, records_count=table.num_rows, seed=seed, phase=clock)
    # Predict with the model exactly as saved, so that what scoring computes from it later is
    # what this run computed.
    linker = Linker(records, copy.deepcopy(model), log_level=None)
    with clock("term_frequencies", 0.6):
        # Of every record, before any collapsing; registered with the linker for scoring.
        frequencies = {
            column: _fetch_frequencies(connection, linker, column)
            for column in _term_frequency_columns(settings)
        }
    if collapse:
        with clock("block", 0.65):
            distinct = _collapse(connection, records.physical_name, table.column_names)
            scorer = Linker(database.register(_DISTINCT), copy.deepcopy(model), log_level=None)
            for column in frequencies:
                # Every record's frequencies, not the distinct records'.
                scorer.table_management.register_term_frequency_lookup(
                    linker.table_management.compute_tf_table(column), column
                )
            blocked = scorer.inference.compute_blocked_pairs_for_predict()
            count = f"SELECT count(*) FROM {blocked.physical_name}"  # noqa: S608 - Splink's own
            pairs_compared = _scalar(connection, count)
        with clock("predict", 0.7):
            pairs_compared += _predict_collapsed(
                connection, database, scorer, settings, review_threshold
            )
            _score_pairs(connection, _EXPANDED, settings, threshold, links_table=cluster)
    else:
        distinct = table.num_rows
        with clock("block", 0.65):
            blocked = linker.inference.compute_blocked_pairs_for_predict()
            count = f"SELECT count(*) FROM {blocked.physical_name}"  # noqa: S608 - Splink's own
            pairs_compared = _scalar(connection, count)
        with clock("predict", 0.7):
            predictions = linker.inference.predict(threshold_match_probability=review_threshold)
            _score_pairs(
                connection, predictions.physical_name, settings, threshold, links_table=cluster
            )
    with clock("fetch", 0.8):
        pairs = _fetch_pairs(connection, settings)
    clusters: dict[int, int] = {}
    if cluster:
        with clock("cluster", 0.85):
            # Clustered over the pairs that link, not all above the threshold: see
            # identifying comparisons in settings.KindSettings.
            links = database.register(_LINKS)
            clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
                links, threshold_match_probability=threshold
            )
            clusters = _fetch_clusters(connection, clustered.physical_name)
    clock.done()
    linked = pairs.linked
    return LinkageResult(
        kind=settings.kind,
        threshold=threshold,
        review_threshold=review_threshold,
        clusters=clusters,
        pairs=pairs.reset_index(drop=True),
        model=model,
        counts=LinkageCounts(
            records=table.num_rows,
            distinct_records=distinct,
            pairs_compared=pairs_compared,
            pairs_above_threshold=int(linked.sum()),
            pairs_in_review=int((~linked).sum()),
            clusters=len(set(clusters.values())),
        ),
        durations=clock.durations,
        term_frequencies=frequencies,
        term_frequency_totals={
            column: table.num_rows - table.column(column).null_count for column in frequencies
        },
    )


def _scalar(connection: duckdb.DuckDBPyConnection, sql: str) -> int:
    # fetchall, not fetchone: DuckDB 2 refuses the next statement while a result is unread.
    rows = connection.execute(sql).fetchall()
    return int(rows[0][0])


_MEMBERS: Final = "__schakel_members"
_DISTINCT: Final = "__schakel_distinct"
_TWINS: Final = "__schakel_twins"
_EXPANDED: Final = "__schakel_expanded"
_SCORED: Final = "__schakel_scored_pairs"
_LINKS: Final = "__schakel_links"


def _collapse(connection: duckdb.DuckDBPyConnection, records: str, columns: list[str]) -> int:
    """Group the records that agree on every column the model reads (all but the ids; two
    unknowns agree) under their smallest id: ``_MEMBERS`` (each record, its organisation, its
    group's first record and size), ``_DISTINCT`` (each group's first record, as Splink reads
    records) and ``_TWINS`` (each group of two or more twice: its first record and a copy with
    the negated id, both marked with the group). Returns the number of groups."""
    key = ", ".join(f'"{column}"' for column in columns if column not in ID_COLUMNS)
    # Names come from the record declarations and from Splink, never from input.
    connection.execute(
        f"CREATE OR REPLACE TABLE {_MEMBERS} AS SELECT unique_id, organisation_id, "  # noqa: S608
        f"min(unique_id) OVER (PARTITION BY {key}) AS first_id, "
        f"count(*) OVER (PARTITION BY {key}) AS copies FROM {records}"
    ).fetchall()
    connection.execute(
        f"CREATE OR REPLACE TABLE {_DISTINCT} AS SELECT r.* FROM {records} r "  # noqa: S608
        f"JOIN {_MEMBERS} m ON m.unique_id = r.unique_id WHERE m.first_id = m.unique_id"
    ).fetchall()
    connection.execute(
        f"CREATE OR REPLACE TABLE {_TWINS} AS "  # noqa: S608
        f"SELECT d.*, d.unique_id AS __schakel_group FROM {_DISTINCT} d "
        f"JOIN {_MEMBERS} m ON m.unique_id = d.unique_id WHERE m.copies > 1 "
        f"UNION ALL SELECT d.* REPLACE (-d.unique_id AS unique_id), d.unique_id "
        f"FROM {_DISTINCT} d JOIN {_MEMBERS} m ON m.unique_id = d.unique_id WHERE m.copies > 1"
    ).fetchall()
    return _scalar(connection, f"SELECT count(*) FROM {_DISTINCT}")  # noqa: S608


def _predict_collapsed(
    connection: duckdb.DuckDBPyConnection,
    database: DuckDBAPI,
    scorer: Linker,
    settings: KindSettings,
    review_threshold: float,
) -> int:
    """Score the distinct records (``scorer``: a linker over ``_DISTINCT`` with the trained
    model and every record's term frequencies, its blocked pairs computed), then give every
    record the pairs of its group's first record: ``_EXPANDED``, with the columns of Splink's
    predictions that ``_score_pairs`` reads. Two copies of one record are a pair if a blocking
    rule pairs a record with itself; their score is that of the group's first record against a
    copy of it. Returns the number of copies compared."""
    predictions = scorer.inference.predict(threshold_match_probability=review_threshold)
    twins = scorer.inference.predict_within(
        database.register(_TWINS),
        blocking_rules_to_generate_predictions=[_within_group(rule) for rule in settings.blocking],
    )
    compared = _scalar(connection, f"SELECT count(*) FROM {twins.physical_name}")  # noqa: S608
    # Every column of Splink's predictions but the pair's own ids and organisations, which
    # come from the members; a member pair keeps Splink's order (smaller id on the left).
    keep = [
        row[0]
        for row in connection.execute(f"DESCRIBE {predictions.physical_name}").fetchall()
        if row[0] not in {"unique_id_l", "unique_id_r", "organisation_id_l", "organisation_id_r"}
    ]
    scored = ", ".join(f'p."{column}"' for column in keep)
    connection.execute(
        f"CREATE OR REPLACE TABLE {_EXPANDED} AS "  # noqa: S608 - names from Splink and here
        f"SELECT least(a.unique_id, b.unique_id) AS unique_id_l, "
        f"greatest(a.unique_id, b.unique_id) AS unique_id_r, "
        f"CASE WHEN a.unique_id < b.unique_id THEN a.organisation_id "
        f"ELSE b.organisation_id END AS organisation_id_l, "
        f"CASE WHEN a.unique_id < b.unique_id THEN b.organisation_id "
        f"ELSE a.organisation_id END AS organisation_id_r, {scored} "
        f"FROM {predictions.physical_name} p "
        f"JOIN {_MEMBERS} a ON a.first_id = p.unique_id_l "
        f"JOIN {_MEMBERS} b ON b.first_id = p.unique_id_r "
        f"UNION ALL SELECT a.unique_id, b.unique_id, a.organisation_id, b.organisation_id, "
        f"{scored} FROM {twins.physical_name} p "
        f"JOIN {_MEMBERS} a ON a.first_id = p.unique_id_r "
        f"JOIN {_MEMBERS} b ON b.first_id = p.unique_id_r AND a.unique_id < b.unique_id "
        f"WHERE p.match_probability >= {float(review_threshold)!r}"
    ).fetchall()
    for frame in (predictions, twins):
        frame.drop_table_from_database_and_remove_from_cache()
    for name in (_DISTINCT, _TWINS):
        connection.execute(f"DROP TABLE IF EXISTS {name}").fetchall()
    return compared


def _within_group(rule: Block) -> BlockingRuleCreator:
    """``rule``, restricted to a record and its copy (``_TWINS``)."""
    if rule.sql is not None:
        return CustomRule(
            f"({rule.sql}) AND l.__schakel_group = r.__schakel_group", sql_dialect="duckdb"
        )
    return block_on(*rule.columns, "__schakel_group")


def _score_pairs(
    connection: duckdb.DuckDBPyConnection,
    predictions: str,
    settings: KindSettings,
    threshold: float,
    *,
    links_table: bool,
) -> None:
    """Tables of the scored pairs, each comparison's weight with its term-frequency part, the
    identifying comparisons' weight, and whether the pair links; and (``links_table``) of the
    links alone, for Splink's clustering."""
    available = {row[0] for row in connection.execute(f"DESCRIBE {predictions}").fetchall()}

    def weight(name: str) -> str:
        if f"mw_tf_adj_{name}" in available:
            return f"(mw_{name} + mw_tf_adj_{name})"
        return f"mw_{name}"

    identifying = " + ".join(weight(name) for name in settings.identifying)
    linked = f"match_probability >= {float(threshold)!r} AND {identifying} > 0"
    columns = [
        "unique_id_l",
        "unique_id_r",
        "organisation_id_l",
        "organisation_id_r",
        "match_probability",
        "match_weight",
        f"{identifying} AS identifying_weight",
        f"{linked} AS linked",
        *(f"gamma_{comparison.name}" for comparison in settings.comparisons),
        *(
            f"{weight(comparison.name)} AS mw_{comparison.name}"
            for comparison in settings.comparisons
        ),
    ]
    # Table and column names come from the declarations and from Splink, never from input.
    connection.execute(
        f"CREATE OR REPLACE TABLE {_SCORED} AS SELECT {', '.join(columns)} FROM {predictions}"  # noqa: S608
    ).fetchall()
    if links_table:
        connection.execute(
            f"CREATE OR REPLACE TABLE {_LINKS} AS SELECT * FROM {_SCORED} WHERE linked"  # noqa: S608
        ).fetchall()


def _fetch_pairs(connection: duckdb.DuckDBPyConnection, settings: KindSettings) -> pandas.DataFrame:
    frame = connection.execute(
        f"SELECT * FROM {_SCORED} ORDER BY unique_id_l, unique_id_r"  # noqa: S608
    ).fetch_df()
    names = [comparison.name for comparison in settings.comparisons]
    for comparison in settings.comparisons:
        # Each level's label, as a categorical column whose codes are the levels' indexes in
        # ``labels`` (a million-mention run holds three million pairs: one small integer
        # each, not a string; readers compare and print the labels as before).
        gamma = frame.pop(f"gamma_{comparison.name}").to_numpy()
        codes = numpy.zeros(len(gamma), dtype="int16")
        for index in range(len(comparison.labels)):
            codes[gamma == comparison.gamma(index)] = index
        frame[comparison.name] = pandas.Categorical.from_codes(
            codes, categories=list(comparison.labels)
        )
    first = [column for column in frame.columns if column not in names and column[:3] != "mw_"]
    return frame[first + names + [f"mw_{name}" for name in names]]


def _fetch_clusters(connection: duckdb.DuckDBPyConnection, table_name: str) -> dict[int, int]:
    # The table is Splink's own; its name never comes from input.
    sql = f"SELECT unique_id, min(unique_id) OVER (PARTITION BY cluster_id) FROM {table_name}"  # noqa: S608
    return {int(record): int(cluster) for record, cluster in connection.execute(sql).fetchall()}


def _term_frequency_columns(settings: KindSettings) -> list[str]:
    return sorted(
        {
            level.term_frequencies
            for comparison in settings.comparisons
            for level in comparison.levels
            if level.term_frequencies is not None
        }
    )


def _fetch_frequencies(
    connection: duckdb.DuckDBPyConnection, linker: Linker, column: str
) -> dict[str, float]:
    table = linker.table_management.compute_tf_table(column)
    sql = f'SELECT "{column}", "tf_{column}" FROM {table.physical_name}'  # noqa: S608 - as above
    return {value: float(share) for value, share in connection.execute(sql).fetchall()}


class _Clock:
    """Times each phase and reports progress (phase name, share of the run done)."""

    def __init__(self, progress: Progress | None) -> None:
        self.durations: dict[str, float] = {}
        self._progress = progress

    @contextmanager
    def __call__(self, phase: str, done: float) -> Iterator[None]:
        if self._progress is not None:
            self._progress(phase, done)
        start = time.perf_counter()
        try:
            yield
        finally:
            self.durations[phase] = time.perf_counter() - start
            logger.debug("linkage phase done", extra={"phase": phase})

    def done(self) -> None:
        if self._progress is not None:
            self._progress("done", 1.0)
