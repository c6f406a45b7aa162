"""The files of the bulk import: reading (encodings, delimiters, odd files), the template and
report we write, and their safety against spreadsheet formula injection."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from schakel.errors import InvalidInput
from schakel.signals.bulk.columns import COLUMNS, NAMES, place_of
from schakel.signals.bulk.reading import decode, read_table, sniff_delimiter
from schakel.signals.bulk.rows import parse_date, parse_tlp
from schakel.signals.bulk.spreadsheets import FORMULA_TRIGGERS, Sheet, neutralise, xlsx_bytes
from schakel.signals.bulk.template import report_file, template_csv, template_xlsx
from schakel.signals.bulk.validation import RowProblem
from schakel.signals.tests.test_bulk_import import GOOD_ROW, csv_file

DOCS = Path(__file__).resolve().parents[4] / "docs" / "import.md"


@pytest.fixture(autouse=True)
def _in_english(settings: Any) -> Iterator[None]:
    # Messages are asserted in English: the Dutch catalogue may translate them any day.
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def test_the_delimiter_is_sniffed_from_the_header() -> None:
    assert sniff_delimiter("a;b;c\n1,5;2;3") == ";"
    assert sniff_delimiter('"a;b",c,d\n') == ","
    assert sniff_delimiter("a\tb\n") == "\t"
    assert sniff_delimiter("description\nx;y;z") == ","


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (codecs.BOM_UTF8 + "Zoë".encode(), "utf-8-sig"),
        ("Zoë".encode(), "utf-8"),
        ("Zoë".encode("cp1252"), "windows-1252"),
        ("Zoë".encode("utf-16"), "utf-16"),
    ],
)
def test_the_encoding_is_detected(data: bytes, encoding: str) -> None:
    assert decode(data) == ("Zoë", encoding)


def test_a_file_that_lies_about_its_encoding_is_refused_with_the_position() -> None:
    with pytest.raises(InvalidInput, match="byte 3"):
        decode(codecs.BOM_UTF8 + b"ab\xff")


@pytest.mark.parametrize(
    ("data", "name", "fragment"),
    [
        (b"", "x.csv", "empty"),
        (b"\xd0\xcf\x11\xe0rest", "x.xls", ".xls"),
        (b"PK\x03\x04not really", "x.xlsx", "Excel"),
        (b"description,description\nx,y\n", "x.csv", "more than once"),
        (b"description\nx,y\n", "x.csv", "more values"),
        (b"description,\nx,y\n", "x.csv", "without a name"),
    ],
)
def test_unusable_files_are_refused_with_a_clear_message(
    data: bytes, name: str, fragment: str
) -> None:
    with pytest.raises(InvalidInput, match=re.escape(fragment)):
        read_table(data, name)


def test_headers_are_matched_loosely_and_empty_lines_skipped() -> None:
    table = read_table(b"\n Observed-On ;Description;\n2026-11-01;x;\n\n;;\n2026-11-02;y;\n")
    assert table.columns == ["observed_on", "description"]
    assert table.rows == [(3, ["2026-11-01", "x"]), (6, ["2026-11-02", "y"])]


def test_dates_and_labels_are_read_in_the_documented_spellings() -> None:
    assert parse_date("2026-11-29") == parse_date("29-11-2026") == parse_date("29/11/2026")
    assert parse_date("2026-02-30") is None and parse_date("11/29/26") is None
    assert parse_tlp("tlp:amber+strict") == parse_tlp("Amber Strict") == "AMBER+STRICT"


def test_every_validator_path_maps_to_its_column() -> None:
    prefixes = ["victim", "suspect"]
    assert place_of("persons[1].given_names", prefixes).column == "suspect_given_names"
    assert place_of("persons[0].phones[0]", prefixes).column == "victim_phone"
    assert place_of("ibans[2]", prefixes).item == 2
    assert place_of("sharing_group_ids", prefixes).column == "sharing_groups"
    assert place_of("companies[0].registration_number", prefixes).column == "company_kvk"
    assert place_of("persons[0].identity_numbers[0]", prefixes).column == "victim_identity_number"
    # The template has no identity number for suspects: the problem is the row's.
    assert place_of("persons[1].identity_numbers[0]", prefixes).column == ""


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("+31612345678", "+31612345678"),
        ("+31 6 1234 5678", "+31 6 1234 5678"),
        ("-12,50", "-12,50"),
        ("Ioana = slachtoffer", "Ioana = slachtoffer"),
        ("", ""),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_evaluate_are_neutralised(
    value: str, written: str
) -> None:
    assert neutralise(value) == written


@given(st.text())
def test_no_neutralised_cell_can_call_a_function_or_refer_to_a_cell(value: str) -> None:
    cell = neutralise(value)
    if cell.startswith(FORMULA_TRIGGERS):
        # Left alone only if nothing but digits, spaces and arithmetic signs: no letters
        # (functions, references) and no '=', '@', '|', '!' or quotes.
        assert re.fullmatch(r"[0-9\s+\-.,()/]*", cell)
    assert cell in (value, "'" + value)


def test_xlsx_cells_are_always_text_never_formulas() -> None:
    data = xlsx_bytes([Sheet("t", ["a"], [["=1+2"], ["+31612345678"], ["@x"]])])
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    cells = [sheet.cell(row=r, column=1) for r in (2, 3, 4)]
    assert [c.value for c in cells] == ["=1+2", "+31612345678", "@x"]
    assert {c.data_type for c in cells} == {"s"}
    assert {c.number_format for c in cells} == {"@"}


def test_the_csv_template_is_the_header_of_every_column() -> None:
    data = template_csv()
    assert data.startswith(codecs.BOM_UTF8)
    assert next(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";")) == list(NAMES)
    assert read_table(data).columns == list(NAMES)


def test_the_xlsx_template_explains_each_column_and_lists_the_codes() -> None:
    workbook = load_workbook(io.BytesIO(template_xlsx()))
    signals, columns, codes, notes = workbook.worksheets
    assert any("15 digits" in str(row[0]) for row in notes.iter_rows(values_only=True))
    assert [c.value for c in signals[1]] == list(NAMES)
    assert [row[0] for row in columns.iter_rows(min_row=2, values_only=True)] == list(NAMES)
    listed = {(row[0], row[1]) for row in codes.iter_rows(min_row=2, values_only=True)}
    assert ("tlp", "AMBER+STRICT") in listed and ("victim_gender", "female") in listed
    assert ("indicator_ids", "ilo.debt_bondage") in listed
    assert read_table(template_xlsx()).columns == list(NAMES)


def test_the_problem_report_names_row_column_and_message_safely() -> None:
    problems = [RowProblem(3, "ibans", "This IBAN is not valid."), RowProblem(4, "", "=evil")]
    text = report_file("csv", problems, ["Unknown column: “x”."]).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["row", "column", "problem"]
    assert rows[1] == ["", "", "Unknown column: “x”."]
    assert rows[2] == ["3", "ibans", "This IBAN is not valid."]
    assert rows[3][2] == "'=evil"
    sheet = load_workbook(io.BytesIO(report_file("xlsx", problems, []))).active
    assert sheet is not None and sheet["C3"].value == "=evil" and sheet["C3"].data_type == "s"


def test_the_guide_documents_every_column() -> None:
    guide = DOCS.read_text(encoding="utf-8")
    for column in COLUMNS:
        assert f"`{column.name}`" in guide, column.name
    assert "+31612345678" in guide  # the formula-safety rule and its exception


def test_the_good_row_of_the_tests_uses_only_template_columns() -> None:
    assert set(GOOD_ROW) <= set(NAMES)
    assert read_table(csv_file([GOOD_ROW])).columns == list(GOOD_ROW)
