from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schakel.normalise import NormalisationError, normalise_phone, phone_search_key
from schakel.normalise.tests.strategies import dutch_mobile_numbers

WAYS_TO_WRITE = (
    "06{n}",
    "06 {n}",
    "06-{n}",
    "06-{a} {b}",
    "(0)6 {a} {b}",
    "+31{n6}",
    "+31 6-{a} {b}",
    "+31 (0)6 {a} {b}",
    "0031{n6}",
    "0031 6 {a}{b}",
)


def _written(subscriber: str, way: str) -> str:
    return way.format(n=subscriber, n6="6" + subscriber, a=subscriber[:4], b=subscriber[4:])


@pytest.mark.parametrize(
    "raw",
    ["06 12345678", "+31 6-1234 5678", "0031612345678", "(0)6 1234 5678", "+31 (0)6 1234 5678"],
)
def test_it_writes_a_dutch_mobile_number_as_e164(raw: str) -> None:
    assert normalise_phone(raw) == "+31612345678"


def test_it_reads_numbers_without_a_country_code_in_the_default_region() -> None:
    assert normalise_phone("0721 234 567", default_region="RO") == "+40721234567"
    assert normalise_phone("+40 721 234 567") == "+40721234567"


@given(subscriber=dutch_mobile_numbers(), way=st.sampled_from(WAYS_TO_WRITE))
def test_it_gives_one_key_however_a_mobile_number_is_written(subscriber: str, way: str) -> None:
    key = normalise_phone(_written(subscriber, way))

    assert key == "+316" + subscriber
    assert normalise_phone(key) == key
    assert phone_search_key(_written(subscriber, way)) == key


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("0612", "too few digits"),
        ("06 1234 5678 9012 345", "too many digits"),
        ("06 1234567", "no numbers are issued with these digits"),
        ("+999 1234 5678", "the country code is unknown"),
        ("geen idee", "This is not a valid phone number."),
        ("  ", "Enter a phone number."),
    ],
)
def test_it_says_what_is_wrong_with_a_number(raw: str, problem: str) -> None:
    with pytest.raises(NormalisationError) as error:
        normalise_phone(raw)

    assert error.value.kind == "phone"
    assert problem in str(error.value.message)


def test_its_search_key_tolerates_what_validation_rejects() -> None:
    # Possible by length but in no issued range: still worth looking up.
    assert phone_search_key("06 1234567") == "+3161234567"
    assert phone_search_key("geen idee") is None
    assert phone_search_key("0612") is None


@given(st.text(max_size=40))
def test_its_search_key_never_raises(raw: str) -> None:
    key = phone_search_key(raw)

    assert key is None or key.startswith("+")
