"""The files people download: the import template (CSV and XLSX) and the validation report
of a refused file. Both are made from ``columns.COLUMNS`` and written through
``spreadsheets``, which keeps them safe against formula injection."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from schakel.signals.bulk.columns import COLUMNS
from schakel.signals.bulk.spreadsheets import Sheet, csv_bytes, xlsx_bytes
from schakel.signals.bulk.validation import RowProblem
from schakel.signals.models import Tlp
from schakel.signals.rules.indicators import catalogue
from schakel.signals.rules.vocabulary import current as vocabularies

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def code_rows(language: str | None = None) -> list[tuple[str, str, str]]:
    """Every code a column accepts: (column, code, label in ``language``)."""
    language = (language or get_language() or "nl")[:2]
    rows: list[tuple[str, str, str]] = []
    the_vocabularies = vocabularies()
    for column in COLUMNS:
        if column.vocabulary == "tlp":
            # RED goes only to named recipients, and a row cannot name them.
            rows += [
                (column.name, value, label) for value, label in Tlp.choices if value != Tlp.RED
            ]
        elif column.vocabulary == "indicators":
            rows += [
                (column.name, indicator.id, indicator.label.get(language))
                for indicator in catalogue().all()
                if not indicator.deprecated
            ]
        elif column.vocabulary:
            rows += [
                (column.name, code, label)
                for code, label in the_vocabularies.choices(column.vocabulary, language)
            ]
    return rows


def template_csv() -> bytes:
    """The header row only: a CSV cannot carry explanations (see the XLSX or the guide)."""
    return csv_bytes([column.name for column in COLUMNS], [])


def template_xlsx() -> bytes:
    """The template with two more sheets: what each column takes, and every code."""
    return xlsx_bytes(
        [
            Sheet(
                _("signals"),
                [column.name for column in COLUMNS],
                widths=[max(14, len(column.name) + 4) for column in COLUMNS],
            ),
            Sheet(
                _("columns"),
                [_("column"), _("what it takes"), _("example")],
                [(column.name, str(column.label), column.example) for column in COLUMNS],
                widths=[28, 90, 50],
            ),
            Sheet(
                _("codes"),
                [_("column"), _("code"), _("meaning")],
                code_rows(),
                widths=[28, 40, 70],
            ),
            Sheet(_("how cells are read"), [_("how cells are read")], notes(), widths=[120]),
        ]
    )


def notes() -> list[tuple[str]]:
    """How the cells of a workbook are read: what Excel's types become (``reading``)."""
    return [
        (
            _(
                "Dates: a date cell is read as its date. A cell with a date and a time of day "
                "is read as its date; the time is not kept (a signal holds dates only)."
            ),
        ),
        (
            _(
                "Numbers: Excel keeps at most 15 digits of a number; longer numbers (ids, "
                "account or document numbers) lose their last digits as soon as they are "
                "typed. The columns of this template are text cells: type such numbers "
                "there, or type an apostrophe before them."
            ),
        ),
        (
            _(
                "Formulas are never calculated here: the value Excel stored beside a formula "
                "is read. A formula without a stored value, or a cell with an error such as "
                "#N/A, is refused with its row and column."
            ),
        ),
    ]


def template_file(kind: str) -> bytes:
    return template_xlsx() if kind == "xlsx" else template_csv()


def report_header() -> list[str]:
    return [_("row"), _("column"), _("problem")]


def report_rows(problems: Sequence[RowProblem]) -> list[tuple[object, str, str]]:
    return [(p.row or "", p.column, p.message) for p in problems]


def report_file(kind: str, problems: Sequence[RowProblem], file_problems: Sequence[str]) -> bytes:
    """The problems of a refused file, by row and column, to work through in a spreadsheet."""
    rows = [("", "", message) for message in file_problems] + report_rows(problems)
    if kind == "xlsx":
        return xlsx_bytes([Sheet(_("problems"), report_header(), rows, widths=[8, 28, 100])])
    return csv_bytes(report_header(), rows)
