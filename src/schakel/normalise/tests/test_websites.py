from __future__ import annotations

from schakel.normalise import IDENTIFIER_KEY_LENGTH, website_key


def test_a_website_is_keyed_in_lower_case_without_a_trailing_slash() -> None:
    assert website_key(" https://Advertenties.example/Massage/4711/ ") == (
        "https://advertenties.example/massage/4711"
    )


def test_a_website_that_grows_in_lower_case_is_kept_to_its_column() -> None:
    # "İ" lower-cased is "i" and a combining dot: 470 letters become 940 characters.
    typed = "https://advertenties.example/" + "İ" * 470
    key = website_key(typed)
    assert len(key) == IDENTIFIER_KEY_LENGTH
    assert website_key(typed + "/") == key
    assert website_key(typed[:-1] + "J") != key
