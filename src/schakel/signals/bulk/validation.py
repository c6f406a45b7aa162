"""Checking every row of a file with ``intake.validate_signal`` before anything is written.

Each row is judged by the intake's one validator. To keep a 100,000-row file fast, the part of
a row that needs the database (its municipality and sharing groups) is validated once per
distinct combination rather than once per row: ``validate_signal`` is called on that part
alone, and on the rest of the row without it. The two parts share no rule today; should the
intake ever couple them, ``validate_signal`` accepting ready lookups would make this split
unnecessary (see the design note in ``docs/import.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from django.db import connections, router
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from schakel.errors import InvalidFields
from schakel.partners.models import Organisation, SharingGroup
from schakel.signals.bulk.columns import BY_NAME as COLUMNS_BY_NAME
from schakel.signals.bulk.columns import Kind, Place, place_of
from schakel.signals.bulk.reading import Table
from schakel.signals.bulk.rows import CONTENT_KEY_PREFIX, ImportDefaults, ParsedRow, RowParser
from schakel.signals.intake import CleanSignal, SignalInput, validate_signal
from schakel.signals.models import Channel, Signal
from schakel.signals.rules.errors import RulesError
from schakel.signals.rules.vocabulary import current as vocabularies

#: ``progress(done, total)`` is called now and then while rows are checked.
Progress = Callable[[int, int], None]

#: The paths of validate_signal's problems that concern the database part of a row.
_CONTEXT_PATHS = frozenset({"municipality", "sharing_group_ids", "recipient_ids"})
_LIST_FIELDS = frozenset(
    {
        "forms_of_exploitation",
        "indicator_ids",
        "tags",
        "phones",
        "emails",
        "ibans",
        "plates",
        "websites",
    }
)


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str  # "" for the row as a whole
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class SkippedRow:
    """A row that is not written and is no error: imported before, or repeated in the file."""

    row: int
    reference: str = ""  # the signal it was imported as before
    same_as_row: int | None = None  # the earlier row of this file it repeats

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "reference": self.reference, "same_as_row": self.same_as_row}


@dataclass
class RowVerdict:
    """What checking a row found without the database (``RowChecker.check_alone``)."""

    number: int
    source_key: str
    context: tuple[str, tuple[int, ...]]  # municipality, sharing group ids: for ``judge``
    conversion: list[RowProblem]  # cells that could not be converted
    rest: list[RowProblem]  # validate_signal's problems but the municipality and groups'
    passed: bool  # validate_signal found nothing wrong with the rest
    clean: CleanSignal | None  # without municipality and groups until judged


@dataclass
class CheckedRows:
    total: int
    problems: list[RowProblem] = field(default_factory=list)
    valid: list[tuple[ParsedRow, CleanSignal]] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _red_without_recipients() -> str:
    return _(
        "TLP:RED goes only to named recipients, and an import cannot name them: choose "
        "another label for this row (its tlp column, or the import's default), or enter the "
        "signal with the full form or the API."
    )


def _message(text: str | Promise) -> str:
    return str(text)


def _place_problems(
    row: ParsedRow, problems: Iterable[tuple[str, list[str | Promise]]]
) -> list[RowProblem]:
    found = []
    for path, messages in problems:
        if path == "recipient_ids":
            # A row names no recipients (the template has no column for them), so the only
            # problem of its recipients is a TLP:RED without any: the label is what the row
            # can change, and the intake's message would ask for what it cannot give.
            found.append(RowProblem(row.number, "tlp", _red_without_recipients()))
            continue
        place = place_of(path, row.person_prefixes)
        for message in messages:
            found.append(_row_problem(row, place, message))
    return found


def _row_problem(row: ParsedRow, place: Place, message: str | Promise) -> RowProblem:
    text = _message(message)
    column = COLUMNS_BY_NAME.get(place.column)
    if (
        place.item is not None
        and column is not None
        and column.kind is Kind.LIST
        and place.column in _LIST_FIELDS
        and len(getattr(row.data, place.column)) > 1
    ):
        text = _("Value %(n)d: %(message)s") % {"n": place.item + 1, "message": text}
    return RowProblem(row.number, place.column, text)


class RowChecker:
    """Validates the rows of one file for one organisation."""

    def __init__(self, owner: Organisation, *, today: date | None = None) -> None:
        self.owner = owner
        self.today = today or timezone.localdate()
        self._contexts: dict[tuple[str, tuple[int, ...]], CleanSignal | InvalidFields] = {}

    def _context(
        self, municipality: str, group_ids: tuple[int, ...]
    ) -> CleanSignal | InvalidFields:
        """The municipality and sharing groups of a row, validated once per combination."""
        key = (municipality, group_ids)
        if key not in self._contexts:
            probe = SignalInput(
                description="-", municipality=municipality, sharing_group_ids=list(group_ids)
            )
            try:
                self._contexts[key] = validate_signal(
                    probe, owner=self.owner, channel=Channel.BULK, today=self.today
                )
            except InvalidFields as exc:
                self._contexts[key] = InvalidFields(
                    {p: m for p, m in exc.problems.items() if p in _CONTEXT_PATHS}
                )
        return self._contexts[key]

    def _validate_rest(
        self, data: SignalInput
    ) -> tuple[CleanSignal | None, dict[str, list[str | Promise]]]:
        # The database part is left out for the call and put back after (cheaper than a copy
        # of the row's input: about a tenth of checking a row).
        kept = data.municipality, data.sharing_group_ids, data.recipient_ids
        data.municipality, data.sharing_group_ids, data.recipient_ids = "", [], []
        try:
            return self._validate_without_context(data)
        finally:
            data.municipality, data.sharing_group_ids, data.recipient_ids = kept

    def _validate_without_context(
        self, rest: SignalInput
    ) -> tuple[CleanSignal | None, dict[str, list[str | Promise]]]:
        extra: dict[str, list[str | Promise]] = {}
        try:
            return validate_signal(
                rest, owner=self.owner, channel=Channel.BULK, today=self.today
            ), extra
        except InvalidFields as exc:
            return None, dict(exc.problems)
        except RulesError:
            # An unknown age band makes validate_signal fail while it works out whether the
            # person is a minor, instead of reporting the code (an intake bug, reported).
            # Until it is fixed: report the code as the intake would, and check the rest.
            known = vocabularies().codes("age_bands")
            persons = []
            for index, person in enumerate(rest.persons):
                if person.age_band and person.age_band not in known:
                    extra[f"persons[{index}].age_band"] = [
                        _("Unknown value “%(code)s”.") % {"code": person.age_band}
                    ]
                    person = replace(person, age_band="")
                persons.append(person)
            if not extra:
                raise
            _clean, problems = self._validate_without_context(replace(rest, persons=persons))
            return None, {**extra, **problems}

    def check_alone(self, row: ParsedRow) -> RowVerdict:
        """Everything about the row that needs no database: its conversion and everything
        ``validate_signal`` checks but the municipality and sharing groups. Safe in a
        process that may not use the database connection."""
        clean, rest = self._validate_rest(row.data)
        return RowVerdict(
            number=row.number,
            source_key=row.source_key,
            context=(row.data.municipality, tuple(sorted(set(row.data.sharing_group_ids)))),
            conversion=[_row_problem(row, place, message) for place, message in row.problems],
            rest=_place_problems(row, rest.items()),
            passed=clean is not None,
            clean=clean,
        )

    def judge(self, verdict: RowVerdict) -> tuple[CleanSignal | None, list[RowProblem]]:
        """The row's verdict with its municipality and sharing groups checked (once per
        combination, with the database): its clean signal — None if the verdict came without
        one — or every problem of the row."""
        context = self._context(*verdict.context)
        problems = list(verdict.conversion)
        if isinstance(context, InvalidFields):
            problems += [
                RowProblem(verdict.number, place_of(path, []).column, _message(message))
                for path, messages in context.problems.items()
                for message in messages
            ]
        problems += verdict.rest
        if problems or not verdict.passed or isinstance(context, InvalidFields):
            return None, problems
        clean = verdict.clean
        if clean is not None:
            clean.municipality, clean.groups = context.municipality, context.groups
            clean.recipients = context.recipients
        return clean, []

    def context_of(self, verdict: RowVerdict) -> CleanSignal:
        """The municipality and sharing groups of a row ``judge`` found valid."""
        context = self._context(*verdict.context)
        if isinstance(context, InvalidFields):
            raise ValueError("the row's municipality or sharing groups are not valid")
        return context

    def check(self, row: ParsedRow) -> tuple[CleanSignal | None, list[RowProblem]]:
        return self.judge(self.check_alone(row))


def groups_by_name() -> dict[str, int]:
    """Every sharing group's name (case folded) and id; membership is the validator's call."""
    return {name.casefold(): pk for pk, name in SharingGroup.objects.values_list("pk", "name")}


def existing_keys(owner: Organisation, keys: Iterable[str]) -> dict[str, str]:
    """The source keys among ``keys`` that ``owner`` already holds, with their references."""
    pending = sorted(set(keys))
    found: dict[str, str] = {}
    connection = connections[router.db_for_read(Signal)]
    if connection.vendor == "postgresql":
        # Each key looked up by itself in the unique index of (owner, key): asked for a list
        # of keys at once, the planner may read every signal of the owner instead (it does
        # without statistics, e.g. for a partner's first import), and during a large import
        # every signal written so far, once per batch.
        meta = Signal._meta
        quote = connection.ops.quote_name
        table = quote(meta.db_table)
        owner_column = quote(meta.get_field("owner_organisation").column)
        key, reference = quote("source_key"), quote("reference")
        sql = (
            f"SELECT k.key, (SELECT s.{reference} FROM {table} s "  # noqa: S608 - names quoted
            f"WHERE s.{owner_column} = %s AND s.{key} = k.key AND s.{key} <> '') "
            "FROM unnest(%s::text[]) AS k(key)"
        )
        with connection.cursor() as cursor:
            for start in range(0, len(pending), 10_000):
                cursor.execute(sql, [owner.pk, pending[start : start + 10_000]])
                found.update((k, r) for k, r in cursor.fetchall() if r is not None)
        return found
    # Chunks keep each query under every database's limit on parameters; the empty key is
    # left out as the unique index leaves it out, so that the index may serve.
    for start in range(0, len(pending), 900):
        found.update(
            Signal.objects.filter(
                owner_organisation=owner, source_key__in=pending[start : start + 900]
            )
            .exclude(source_key="")
            .values_list("source_key", "reference")
        )
    return found


class FileOrder:
    """Which rows of a file, taken in order, repeat an earlier row (skipped), reuse an
    earlier row's ``external_id`` with other content (a problem), or were imported before
    (skipped). ``content_key_of(number)``: the content key of an earlier row."""

    def __init__(self, content_key_of: Callable[[int], str]) -> None:
        self.content_key_of = content_key_of
        self._first_with_key: dict[str, int] = {}

    def admit(
        self,
        number: int,
        source_key: str,
        before: Mapping[str, str],
        *,
        problems: list[RowProblem],
        skipped: list[SkippedRow],
    ) -> bool:
        """Whether the row is to be checked and written; if not, it is added to ``problems``
        or ``skipped``. ``before``: the keys imported before, with their references."""
        earlier = self._first_with_key.get(source_key)
        if earlier is None:
            self._first_with_key[source_key] = number
        elif not source_key.startswith(CONTENT_KEY_PREFIX) and self.content_key_of(
            number
        ) != self.content_key_of(earlier):
            # The same own id twice: fine when the rows are the same, an error when not.
            problems.append(
                RowProblem(
                    number,
                    "external_id",
                    _("Row %(row)d has the same external_id with other content.")
                    % {"row": earlier},
                )
            )
            return False
        if source_key in before:
            skipped.append(SkippedRow(number, reference=before[source_key]))
            return False
        if earlier is not None:
            skipped.append(SkippedRow(number, same_as_row=earlier))
            return False
        return True


def check_rows(
    table: Table,
    *,
    owner: Organisation,
    defaults: ImportDefaults,
    progress: Progress | None = None,
    today: date | None = None,
) -> CheckedRows:
    """Convert and validate every row; nothing is written."""
    parser = RowParser(table.columns, defaults, groups_by_name(), table.unreadable)
    checker = RowChecker(owner, today=today)
    result = CheckedRows(total=len(table))
    parsed = [parser.parse(number, cells) for number, cells in table.rows]
    before = existing_keys(owner, (row.source_key for row in parsed))
    by_number = {row.number: row for row in parsed}
    order = FileOrder(lambda number: by_number[number].content_key)
    for done, row in enumerate(parsed, start=1):
        if progress is not None and done % 500 == 0:
            progress(done, result.total)
        if not order.admit(
            row.number, row.source_key, before, problems=result.problems, skipped=result.skipped
        ):
            continue
        clean, problems = checker.check(row)
        if clean is None:
            result.problems += problems
        else:
            result.valid.append((row, clean))
    if progress is not None:
        progress(result.total, result.total)
    return result
