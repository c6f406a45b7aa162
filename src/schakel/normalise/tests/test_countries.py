from __future__ import annotations

import pytest

from schakel.normalise import is_country_code


@pytest.mark.parametrize("code", ["RO", "ng", "Nl", "XK", "VN"])
def test_iso_country_codes_and_kosovo_are_countries(code: str) -> None:
    assert is_country_code(code)


@pytest.mark.parametrize("code", ["ÅÅ", "QQ", "ZZ", "EU", "UK", "", "ROU", "R"])
def test_other_letters_are_not(code: str) -> None:
    assert not is_country_code(code)
