from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schakel.normalise import IDENTITY_KINDS, NormalisationError, normalise_identity_number
from schakel.normalise.tests.strategies import bsns


@given(bsn=bsns, write=st.sampled_from((str, lambda b: f"{b[:4]}.{b[4:6]}.{b[6:]}")))
def test_it_gives_one_key_to_a_bsn(bsn: str, write: object) -> None:
    assert callable(write)
    key = normalise_identity_number("bsn", write(bsn))

    assert key == bsn
    assert normalise_identity_number("bsn", key) == key


def test_it_restores_the_leading_zero_of_a_bsn() -> None:
    assert normalise_identity_number("bsn", "11122237") == "011122237"


@pytest.mark.parametrize(
    ("kind", "raw", "country", "key"),
    [
        ("passport", "xr 1001r5 8", "nl", "XR1001R58"),
        ("passport", "AB-12 34", "DE", "AB1234"),
        ("id_card", "IXR001R58", "NL", "IXR001R58"),
        ("residence_permit", "e 123 456 78", None, "E12345678"),
        ("kvk", "1234 5678", None, "12345678"),
        ("vat", "NL 0044.95.445.B01", None, "NL004495445B01"),
        ("vat", "004495445B01", "NL", "NL004495445B01"),
        ("vat", "nl004495445b01", "DE", "NL004495445B01"),
        ("other", "ab/12-34", None, "AB1234"),
    ],
)
def test_it_compacts_identity_numbers(kind: str, raw: str, country: str | None, key: str) -> None:
    assert normalise_identity_number(kind, raw, country) == key
    assert normalise_identity_number(kind, key, country) == key


@pytest.mark.parametrize(
    ("kind", "raw", "country", "problem"),
    [
        ("bsn", "1112.52.333", None, "This is not a valid BSN: the check digit does not match."),
        ("bsn", "1112223334", None, "This is not a valid BSN: it has nine digits."),
        ("bsn", "11122233A", None, "This is not a valid BSN: it may contain only digits."),
        ("bsn", "  ", None, "Enter the BSN."),
        ("passport", "AB1", None, "passport number: it needs 5 to 20 letters and digits"),
        ("passport", "AB12345é", None, "passport number: use only letters and digits"),
        ("passport", "XR1O01R58", "NL", "Dutch passport number: the letter O is never used"),
        ("id_card", "581001RXR", "NL", "Dutch identity card number: it has nine letters"),
        ("residence_permit", "V1", None, "residence permit number: it needs 5 to 20"),
        ("kvk", "1234567", None, "This is not a valid KvK number: it has exactly eight digits."),
        ("kvk", "1234567A", None, "This is not a valid KvK number: it has exactly eight digits."),
        ("vat", "123456789B01", None, "it must start with the code of an EU country"),
        ("vat", "XX123456789", None, "it must start with the code of an EU country"),
        ("vat", "DE136695977", None, "This is not a valid VAT number: the check digits"),
        ("vat", "DE1366959", None, "it has the wrong length for DE"),
        ("other", "--", None, "Enter the identity number."),
    ],
)
def test_it_says_what_is_wrong_with_an_identity_number(
    kind: str, raw: str, country: str | None, problem: str
) -> None:
    with pytest.raises(NormalisationError) as error:
        normalise_identity_number(kind, raw, country)

    assert error.value.kind == kind
    assert problem in str(error.value.message)


def test_it_refuses_an_unknown_kind() -> None:
    with pytest.raises(NormalisationError) as error:
        normalise_identity_number("shoe_size", "42")

    assert error.value.kind == "identity"
    assert str(error.value.message) == "Unknown kind of identity number: shoe_size."


@given(kind=st.sampled_from(IDENTITY_KINDS), raw=st.text(max_size=30))
def test_it_either_normalises_or_raises_a_normalisation_error(kind: str, raw: str) -> None:
    try:
        key = normalise_identity_number(kind, raw)
    except NormalisationError as error:
        assert error.kind == kind
    else:
        assert normalise_identity_number(kind, key) == key
