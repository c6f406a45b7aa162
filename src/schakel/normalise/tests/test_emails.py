from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schakel.normalise import NormalisationError, email_search_key, normalise_email

local_parts = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._+\-]{0,20}[A-Za-z0-9]", fullmatch=True).filter(
    lambda local: ".." not in local
)
domains = st.from_regex(r"[A-Za-z][A-Za-z0-9\-]{0,15}[A-Za-z0-9]\.(nl|com|org|ro)", fullmatch=True)


@pytest.mark.parametrize(
    "raw",
    [
        "Jan.Jansen@Example.NL",
        "  jan.jansen@example.nl ",
        "mailto:jan.jansen@example.nl",
        "<JAN.JANSEN@example.nl>",
    ],
)
def test_it_trims_and_lowers_an_address(raw: str) -> None:
    assert normalise_email(raw) == "jan.jansen@example.nl"


def test_it_keeps_dots_and_tags_that_only_some_providers_ignore() -> None:
    assert normalise_email("Jan.Jansen+werk@gmail.com") == "jan.jansen+werk@gmail.com"


@given(local=local_parts, domain=domains)
def test_it_gives_one_key_whatever_the_case(local: str, domain: str) -> None:
    address = f"{local}@{domain}"
    key = normalise_email(address.upper())

    assert key == address.lower()
    assert normalise_email(key) == key
    assert email_search_key(f" {address} ") == key


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", "Enter an e-mail address."),
        ("jan.example.nl", "it needs exactly one @"),
        ("jan@@example.nl", "it needs exactly one @"),
        ("jan@localhost", "This is not a valid e-mail address."),
        ("jan jansen@example.nl", "This is not a valid e-mail address."),
    ],
)
def test_it_says_what_is_wrong_with_an_address(raw: str, problem: str) -> None:
    with pytest.raises(NormalisationError) as error:
        normalise_email(raw)

    assert error.value.kind == "email"
    assert problem in str(error.value.message)
    assert email_search_key(raw) is None
