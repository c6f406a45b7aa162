"""The bulk import: read a file, check every row, and — only if no row has a problem — write
all its new signals in one transaction. The web job and ``schakel import`` both call
``import_signals``; they differ only in how they show progress.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from schakel.errors import InvalidInput, NotAllowed
from schakel.partners.models import User
from schakel.signals.bulk.access import may_import
from schakel.signals.bulk.reading import read_table
from schakel.signals.bulk.rows import ImportDefaults
from schakel.signals.bulk.validation import RowProblem, SkippedRow, check_rows, existing_keys
from schakel.signals.models import Channel
from schakel.signals.writer import ToWrite, write_signals

#: ``progress(phase, done, total)``; phase is "reading", "validating" or "writing".
Progress = Callable[[str, int, int], None]

#: How many problems and created references an outcome keeps for its pages and exports.
KEEP_AT_MOST = 10_000


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
    report = progress or (lambda phase, done, total: None)

    report("reading", 0, 0)
    try:
        table = read_table(data, file_name)
    except InvalidInput as exc:
        outcome.file_problems.append(str(exc.message))
        return outcome
    outcome.kind, outcome.encoding, outcome.delimiter = table.kind, table.encoding, table.delimiter
    outcome.rows = len(table)
    if not table.rows:
        outcome.file_problems.append(_("The file has column names but no rows."))
        return outcome

    report("validating", 0, len(table))
    checked = check_rows(
        table,
        owner=owner,
        defaults=defaults,
        today=today,
        progress=lambda done, total: report("validating", done, total),
    )
    outcome.problems = sorted(checked.problems, key=lambda p: p.row)
    outcome.problem_count = len(checked.problems)
    outcome.skipped = checked.skipped
    outcome.to_create = len(checked.valid)
    if not checked.ok or dry_run or not checked.valid:
        return outcome

    report("writing", 0, len(checked.valid))
    with transaction.atomic():
        # Checked again inside the transaction: another import of the same rows may have
        # finished since (two at once collide on the unique key and roll back instead).
        now_known = existing_keys(owner, (row.source_key for row, _clean in checked.valid))
        rows = [(row, clean) for row, clean in checked.valid if row.source_key not in now_known]
        outcome.skipped += [
            SkippedRow(row.number, reference=now_known[row.source_key])
            for row, _clean in checked.valid
            if row.source_key in now_known
        ]
        signals = write_signals(
            [ToWrite(clean, row.source_key) for row, clean in rows],
            submitted_by=submitted_by,
            channel=Channel.BULK,
            request=request,
            audit_details=audit_details,
            progress=lambda done, total: report("writing", done, total),
        )
    outcome.created = [
        (row.number, signal.reference) for (row, _clean), signal in zip(rows, signals, strict=True)
    ]
    outcome.skipped.sort(key=lambda s: s.row)
    return outcome
