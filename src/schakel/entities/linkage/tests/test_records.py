from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from schakel.entities.linkage import COLUMNS, PersonRecord
from schakel.entities.linkage.records import (
    clean_record,
    clean_value,
    normalise_code,
    normalise_name_part,
    normalise_postcode,
)
from schakel.entities.linkage.tests import settings  # noqa: F401 - stands in for Django's


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("Олена Шевченко", "olena shevchenko"),  # Ukrainian
        ("Ярослав Щерба", "yaroslav shcherba"),
        ("Ъгълов", "agalov"),  # Bulgarian ъ is a vowel
        ("Христо Стоичков", "hristo stoichkov"),
        ("Ștefan Țăranu", "stefan taranu"),  # Romanian, comma below
        ("Ştefan Ţăranu", "stefan taranu"),  # Romanian, cedilla
        ("Łukasz Żółć", "lukasz zolc"),
        ("Nguyễn Thị Minh Khai", "nguyen thi minh khai"),
        ("Đặng", "dang"),
        ("Γιώργος", "giorgos"),
        ("O'Brien", "obrien"),
        ("Müller-Lüdenscheidt", "muller ludenscheidt"),
        ("  VAN   der  Berg ", "van der berg"),
    ],
)
def test_it_transliterates_names_to_lower_case_latin(raw: str, normalised: str) -> None:
    assert normalise_name_part(raw) == normalised


def test_it_keeps_every_word_of_a_name_written_in_two_scripts() -> None:
    assert normalise_name_part("Ivan Петров") == "ivan petrov"
    assert normalise_name_part("Петров Ivan") == "petrov ivan"


def test_the_same_name_in_cyrillic_and_latin_becomes_one_text() -> None:
    assert normalise_name_part("Олена") == normalise_name_part("Olena")


@pytest.mark.parametrize("raw", [None, "", "   ", "'", "--"])
def test_a_name_without_letters_is_unknown(raw: str | None) -> None:
    assert normalise_name_part(raw) is None


# No deadline: the first transliteration loads ICU's rules, which on a busy machine takes
# longer than Hypothesis' default 200 ms.
@hypothesis_settings(deadline=None)
@given(st.text())
def test_normalised_names_are_plain_words_and_stable(raw: str) -> None:
    normalised = normalise_name_part(raw)
    if normalised is not None:
        assert re.fullmatch(r"[a-z0-9]+( [a-z0-9]+)*", normalised)
        assert normalise_name_part(normalised) == normalised


def test_it_writes_postcodes_upper_case_without_spaces() -> None:
    assert normalise_postcode("1234 ab") == "1234AB"
    assert normalise_postcode(" sw1a 1aa ") == "SW1A1AA"
    assert normalise_postcode(" ") is None


def test_it_keeps_only_letters_and_digits_of_an_identity_number() -> None:
    assert normalise_code("nl-12.34 56ab") == "NL123456AB"
    assert normalise_code("--") is None


@pytest.mark.parametrize(
    ("value", "cleaned"),
    [
        ("1990-02-28", "1990-02-28"),
        ("1990-02-30", None),  # no such day
        ("1990-2-3", None),  # DuckDB would read it, Python would not: neither does
        ("19900228", None),
        (" 1990-02-28 ", "1990-02-28"),
        ("", None),
        (None, None),
        (float("nan"), None),
    ],
)
def test_only_iso_dates_of_birth_are_known(value: object, cleaned: str | None) -> None:
    assert clean_value("date_of_birth", value) == cleaned


def test_a_record_gets_every_column_of_its_kind() -> None:
    record = clean_record("person", {"unique_id": 3, "organisation_id": 1, "family_name": " "})
    assert set(COLUMNS["person"]) <= set(record)
    assert record["unique_id"] == 3
    assert record["family_name"] is None
    assert record["address_key"] is None


def test_the_address_key_prefers_postcode_and_house_number() -> None:
    full = {"street": "haagweg", "house_number": "12", "postcode": "4811AA", "city": "breda"}
    assert clean_record("person", full)["address_key"] == "4811AA 12"
    without_postcode = {**full, "postcode": None}
    assert clean_record("person", without_postcode)["address_key"] == "haagweg 12 breda"


def test_the_columns_are_the_record_types_fields() -> None:
    assert COLUMNS["person"] == tuple(PersonRecord.__dataclass_fields__)
    assert COLUMNS["company"][:2] == ("unique_id", "organisation_id")
    assert "country" in COLUMNS["address"]
