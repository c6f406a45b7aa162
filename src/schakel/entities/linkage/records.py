# ruff: noqa: RUF001 - Cyrillic letters are what this module maps.
"""The records linkage compares: one row per mention, in one of three kinds.

A *record* is what a partner said about one person, company or address in one signal, reduced
to the columns linkage compares. Every column but ``unique_id`` and ``organisation_id`` may be
``None`` (unknown); an empty string counts as unknown too. Values are expected normalised:

* names, streets and cities with ``normalise_name_part`` — lower case, Latin ASCII (Cyrillic,
  Greek and other scripts transliterated; Romanian, Bulgarian, Polish and Vietnamese
  diacritics dropped), apostrophes removed, other punctuation a single space;
* postcodes with ``normalise_postcode`` — upper case without spaces, so a Dutch postcode is
  ``1234AB``;
* identity and registration numbers with ``normalise_code`` — upper case letters and digits;
* phone numbers in E.164 (``schakel.normalise.normalise_phone``);
* dates of birth as ISO ``YYYY-MM-DD``; anything else is treated as unknown, since a date that
  cannot be read cannot be compared as a date.

``organisation_id`` is the partner that reported the mention. It is carried through linkage so
that results can be read per partner, but it is never compared: who reported someone says
nothing about who they are.

Linkage adds derived columns of its own (``DERIVED_COLUMNS``): a person's ``address_key``, one
text per address, so that how many records share an address can be counted.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Literal

from rigour.text.translit import ascii_text

Kind = Literal["person", "company", "address"]

KINDS: Final[tuple[Kind, ...]] = ("person", "company", "address")


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """A person as one mention describes them."""

    unique_id: int
    organisation_id: int
    given_name: str | None = None
    family_name: str | None = None
    date_of_birth: str | None = None
    gender: str | None = None
    nationality: str | None = None  # ISO 3166-1 alpha-2
    phone: str | None = None  # E.164
    identity_number: str | None = None
    street: str | None = None
    house_number: str | None = None
    postcode: str | None = None
    city: str | None = None


@dataclass(frozen=True, slots=True)
class CompanyRecord:
    """A company as one mention describes it."""

    unique_id: int
    organisation_id: int
    name: str | None = None
    registration_number: str | None = None
    postcode: str | None = None
    city: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class AddressRecord:
    """An address as one mention describes it."""

    unique_id: int
    organisation_id: int
    street: str | None = None
    house_number: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2


RECORD_TYPES: Final[dict[Kind, type[PersonRecord | CompanyRecord | AddressRecord]]] = {
    "person": PersonRecord,
    "company": CompanyRecord,
    "address": AddressRecord,
}

ID_COLUMNS: Final[tuple[str, str]] = ("unique_id", "organisation_id")

#: The columns of each kind, identifiers first, in the order of the dataclasses above.
COLUMNS: Final[dict[Kind, tuple[str, ...]]] = {
    kind: tuple(record_type.__dataclass_fields__) for kind, record_type in RECORD_TYPES.items()
}

#: Columns holding an ISO date; a value that is not one is unknown.
DATE_COLUMNS: Final[frozenset[str]] = frozenset({"date_of_birth"})

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_APOSTROPHES = re.compile("['`´ʹʼ‘’]")
_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")
_NOT_CODE = re.compile(r"[^A-Z0-9]+")
# Bulgarian spells ъ as a vowel (Ъгълов is Agalov in a Bulgarian passport); the transliterator
# would drop it as a Russian hard sign. schakel.normalise.name_key makes the same choice.
_BEFORE_TRANSLITERATION = str.maketrans({"ъ": "а", "Ъ": "А"})


def normalise_name_part(text: str | None) -> str | None:
    """A given name, family name, street or city as linkage compares it, or ``None``.

    ``"Олена Шевченко"`` becomes ``"olena shevchenko"``, ``"Ștefan Țăranu"`` ``"stefan
    taranu"``, ``"Nguyễn Thị"`` ``"nguyen thi"`` and ``"O'Brien"`` ``"obrien"``. Words keep
    their order (given name and family name are compared as separate columns), and a name
    written partly in one script and partly in another keeps all its words.
    """
    if text is None:
        return None
    composed = unicodedata.normalize("NFC", text).translate(_BEFORE_TRANSLITERATION)
    latin = ascii_text(_APOSTROPHES.sub("", composed)).lower()
    return " ".join(_NOT_ALPHANUMERIC.sub(" ", latin).split()) or None


def normalise_postcode(text: str | None) -> str | None:
    """A postcode upper case without spaces: ``"1234 ab"`` becomes ``"1234AB"``."""
    if text is None:
        return None
    return "".join(ascii_text(text).upper().split()) or None


def normalise_code(text: str | None) -> str | None:
    """An identity or registration number as its letters and digits, upper case."""
    if text is None:
        return None
    return _NOT_CODE.sub("", ascii_text(text).upper()) or None


def clean_value(column: str, value: Any) -> str | None:
    """One value as linkage stores it: text, or ``None`` when unknown.

    Both the engine (on whole tables) and scoring (on single records) clean with this one
    function, so a value means the same to DuckDB and to the Python scorer.
    """
    if value is None or (isinstance(value, float) and value != value):  # NaN from pandas
        return None
    text = str(value).strip()
    if not text:
        return None
    if column in DATE_COLUMNS:
        return text if _is_iso_date(text) else None
    return text


def _is_iso_date(text: str) -> bool:
    if not _ISO_DATE.fullmatch(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def address_key(
    street: str | None, house_number: str | None, postcode: str | None, city: str | None
) -> str | None:
    """One text for one address, so that how many records share it can be counted: postcode
    and house number where both are known (in the Netherlands they identify an address),
    otherwise street, house number and city; ``None`` when neither is complete."""
    if postcode is not None and house_number is not None:
        return f"{postcode} {house_number}"
    if street is not None and house_number is not None and city is not None:
        return f"{street} {house_number} {city}"
    return None


#: Columns linkage adds to records of a kind, made from the record's own columns.
DERIVED_COLUMNS: Final[dict[Kind, tuple[str, ...]]] = {
    "person": ("address_key",),
    "company": (),
    "address": (),
}


def derive_columns(kind: Kind, record: Mapping[str, Any]) -> dict[str, str | None]:
    """The derived columns of a cleaned record."""
    if kind != "person":
        return {}
    return {
        "address_key": address_key(
            record.get("street"),
            record.get("house_number"),
            record.get("postcode"),
            record.get("city"),
        )
    }


def clean_record(kind: Kind, record: Mapping[str, Any]) -> dict[str, Any]:
    """A record with every column of its kind, cleaned, and the derived ones; columns it
    lacks are unknown. Keys beginning with ``tf_`` (term frequencies, see ``scoring``) are
    kept as they are.
    """
    cleaned: dict[str, Any] = {
        column: clean_value(column, record.get(column))
        for column in COLUMNS[kind]
        if column not in ID_COLUMNS
    }
    cleaned.update(derive_columns(kind, cleaned))
    for column in ID_COLUMNS:
        cleaned[column] = record.get(column)
    cleaned.update({key: value for key, value in record.items() if key.startswith("tf_")})
    return cleaned
