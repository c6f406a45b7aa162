from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from schwifty import IBAN

from schakel.normalise import NormalisationError, iban_search_key, normalise_iban

KNOWN_VALID = (
    "NL91ABNA0417164300",
    "DE89370400440532013000",
    "GB82WEST12345698765432",
    "BE68539007547034",
    "RO49AAAA1B31007593840000",
)

# (country, bank code, digits in the account code) for schwifty's IBAN.generate.
BANKS = (
    ("NL", "ABNA", 10),
    ("DE", "37040044", 10),
    ("BE", "539", 7),
    ("RO", "AAAA", 16),
    ("PL", "10901014", 16),
)


@st.composite
def valid_ibans(draw: st.DrawFn) -> str:
    country, bank, length = draw(st.sampled_from(BANKS))
    account = draw(st.integers(min_value=1, max_value=10**length - 1))
    return IBAN.generate(country, bank, str(account)).compact


def _grouped(compact: str) -> str:
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


@pytest.mark.parametrize("iban", KNOWN_VALID)
def test_it_accepts_known_valid_ibans(iban: str) -> None:
    assert normalise_iban(iban) == iban
    assert normalise_iban(_grouped(iban).lower()) == iban


@given(
    iban=valid_ibans(),
    write=st.sampled_from(
        (str, str.lower, _grouped, lambda i: "IBAN: " + _grouped(i), lambda i: i[:4] + "-" + i[4:])
    ),
)
def test_it_gives_one_key_however_an_iban_is_written(iban: str, write: object) -> None:
    assert callable(write)
    key = normalise_iban(write(iban))

    assert key == iban
    assert normalise_iban(key) == key
    assert iban_search_key(write(iban)) == key


@given(iban=valid_ibans(), offset=st.integers(min_value=1, max_value=96))
def test_it_notices_wrong_check_digits(iban: str, offset: int) -> None:
    wrong = (int(iban[2:4]) + offset) % 97
    mistyped = f"{iban[:2]}{wrong:02d}{iban[4:]}"

    with pytest.raises(NormalisationError) as error:
        normalise_iban(mistyped)

    assert "the check digits do not match" in str(error.value.message)
    assert iban_search_key(mistyped) is None


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("NL92ABNA0417164300", "This IBAN is not valid: the check digits do not match."),
        (
            "NL91ABNA041716430",
            "This IBAN is not valid: it has 17 characters, but an IBAN from NL has 18.",
        ),
        ("XX91ABNA0417164300", "This IBAN is not valid: XX is not a country that uses IBANs."),
        ("NL91ABNA04171643OO", "its letters and digits do not follow the format of NL"),
        ("0417164300", "This is not an IBAN"),
        ("", "Enter an IBAN."),
    ],
)
def test_it_says_what_is_wrong_with_an_iban(raw: str, problem: str) -> None:
    with pytest.raises(NormalisationError) as error:
        normalise_iban(raw)

    assert error.value.kind == "iban"
    assert problem in str(error.value.message)
