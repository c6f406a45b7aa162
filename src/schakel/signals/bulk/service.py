"""The bulk import: read a file, check every row, and — only if no row has a problem — write
all its new signals in one transaction. The web job and ``schakel import`` both call
``import_signals``; they differ only in how they show progress.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from schakel.constraints import violates_unique
from schakel.errors import InvalidInput, NotAllowed
from schakel.partners.models import Organisation, User
from schakel.signals.bulk.access import may_import
from schakel.signals.bulk.beside import Beside, fewer_collections, freeze_now, worker_count
from schakel.signals.bulk.reading import Table, read_table
from schakel.signals.bulk.rows import (
    ImportDefaults,
    RowParser,
    cells_of,
    content_key,
    source_key_of,
)
from schakel.signals.bulk.validation import (
    FileOrder,
    RowChecker,
    RowProblem,
    RowVerdict,
    SkippedRow,
    check_rows,
    existing_keys,
    groups_by_name,
)
from schakel.signals.models import SOURCE_KEY_UNIQUE, Channel, Signal
from schakel.signals.retention import initial_retention
from schakel.signals.writer import (
    PreparedSignal,
    ToSend,
    ToWrite,
    WritingContext,
    prepare_signals,
    write_prepared,
    write_signals,
)

log = logging.getLogger(__name__)

#: ``progress(phase, done, total)``; phase is "reading", "validating" or "writing".
Progress = Callable[[str, int, int], None]

#: How many problems and created references an outcome keeps for its pages and exports.
KEEP_AT_MOST = 10_000

#: From how many rows a file is checked in worker processes beside the writing: below,
#: starting them costs more than it saves.
BESIDE_FROM_ROWS = 2_000

#: Rows per batch when checking beside writing: one worker's task, and one write.
BATCH_ROWS = 500

#: How often an import is tried when concurrent writers take some of its rows' keys first.
ATTEMPTS = 3


@dataclass
class ImportOutcome:
    file_name: str
    dry_run: bool = False
    kind: str = ""
    encoding: str = ""
    delimiter: str = ""
    rows: int = 0
    file_problems: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    problem_count: int = 0
    skipped: list[SkippedRow] = field(default_factory=list)
    to_create: int = 0
    created: list[tuple[int, str]] = field(default_factory=list)  # row, reference

    @property
    def ok(self) -> bool:
        return not self.file_problems and not self.problem_count

    @property
    def status(self) -> str:
        """refused (nothing written), checked (dry run without problems) or done."""
        if not self.ok:
            return "refused"
        return "checked" if self.dry_run else "done"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file_name": self.file_name,
            "dry_run": self.dry_run,
            "kind": self.kind,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "rows": self.rows,
            "file_problems": self.file_problems,
            "problems": [p.as_dict() for p in self.problems[:KEEP_AT_MOST]],
            "problem_count": self.problem_count,
            "skipped": [s.as_dict() for s in self.skipped[:KEEP_AT_MOST]],
            "skipped_count": len(self.skipped),
            "to_create": self.to_create,
            "created": [list(pair) for pair in self.created[:KEEP_AT_MOST]],
            "created_count": len(self.created),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImportOutcome:
        return cls(
            file_name=data.get("file_name", ""),
            dry_run=bool(data.get("dry_run")),
            kind=data.get("kind", ""),
            encoding=data.get("encoding", ""),
            delimiter=data.get("delimiter", ""),
            rows=int(data.get("rows", 0)),
            file_problems=list(data.get("file_problems", [])),
            problems=[RowProblem(p["row"], p["column"], p["message"]) for p in data["problems"]]
            if "problems" in data
            else [],
            problem_count=int(data.get("problem_count", 0)),
            skipped=[
                SkippedRow(s["row"], s.get("reference", ""), s.get("same_as_row"))
                for s in data.get("skipped", [])
            ],
            to_create=int(data.get("to_create", 0)),
            created=[(int(row), str(ref)) for row, ref in data.get("created", [])],
        )

    def summary(self) -> dict[str, Any]:
        """The counts only: the job's return value and the command's last line."""
        return {
            "status": self.status,
            "rows": self.rows,
            "problems": self.problem_count + len(self.file_problems),
            "skipped": len(self.skipped),
            "created": len(self.created),
            "to_create": self.to_create,
        }


def import_signals(
    data: bytes,
    *,
    file_name: str,
    submitted_by: User,
    defaults: ImportDefaults,
    dry_run: bool = False,
    progress: Progress | None = None,
    request: Any = None,
    audit_details: Mapping[str, Any] | None = None,
    today: date | None = None,
) -> ImportOutcome:
    """Import the signals of a CSV or XLSX file for ``submitted_by``'s organisation.

    Every row is checked first; one problem anywhere and nothing is written. Rows imported
    before (same ``external_id``, or same content) are skipped, not refused. Problems are
    returned in the active language, by row number and column.
    """
    owner = submitted_by.organisation
    if owner is None or not may_import(submitted_by):
        raise NotAllowed(_("You may not import signals for an organisation."))
    outcome = ImportOutcome(file_name=file_name, dry_run=dry_run)

    run = _Run(
        owner=owner,
        submitted_by=submitted_by,
        defaults=defaults,
        dry_run=dry_run,
        report=progress or (lambda phase, done, total: None),
        request=request,
        audit_details=audit_details or {},
        today=today,
    )
    with fewer_collections():
        return _read_and_import(data, outcome, run)


@dataclass(frozen=True)
class _Run:
    """What one import was asked to do."""

    owner: Organisation
    submitted_by: User
    defaults: ImportDefaults
    dry_run: bool
    report: Progress
    request: Any
    audit_details: Mapping[str, Any]
    today: date | None


def _read_and_import(data: bytes, outcome: ImportOutcome, run: _Run) -> ImportOutcome:
    report = run.report
    report("reading", 0, 0)
    try:
        table = read_table(data, outcome.file_name)
    except InvalidInput as exc:
        outcome.file_problems.append(str(exc.message))
        return outcome
    outcome.kind, outcome.encoding, outcome.delimiter = table.kind, table.encoding, table.delimiter
    outcome.rows = len(table)
    if not table.rows:
        outcome.file_problems.append(_("The file has column names but no rows."))
        return outcome
    freeze_now()
    how = _import_beside_checking if checks_beside(len(table)) else _import_after_checking
    for attempt in range(1, ATTEMPTS):
        try:
            return how(table, outcome, run)
        except IntegrityError as exc:
            # Another import (or an API request) wrote some of these rows' keys after this
            # one found them free: our INSERT waited for its transaction and failed once it
            # committed. Ours is rolled back whole; the file is imported again and finds those
            # rows imported before, as it would have a moment later.
            if not violates_unique(exc, Signal, SOURCE_KEY_UNIQUE):
                raise
            log.info(
                "import tried again: another writer took some of its keys first",
                extra={"attempt": attempt},
            )
            outcome = _read_again(outcome)
    return how(table, outcome, run)


def _read_again(outcome: ImportOutcome) -> ImportOutcome:
    """A fresh outcome for the same file as read, before any row was checked."""
    return ImportOutcome(
        file_name=outcome.file_name,
        dry_run=outcome.dry_run,
        kind=outcome.kind,
        encoding=outcome.encoding,
        delimiter=outcome.delimiter,
        rows=outcome.rows,
    )


def checks_beside(rows: int) -> bool:
    """Whether a file is checked in worker processes beside the writing (``BESIDE_FROM_ROWS``
    rows or more, on PostgreSQL, whose ``COPY`` the workers prepare for)."""
    return (
        rows >= BESIDE_FROM_ROWS and connections[router.db_for_write(Signal)].vendor == "postgresql"
    )


def _import_after_checking(table: Table, outcome: ImportOutcome, run: _Run) -> ImportOutcome:
    """Every row checked first, then the valid ones written in one transaction."""
    run.report("validating", 0, len(table))
    checked = check_rows(
        table,
        owner=run.owner,
        defaults=run.defaults,
        today=run.today,
        progress=lambda done, total: run.report("validating", done, total),
    )
    outcome.problems = sorted(checked.problems, key=lambda p: p.row)
    outcome.problem_count = len(checked.problems)
    outcome.skipped = checked.skipped
    outcome.to_create = len(checked.valid)
    freeze_now()
    if not checked.ok or run.dry_run or not checked.valid:
        return outcome

    run.report("writing", 0, len(checked.valid))
    with transaction.atomic():
        # Checked again inside the transaction: another import of the same rows may have
        # finished since (two at once collide on the unique key: the loser is rolled back
        # and tried again by _read_and_import).
        now_known = existing_keys(run.owner, (row.source_key for row, _clean in checked.valid))
        rows = [(row, clean) for row, clean in checked.valid if row.source_key not in now_known]
        outcome.skipped += [
            SkippedRow(row.number, reference=now_known[row.source_key])
            for row, _clean in checked.valid
            if row.source_key in now_known
        ]
        signals = write_signals(
            [ToWrite(clean, row.source_key) for row, clean in rows],
            submitted_by=run.submitted_by,
            channel=Channel.BULK,
            request=run.request,
            audit_details=run.audit_details,
            progress=lambda done, total: run.report("writing", done, total),
        )
    outcome.created = [
        (row.number, signal.reference) for (row, _clean), signal in zip(rows, signals, strict=True)
    ]
    outcome.skipped.sort(key=lambda s: s.row)
    return outcome


def _import_beside_checking(table: Table, outcome: ImportOutcome, run: _Run) -> ImportOutcome:
    """Worker processes check batch *n + 1* (and prepare its rows for ``COPY``) while this
    process writes batch *n*, all in one transaction: once a row has a problem, nothing more
    is written, the rest is still checked (every problem is reported), and the transaction
    is rolled back — as it is for a dry run."""
    parser = RowParser(table.columns, run.defaults, groups_by_name(), table.unreadable)
    checker = RowChecker(run.owner, today=run.today)
    connection = connections[router.db_for_write(Signal)]
    context = WritingContext(
        submitted_by=run.submitted_by,
        channel=Channel.BULK,
        received_at=timezone.now(),
        retention_until=initial_retention(timezone.localdate()),
    )
    rows = table.rows
    # Every row's key, and those imported before, first: rows imported before are neither
    # checked nor prepared (a file imported again costs little more than reading it).
    keys = [source_key_of(cells_of(table.columns, cells)) for _number, cells in rows]
    before: dict[str, str] = {}  # looked up in the transaction, before the workers start

    def check_batch(
        start: int, stop: int
    ) -> tuple[list[RowVerdict | None], list[PreparedSignal | None]]:
        # In a worker: nothing here may use the database.
        verdicts = [
            None if key in before else checker.check_alone(parser.parse(number, cells))
            for (number, cells), key in zip(rows[start:stop], keys[start:stop], strict=True)
        ]
        return verdicts, prepare(verdicts)

    def prepare(verdicts: list[RowVerdict | None]) -> list[PreparedSignal | None]:
        prepared: list[PreparedSignal | None] = (
            [None for _ in verdicts]
            if run.dry_run
            else prepare_signals(
                [v.clean if v else None for v in verdicts],
                [v.source_key if v else "" for v in verdicts],
                context,
                connection=connection,
            )
        )
        for verdict in verdicts:
            if verdict is not None:
                verdict.clean = None  # the writing process needs the prepared lines only
        return prepared

    by_number = dict(rows)
    order = FileOrder(lambda number: content_key(cells_of(table.columns, by_number[number])))
    spans = [
        (start, min(start + BATCH_ROWS, len(rows))) for start in range(0, len(rows), BATCH_ROWS)
    ]
    done = 0
    run.report("validating", 0, len(rows))
    # The first row checked here, before the workers are forked: whatever is loaded on first
    # use (the rules, vocabularies, triage model) is then loaded once, not in every worker.
    prepare([checker.check_alone(parser.parse(*rows[0]))])
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Each batch's foreign keys checked as its COPY ends, while the workers check the
            # next batch, instead of all 100,000 rows' at the commit, alone (Django makes them
            # deferrable, initially deferred). The batches write parents before children.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        before.update(existing_keys(run.owner, keys))
        spans_and_results = zip(
            spans, Beside(check_batch, spans, workers=worker_count()), strict=True
        )
        for (start, stop), (verdicts, prepared) in spans_and_results:
            batch: list[ToSend] = []
            numbers: list[int] = []
            for (number, _cells), key, verdict, ready in zip(
                rows[start:stop], keys[start:stop], verdicts, prepared, strict=True
            ):
                if not order.admit(
                    number, key, before, problems=outcome.problems, skipped=outcome.skipped
                ):
                    continue
                if verdict is None:
                    raise RuntimeError("a row to write came back unchecked")
                _clean, problems = checker.judge(verdict)
                if problems:
                    outcome.problems += problems
                    continue
                outcome.to_create += 1
                if ready is not None:
                    found = checker.context_of(verdict)
                    batch.append(
                        (
                            ready,
                            key,
                            found.municipality.pk if found.municipality else None,
                            [group.pk for group in found.groups],
                            [other.pk for other in found.recipients],
                        )
                    )
                    numbers.append(number)
            writing = not outcome.problems and not run.dry_run
            if writing:
                signals = write_prepared(
                    batch, context, request=run.request, audit_details=run.audit_details
                )
                outcome.created += [
                    (number, signal.reference)
                    for number, signal in zip(numbers, signals, strict=True)
                ]
            done += len(verdicts)
            run.report("writing" if writing else "validating", done, len(rows))
            freeze_now()
        if outcome.problems or run.dry_run:
            transaction.set_rollback(True)
    outcome.problems.sort(key=lambda p: p.row)
    outcome.problem_count = len(outcome.problems)
    if outcome.problems:
        outcome.created = []
    return outcome
