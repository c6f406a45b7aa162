from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schakel.normalise import (
    ADDRESS_KEY_LENGTH,
    NormalisationError,
    address_key,
    postcode_key,
    split_house_number,
)
from schakel.normalise.tests.strategies import dutch_postcodes


@pytest.mark.parametrize("raw", ["1234 ab", "1234AB", "1234-AB", " 1234 AB ", "NL-1234 AB"])
def test_it_compacts_a_dutch_postcode(raw: str) -> None:
    assert postcode_key(raw) == "1234AB"


@given(
    postcode=dutch_postcodes(),
    write=st.sampled_from(
        (
            str,
            str.lower,
            lambda p: f"{p[:4]} {p[4:]}",
            lambda p: f"{p[:4]}  {p[4:].lower()}",
            lambda p: f"NL-{p}",
        )
    ),
)
def test_it_gives_one_postcode_key_however_it_is_written(postcode: str, write: object) -> None:
    assert callable(write)
    key = postcode_key(write(postcode))

    assert key == postcode
    assert postcode_key(key) == key


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("0123 AB", "four digits (not starting with 0) and two letters"),
        ("12345", "four digits (not starting with 0) and two letters"),
        ("1234 SS", "SA, SD and SS are never used"),
        ("", "Enter a postcode."),
    ],
)
def test_it_says_what_is_wrong_with_a_postcode(raw: str, problem: str) -> None:
    with pytest.raises(NormalisationError) as error:
        postcode_key(raw)

    assert error.value.kind == "postcode"
    assert problem in str(error.value.message)


@pytest.mark.parametrize(
    ("raw", "parts"),
    [
        ("12", ("12", "")),
        ("12 a", ("12", "A")),
        ("12-A", ("12", "A")),
        ("12A", ("12", "A")),
        ("012a", ("12", "A")),
        ("12-1", ("12", "1")),
        ("12 bis", ("12", "BIS")),
        ("12-1 hoog", ("12", "1HOOG")),
        ("", ("", "")),
    ],
)
def test_it_splits_a_house_number_from_its_addition(raw: str, parts: tuple[str, str]) -> None:
    assert split_house_number(raw) == parts


@pytest.mark.parametrize("raw", ["a12", "0", "t/o 12"])
def test_it_refuses_a_house_number_without_a_number(raw: str) -> None:
    with pytest.raises(NormalisationError) as error:
        split_house_number(raw)

    assert error.value.kind == "house_number"
    assert "it must start with a number" in str(error.value.message)


@given(
    number=st.integers(min_value=1, max_value=99999),
    letter=st.sampled_from("abcdefgh"),
    separator=st.sampled_from(["", " ", "-", " - "]),
)
def test_it_gives_one_strong_key_to_a_dutch_address(
    number: int, letter: str, separator: str
) -> None:
    key = address_key(house_number=f"{number}{separator}{letter}", postcode="1234 ab")

    assert key == f"NL:1234AB:{number}{letter.upper()}"


def test_it_keeps_a_numeric_addition_apart_from_the_number() -> None:
    assert address_key(house_number="12-1", postcode="1234AB") == "NL:1234AB:12-1"
    assert address_key(house_number="121", postcode="1234AB") == "NL:1234AB:121"


def test_it_ignores_the_street_when_postcode_and_number_are_known() -> None:
    assert address_key("Kerkstraat", "1", "1234AB", "Utrecht") == address_key(
        "Kerkstr.", "1", "1234 ab", ""
    )


def test_it_falls_back_to_street_number_and_city() -> None:
    assert address_key("Hauptstraße", "5", "", "Berlin", "de") == "DE:hauptstrasse:5:berlin"
    assert address_key("Kerkstraat", "1 a", "1234 SS", "Den Haag") == ("NL:kerkstraat:1A:den haag")
    assert address_key("Calea Victoriei", "12", "010061", "București", "RO") == (
        "RO:calea victoriei:12:bucuresti"
    )


@pytest.mark.parametrize(
    "parts",
    [
        {"street": "Kerkstraat", "city": "Utrecht"},
        {"postcode": "1234AB"},
        {"street": "Kerkstraat", "house_number": "1"},
        {"house_number": "1", "city": "Utrecht"},
        {"street": "Kerkstraat", "house_number": "t/o 1", "city": "Utrecht"},
    ],
)
def test_it_has_no_key_when_too_little_is_known(parts: dict[str, str]) -> None:
    assert address_key(**parts) is None


def test_an_address_key_longer_than_its_column_is_kept_to_it() -> None:
    street, city = "a" * 200, "b" * 120  # each fits its column; with country and number not
    key = address_key(street=street, house_number="5", city=city, country="DE")
    assert key is not None and len(key) == ADDRESS_KEY_LENGTH and key.startswith("DE:aaa")
    assert address_key(street=street.upper(), house_number="5", city=city, country="de") == key
    assert address_key(street=street, house_number="6", city=city, country="DE") != key
