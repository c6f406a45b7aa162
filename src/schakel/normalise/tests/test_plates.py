from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schakel.normalise import NormalisationError, normalise_plate

plates = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=2, max_size=10)


@pytest.mark.parametrize("raw", ["12-ABC-3", "12 abc 3", "12ABC3", " 12-abc-3 "])
def test_it_compacts_a_dutch_plate(raw: str) -> None:
    assert normalise_plate(raw) == "12ABC3"


def test_it_reads_cyrillic_look_alikes_as_latin_letters() -> None:
    assert normalise_plate("СА 1234 ВН", country="BG") == "CA1234BH"  # noqa: RUF001


@given(plate=plates, separators=st.lists(st.sampled_from([" ", "-", "."]), max_size=10))
def test_it_gives_one_key_however_a_plate_is_written(plate: str, separators: list[str]) -> None:
    written = "".join(
        char + (separators[i] if i < len(separators) else "") for i, char in enumerate(plate)
    ).lower()

    key = normalise_plate(written)

    assert key == plate
    assert normalise_plate(key) == key


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", "Enter a licence plate."),
        ("12/ABC", "use only letters and digits"),
        ("A", "it needs 2 to 10 letters and digits"),
        ("ABCDEFGHIJK", "it needs 2 to 10 letters and digits"),
    ],
)
def test_it_says_what_is_wrong_with_a_plate(raw: str, problem: str) -> None:
    with pytest.raises(NormalisationError) as error:
        normalise_plate(raw)

    assert error.value.kind == "plate"
    assert problem in str(error.value.message)
