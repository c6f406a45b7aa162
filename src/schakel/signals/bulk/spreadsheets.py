"""Spreadsheet files we write (the import template, the validation report), safe against
formula injection: a cell someone typed must never run as a formula when the file is opened.

* XLSX: every cell is written as a text cell (never a formula, whatever it starts with), and
  the columns are formatted as text, so that what a user types later stays text too (a phone
  number keeps its leading 0 or +).
* CSV has no types; a spreadsheet evaluates a cell that starts with ``=``, ``+``, ``-`` or
  ``@`` (and some also after a leading tab or carriage return). We put an apostrophe before
  such a cell — unless it holds nothing but digits, spaces and ``+ - . , ( ) /``. Such a cell
  can at most be arithmetic on numbers, never a function call or a reference to another
  cell or program, so values such as the E.164 phone number ``+31612345678`` or ``-12`` are
  written exactly as they are.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

#: Characters that make a spreadsheet read a cell as a formula when they come first.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_ONLY_NUMBERS = re.compile(r"^[0-9\s+\-.,()/]*$")


def neutralise(value: str) -> str:
    """The cell as it must stand in a CSV file so that no spreadsheet evaluates it."""
    if value.startswith(FORMULA_TRIGGERS) and not _ONLY_NUMBERS.match(value):
        return "'" + value
    return value


def csv_bytes(
    header: Sequence[str], rows: Iterable[Sequence[object]], delimiter: str = ";"
) -> bytes:
    """A CSV file as Excel opens it without asking: UTF-8 with a byte-order mark, and ``;``
    between values (the list separator of Dutch settings). Every cell is neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([neutralise(str(cell)) for cell in header])
    for row in rows:
        writer.writerow([neutralise("" if cell is None else str(cell)) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@dataclass
class Sheet:
    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[object]] = ()
    widths: Sequence[int] = field(default_factory=list)


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """An XLSX workbook whose every cell is text: nothing in it is ever a formula."""
    # Imported here: only the pages that write a workbook pay for loading openpyxl.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    bold = Font(bold=True)
    for spec in sheets:
        sheet = workbook.create_sheet(spec.title[:31])
        for index in range(1, len(spec.header) + 1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].number_format = "@"
            width = spec.widths[index - 1] if index - 1 < len(spec.widths) else 18
            sheet.column_dimensions[letter].width = width
        for row_index, row in enumerate([spec.header, *spec.rows], start=1):
            for column_index, value in enumerate(row, start=1):
                cell = sheet.cell(row=row_index, column=column_index)
                cell.value = "" if value is None else str(value)
                cell.data_type = "s"  # text, even when it starts with "="
                cell.number_format = "@"
                if row_index == 1:
                    cell.font = bold
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
