"""Hypothesis strategies shared by the normalisation tests."""

from __future__ import annotations

from hypothesis import strategies as st


@st.composite
def dutch_mobile_numbers(draw: st.DrawFn) -> str:
    """A valid Dutch mobile number as its eight digits after the 06 ("12345678")."""
    first = draw(st.sampled_from("123458"))
    rest = draw(st.text(alphabet="0123456789", min_size=7, max_size=7))
    return first + rest


@st.composite
def dutch_postcodes(draw: st.DrawFn) -> str:
    number = draw(st.integers(min_value=1000, max_value=9999))
    letters = draw(
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2).filter(
            lambda pair: pair not in {"SA", "SD", "SS"}
        )
    )
    return f"{number}{letters}"


def _with_bsn_check_digit(body: int) -> str:
    digits = f"{body:08d}"
    return digits + str(sum((9 - i) * int(d) for i, d in enumerate(digits)) % 11)


# Bodies whose check digit would be 10 have no valid BSN; the filter drops about 1 in 11.
bsns = (
    st.integers(min_value=1, max_value=99_999_999)
    .map(_with_bsn_check_digit)
    .filter(lambda bsn: len(bsn) == 9)
)
