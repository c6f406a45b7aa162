from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schakel.normalise import NAME_KEY_LENGTH, company_key, name_key

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12)
combining_marks = st.sampled_from(["\u0301", "\u0300", "\u0302", "\u0306", "\u0308", "\u0327"])


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Popescu, Ion", "ion popescu"),
        ("ION POPESCU", "ion popescu"),
        ("Ștefan Bălan", "balan stefan"),
        ("Łukasz Żółć", "lukasz zolc"),
        ("Jürgen Straße", "jurgen strasse"),
        ("Søren Ærø", "aero soren"),
        ("Jean-Pierre O'Brien", "jean obrien pierre"),
        ("Иван Петров", "ivan petrov"),
        ("Йорданка Щерева", "iordanka shchereva"),
        ("Олена Ковальчук", "kovalchuk olena"),
        ("  ", ""),
    ],
)
def test_it_makes_a_name_key(raw: str, key: str) -> None:
    assert name_key(raw) == key


def test_it_gives_cyrillic_and_latin_spellings_the_same_key() -> None:
    assert name_key("Иван Петров") == name_key("Ivan Petrov")
    assert name_key("ПЕТРОВ, Иван") == name_key("ivan petrov")


def test_it_keeps_particles_so_that_different_people_stay_apart() -> None:
    assert name_key("Jan de Vries") == "de jan vries"
    assert name_key("Jan de Vries") != name_key("Jan Vries")
    assert name_key("Vries, Jan de") == name_key("Jan de Vries")


@given(tokens=st.lists(words, min_size=1, max_size=5), order=st.randoms())
def test_it_ignores_the_order_of_words(tokens: list[str], order: object) -> None:
    shuffled = list(tokens)
    order.shuffle(shuffled)  # type: ignore[attr-defined]

    assert name_key(" ".join(shuffled)) == name_key(" ".join(tokens))
    assert name_key(", ".join(reversed(tokens))) == name_key(" ".join(tokens))


@given(tokens=st.lists(words, min_size=1, max_size=5), data=st.data())
def test_it_ignores_case_and_diacritics(tokens: list[str], data: st.DataObject) -> None:
    plain = " ".join(tokens)
    decorated = "".join(char.upper() if data.draw(st.booleans()) else char for char in plain)
    decorated = "".join(
        char + (data.draw(combining_marks) if char.isalpha() and data.draw(st.booleans()) else "")
        for char in decorated
    )

    assert name_key(unicodedata.normalize("NFC", decorated)) == name_key(plain)
    assert name_key(decorated) == name_key(plain)


@given(st.text(max_size=40))
def test_its_name_keys_are_idempotent(raw: str) -> None:
    key = name_key(raw)

    assert name_key(key) == key
    assert key == " ".join(key.split())


@given(
    tokens=st.lists(words, min_size=1, max_size=4),
    legal_form=st.sampled_from(["B.V.", "bv", "N.V.", "V.O.F.", "GmbH", "S.R.L.", "Sp. z o.o."]),
)
def test_a_trailing_legal_form_does_not_change_a_company_key(
    tokens: list[str], legal_form: str
) -> None:
    name = " ".join(tokens)

    assert company_key(f"{name} {legal_form}") == company_key(name)


@pytest.mark.parametrize(
    "raw",
    [
        "Jansen Transport B.V.",
        "JANSEN TRANSPORT BV",
        "Jansen Transport b.v",
        "Transport Jansen",
        "Jansen Transport",
    ],
)
def test_it_drops_a_dutch_legal_form_from_a_company_name(raw: str) -> None:
    assert company_key(raw) == "jansen transport"


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Popescu Construct S.R.L.", "construct popescu"),
        ("Kowalski Sp. z o.o.", "kowalski"),
        ("Müller Logistik GmbH", "logistik muller"),
        ("Smith Trading Ltd.", "smith trading"),
        ("Иванов ЕООД", "ivanov"),
        ("Jansen B.V. B.V.", "jansen"),
    ],
)
def test_it_drops_foreign_legal_forms(raw: str, key: str) -> None:
    assert company_key(raw) == key


def test_it_keeps_a_legal_form_that_is_not_at_the_end_or_is_all_there_is() -> None:
    assert company_key("BV Jansen") == "bv jansen"
    assert company_key("B.V.") == "b v"
    assert company_key("Stichting Hulp") == "hulp stichting"


def test_a_key_longer_than_its_column_is_kept_to_it_and_still_compared_exactly() -> None:
    # 400 letters as typed; "shch" each in Latin letters.
    long = "Щ" * 200 + " " + "Щ" * 200
    key = name_key(long)

    assert len(key) == NAME_KEY_LENGTH and key.startswith("shchshch")
    assert name_key(long.lower()) == key == name_key(long.replace(" ", ", "))
    assert name_key(key) == key  # a key is its own key, long ones too
    assert name_key("Щ" * 199 + "Ж " + "Щ" * 200) != key  # differs past the part kept
    assert len(company_key("Щ" * 300)) == NAME_KEY_LENGTH
    assert company_key("Щ" * 300) == company_key("Щ" * 300 + " B.V.")
    assert name_key("Ioana Popescu") == "ioana popescu"  # a key that fits is unchanged
