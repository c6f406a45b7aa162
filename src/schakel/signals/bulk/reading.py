"""Reading an uploaded file into rows of text: CSV (UTF-8 with or without BOM, UTF-16 with
BOM, Windows-1252; delimiter ``,``, ``;`` or tab) or XLSX (the first sheet).

What comes out is text per template column and the row number a spreadsheet shows (the
header is row 1). Problems with the file as a whole (too large, unreadable, unknown columns)
raise ``InvalidInput`` naming what is wrong; problems in a cell are the validator's business.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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
        raise file_problem(
            _("The file cannot be read as an Excel workbook (.xlsx). Save it again and retry.")
        ) from None
    try:
        sheet = workbook.worksheets[0]
        rows = ([_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True))
        return _table("xlsx", rows)
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a CSV would hold. Dates become YYYY-MM-DD; whole numbers
    lose Excel's ".0"; nothing is ever evaluated."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def normalise_header(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").split())


def _table(
    kind: str, records: Iterable[list[str]], *, encoding: str = "", delimiter: str = ""
) -> Table:
    iterator: Iterator[list[str]] = iter(records)
    header: list[str] | None = None
    header_number = 0
    for number, record in enumerate(iterator, start=1):
        if any(cell.strip() for cell in record):
            header, header_number = record, number
            break
    if header is None:
        raise file_problem(_("The file is empty."))
    names = [normalise_header(cell) for cell in header]
    _check_header(names)
    table = Table(kind, [n for n in names if n], encoding=encoding, delimiter=delimiter)
    positions = [i for i, n in enumerate(names) if n]
    width = len(names)
    for number, record in enumerate(iterator, start=header_number + 1):
        if not any(cell.strip() for cell in record):
            continue  # an empty line, e.g. at the end of the file
        if len(table.rows) >= MAX_ROWS:
            raise file_problem(
                _("The file has more than %(max)s rows; split it into smaller files.")
                % {"max": f"{MAX_ROWS:,}"}
            )
        if len(record) < width:
            record = record + [""] * (width - len(record))
        elif len(record) > width and any(cell.strip() for cell in record[width:]):
            raise file_problem(
                _(
                    "Row %(row)d has more values than the header has columns; check the "
                    "delimiters and quotes on that row."
                )
                % {"row": number}
            )
        unnamed = [i for i, n in enumerate(names) if not n and record[i].strip()]
        if unnamed:
            raise file_problem(
                _("Row %(row)d has a value in a column without a name (column %(column)d).")
                % {"row": number, "column": unnamed[0] + 1}
            )
        table.rows.append((number, [record[i] for i in positions]))
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
