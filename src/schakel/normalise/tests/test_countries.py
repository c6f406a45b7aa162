from __future__ import annotations

import pycountry
import pytest
from hypothesis import given
from hypothesis import strategies as st

from schakel.normalise import country_code, is_country_code


@pytest.mark.parametrize("code", ["RO", "ng", "Nl", "XK", "VN"])
def test_iso_country_codes_and_kosovo_are_countries(code: str) -> None:
    assert is_country_code(code)


@pytest.mark.parametrize("code", ["ÅÅ", "QQ", "ZZ", "EU", "UK", "", "ROU", "R"])
def test_other_letters_are_not(code: str) -> None:
    assert not is_country_code(code)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("UK", "GB"),
        ("uk", "GB"),
        (" Uk ", "GB"),
        ("EL", "GR"),
        ("el", "GR"),
        ("gb", "GB"),
        ("GR", "GR"),
        ("ro", "RO"),
        ("xk", "XK"),
    ],
)
def test_a_country_code_is_the_iso_code_also_for_the_common_aliases(raw: str, code: str) -> None:
    assert country_code(raw) == code


# "\ufb01" is the ligature fi, whose upper case is "FI"; "\uff27\uff22" is a full-width GB.
@pytest.mark.parametrize(
    "raw", ["ÅÅ", "QQ", "ZZ", "EU", "", "  ", "ROU", "R", "U K", "GBR", "\ufb01", "\uff27\uff22"]
)
def test_what_names_no_country_has_no_country_code(raw: str) -> None:
    assert country_code(raw) is None


@given(st.sampled_from(sorted(c.alpha_2 for c in pycountry.countries)), st.booleans())
def test_every_iso_code_is_its_own_country_code_in_either_case(code: str, lower: bool) -> None:
    assert country_code(code.lower() if lower else code) == code


@given(st.text(max_size=4))
def test_a_country_code_is_always_an_iso_code_or_none(raw: str) -> None:
    code = country_code(raw)
    assert code is None or (is_country_code(code) and code == code.upper() and len(code) == 2)
