"""Reading an uploaded file into rows of text: CSV (UTF-8 with or without BOM, UTF-16 with
BOM, Windows-1252; delimiter ``,``, ``;`` or tab) or XLSX (the first sheet).

What comes out is text per template column and the row number a spreadsheet shows (the
header is row 1). Problems with the file as a whole (too large, unreadable, unknown columns)
raise ``InvalidInput`` naming what is wrong; problems in a cell are the validator's business,
except for XLSX cells that hold no value to read (a formula whose value the program that
wrote the file did not store, an error such as ``#N/A``): the table lists those by row and
column (``Table.unreadable``), and the row is refused with them.

How XLSX cells become text (``docs/import.md`` says the same to people): a date cell is its
date (``YYYY-MM-DD``); a date-and-time cell is written ``YYYY-MM-DD hh:mm:ss``, which a date
column reads as its date (the signal holds dates, not times of day); a number is written
with the digits Excel shows, never with a trailing ``.0`` or binary noise (Excel itself keeps
15 significant digits: a longer number must be typed as text); formulas are never evaluated.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from schakel.errors import InvalidInput
from schakel.signals.bulk.columns import BY_NAME

#: The largest file accepted, in bytes, and the most rows (a larger file is split).
MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000

DELIMITERS = (",", ";", "\t")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls format


@dataclass
class Table:
    """The rows of a file: ``cells[i]`` belongs to ``columns[i]``."""

    kind: str  # "csv" or "xlsx"
    columns: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""
    #: Cells with no value to read, by row number and column: why each cannot be read.
    unreadable: dict[int, dict[str, str | Promise]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)


def file_problem(message: str) -> InvalidInput:
    return InvalidInput(message, field="file")


def check_size(size: int) -> None:
    if size > MAX_BYTES:
        raise file_problem(
            _(
                "The file is %(size)s MB; at most %(max)d MB can be imported at once. "
                "Split it into smaller files."
            )
            % {"size": f"{size / 1024 / 1024:.1f}", "max": MAX_BYTES // 1024 // 1024}
        )


def read_table(data: bytes, file_name: str = "") -> Table:
    """Read an uploaded file; raise InvalidInput for what makes the whole file unusable."""
    check_size(len(data))
    if not data.strip():
        raise file_problem(_("The file is empty."))
    if data.startswith(_OLE_MAGIC) or file_name.lower().endswith(".xls"):
        raise file_problem(
            _("This is an old Excel file (.xls). Save it as .xlsx or as CSV and try again.")
        )
    if data.startswith(_ZIP_MAGIC):
        return _read_xlsx(data)
    return _read_csv(data)


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read with.

    A byte-order mark decides; without one, UTF-8 is tried first (it rarely decodes text that
    is not UTF-8) and Windows-1252 after it (what Excel on Windows writes for "CSV").
    """
    if data.startswith(codecs.BOM_UTF8):
        return _decode(data[len(codecs.BOM_UTF8) :], "utf-8", "UTF-8"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(data, "utf-16", "UTF-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as exc:
        raise file_problem(
            _(
                "The file's character encoding is not UTF-8 or Windows-1252 (byte %(position)d "
                "cannot be read). Save it as “CSV UTF-8” and try again."
            )
            % {"position": exc.start + 1}
        ) from None


def _decode(data: bytes, codec: str, name: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise file_problem(
            _(
                "The file says it is %(encoding)s, but byte %(position)d is not. Save it again "
                "as “CSV UTF-8” and try again."
            )
            % {"encoding": name, "position": exc.start + 1}
        ) from None


def sniff_delimiter(text: str) -> str:
    """The delimiter of the header line: the one of ``,``, ``;`` and tab it holds most of,
    outside quotes. Column names never contain one, so the header decides reliably."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    header = next((line for line in io.StringIO(text) if line.strip()), "")
    for character in header:
        if character == '"':
            quoted = not quoted
        elif character in ("\n", "\r") and not quoted:
            break
        elif character in counts and not quoted:
            counts[character] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(data: bytes) -> Table:
    text, encoding = decode(data)
    delimiter = sniff_delimiter(text)
    try:
        records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
        return _table("csv", records, encoding=encoding, delimiter=delimiter)
    except csv.Error as exc:
        raise file_problem(
            _("The file is not a CSV file that can be read: %(error)s") % {"error": exc}
        ) from None


def _read_xlsx(data: bytes) -> Table:
    # Imported here: only XLSX uploads pay for loading openpyxl.
    from openpyxl import load_workbook

    try:
        # read_only streams the sheet; data_only reads stored values and never a formula.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise _not_a_workbook() from None
    unreadable: dict[int, dict[int, str | Promise]] = {}

    def records() -> Iterator[list[str]]:
        for number, values in enumerate(_sheet_values(workbook), start=1):
            texts = []
            for position, value in enumerate(values):
                if isinstance(value, _Unreadable):
                    unreadable.setdefault(number, {})[position] = value.message
                    texts.append("")
                else:
                    texts.append(_cell_text(value))
            yield texts

    try:
        return _table("xlsx", records(), unreadable=unreadable)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, SyntaxError):
        # SyntaxError: xml.etree's ParseError, for a sheet that is not well-formed XML.
        raise _not_a_workbook() from None
    finally:
        workbook.close()


def _not_a_workbook() -> InvalidInput:
    return file_problem(
        _("The file cannot be read as an Excel workbook (.xlsx). Save it again and retry.")
    )


@dataclass(frozen=True)
class _Unreadable:
    """An XLSX cell without a value to read, and why."""

    message: str | Promise


FORMULA_WITHOUT_VALUE = _Unreadable(
    gettext_lazy(
        "This cell holds a formula without its value: the program that saved the file did "
        "not calculate it, and formulas are never calculated here. Open the file in Excel "
        "or LibreOffice and save it again, or type the value instead of the formula."
    )
)


def _sheet_values(workbook: Any) -> Iterator[list[Any]]:
    """The values of the first sheet's rows, from row 1 and column A (a row or cell the
    file leaves out is empty), with an ``_Unreadable`` for a cell that holds no value to
    read. openpyxl's ``data_only`` reading gives None both for an empty cell and for a
    formula whose value was not stored, so the cells are read with its sheet parser, which
    sees the difference."""
    sheet = workbook.worksheets[0]
    parser = _parser_class()(
        sheet._get_source(),
        sheet._shared_strings,
        data_only=True,
        epoch=workbook.epoch,
        date_formats=workbook._date_formats,
        timedelta_formats=workbook._timedelta_formats,
    )
    try:
        expected = 1
        for number, cells in parser.parse():
            for _missing in range(expected, number):
                yield []
            expected = number + 1
            values: list[Any] = [None] * max((cell["column"] for cell in cells), default=0)
            for cell in cells:
                values[cell["column"] - 1] = cell["value"]
            yield values
    finally:
        parser.source.close()


@cache
def _parser_class() -> Callable[..., Any]:
    from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

    class CellParser(WorkSheetParser):
        def parse_cell(self, element: Any) -> dict[str, Any]:
            cell: dict[str, Any] = super().parse_cell(element)
            if element.find(FORMULA_TAG) is not None and _without_value(element):
                cell["value"] = FORMULA_WITHOUT_VALUE
            elif cell["data_type"] == "e":
                cell["value"] = _Unreadable(
                    gettext_lazy(
                        "This cell holds the spreadsheet error %(error)s instead of a value."
                    )
                    % {"error": cell["value"]}
                )
            return cell

    def _without_value(element: Any) -> bool:
        # Excel stores a formula's value beside it; an empty text as <v></v> in a cell of
        # type "str". A program that does not calculate stores no <v>, or an empty one
        # (openpyxl writes <v />) in a cell of another type: a number is never empty.
        value = element.find(VALUE_TAG)
        return value is None or (not value.text and element.get("t") != "str")

    return CellParser


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a CSV would hold (see the module's docstring); nothing
    is ever evaluated."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        moment: datetime = value.replace(tzinfo=None)
        return moment.date().isoformat() if moment.time() == time(0) else moment.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and math.isfinite(value):
        # The shortest text that reads back as the same number: the digits Excel wrote (it
        # writes at most 17 significant digits and shows 15), never binary noise such as
        # 1234567890123450112 for 1.23456789012345E+18, nor 12345.0 for 12345.
        text = format(Decimal(repr(value)), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def normalise_header(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").split())


def _table(
    kind: str,
    records: Iterable[list[str]],
    *,
    encoding: str = "",
    delimiter: str = "",
    unreadable: dict[int, dict[int, str | Promise]] | None = None,
) -> Table:
    """The table of ``records``; ``unreadable``: the cells without a value to read by row
    number and position, filled in by the time ``records`` yields their row."""
    unreadable = {} if unreadable is None else unreadable
    iterator: Iterator[list[str]] = iter(records)
    header: list[str] | None = None
    header_number = 0
    for number, record in enumerate(iterator, start=1):
        if any(cell.strip() for cell in record) or number in unreadable:
            header, header_number = record, number
            break
    if header is None:
        raise file_problem(_("The file is empty."))
    names = [normalise_header(cell) for cell in header]
    _check_header(names)
    table = Table(kind, [n for n in names if n], encoding=encoding, delimiter=delimiter)
    positions = [i for i, n in enumerate(names) if n]
    width = len(names)
    if header_number in unreadable:
        raise file_problem(
            _("The name of column %(column)d is not a value that can be read: %(problem)s")
            % {
                "column": min(unreadable[header_number]) + 1,
                "problem": next(iter(unreadable[header_number].values())),
            }
        )
    for number, record in enumerate(iterator, start=header_number + 1):
        bad = unreadable.get(number, {})
        if not bad and not any(cell.strip() for cell in record):
            continue  # an empty line, e.g. at the end of the file
        if len(table.rows) >= MAX_ROWS:
            raise file_problem(
                _("The file has more than %(max)s rows; split it into smaller files.")
                % {"max": f"{MAX_ROWS:,}"}
            )
        if len(record) < width:
            record = record + [""] * (width - len(record))
        elif len(record) > width and (
            any(cell.strip() for cell in record[width:]) or any(i >= width for i in bad)
        ):
            raise file_problem(
                _(
                    "Row %(row)d has more values than the header has columns; check the "
                    "delimiters and quotes on that row."
                )
                % {"row": number}
            )
        unnamed = [i for i, n in enumerate(names) if not n and (record[i].strip() or i in bad)]
        if unnamed:
            raise file_problem(
                _("Row %(row)d has a value in a column without a name (column %(column)d).")
                % {"row": number, "column": unnamed[0] + 1}
            )
        table.rows.append((number, [record[i] for i in positions]))
        if bad:
            table.unreadable[number] = {names[i]: message for i, message in bad.items()}
    return table


def _check_header(names: list[str]) -> None:
    unknown = [n for n in names if n and n not in BY_NAME]
    if unknown:
        raise file_problem(
            ngettext(
                "Unknown column: %(columns)s. Use the column names of the import template.",
                "Unknown columns: %(columns)s. Use the column names of the import template.",
                len(unknown),
            )
            % {"columns": ", ".join(f"“{n}”" for n in unknown)}
        )
    named = [n for n in names if n]
    twice = sorted({n for n in named if named.count(n) > 1})
    if twice:
        raise file_problem(
            _("These columns appear more than once: %(columns)s.")
            % {"columns": ", ".join(f"“{n}”" for n in twice)}
        )
    if not any(names):
        raise file_problem(_("The first row must name the columns."))
