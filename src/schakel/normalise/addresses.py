"""Keys for Dutch postcodes, house numbers and addresses.

In the Netherlands a postcode and a house number (with its addition) identify one address,
whatever the street is called or however it is abbreviated ("Kerkstr."), so that pair is
the strong key: ``NL:1234AB:12A``. Elsewhere, and when the postcode is missing, we fall
back to street, number and city, each normalised like names (diacritics, case,
punctuation) but not sorted, since word order matters in a street name. Abbreviations are
not expanded: "Kerkstr." and "Kerkstraat" give different fallback keys.

``address_key`` never raises: it builds a key from what is usable and returns ``None`` when
too little is known to tell one address from another. Validate fields with
``postcode_key`` and ``split_house_number`` where they are entered. A key longer than
``ADDRESS_KEY_LENGTH`` is shortened to its beginning and a digest (``keys.bounded_key``).
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import InvalidComponent, ValidationError
from stdnum.nl import postcode as dutch_postcode

from schakel.normalise.errors import NormalisationError
from schakel.normalise.keys import ADDRESS_KEY_LENGTH, bounded_key
from schakel.normalise.names import name_tokens

_HOUSE_NUMBER = re.compile(r"^\s*0*(?P<number>[0-9]+)(?P<addition>.*)$", re.DOTALL)
_NOT_ALPHANUMERIC = re.compile(r"[\W_]+")


def postcode_key(raw: str) -> str:
    """A Dutch postcode as ``1234AB``; ``NormalisationError`` if it is not one.

    python-stdnum checks the shape (``^[1-9][0-9]{3}[A-Z]{2}$`` after removing spaces, dashes
    and an ``NL`` prefix) and the letter pairs that are never issued (SA, SD, SS).
    """
    if not raw.strip():
        raise NormalisationError("postcode", _("Enter a postcode."))
    try:
        return dutch_postcode.validate(raw).replace(" ", "")
    except InvalidComponent as exc:
        raise NormalisationError(
            "postcode",
            _("This is not a valid Dutch postcode: SA, SD and SS are never used as its letters."),
        ) from exc
    except ValidationError as exc:
        raise NormalisationError(
            "postcode",
            _(
                "This is not a valid Dutch postcode: it has four digits (not starting with 0) "
                "and two letters, such as 1234 AB."
            ),
        ) from exc


def split_house_number(raw: str) -> tuple[str, str]:
    """The number and its addition: ``"12 a"``, ``"12-A"`` and ``"012A"`` give ``("12", "A")``.

    The addition is upper case without separators (``"12-1 hoog"`` gives ``("12", "1HOOG")``);
    an empty input gives ``("", "")``.
    """
    if not raw.strip():
        return "", ""
    match = _HOUSE_NUMBER.match(raw)
    if match is None or int(match.group("number")) == 0:
        raise NormalisationError(
            "house_number",
            _("This is not a valid house number: it must start with a number, such as 12 or 12A."),
        )
    addition = _NOT_ALPHANUMERIC.sub("", match.group("addition")).upper()
    return match.group("number"), addition


def _house_number_key(raw: str) -> str | None:
    try:
        number, addition = split_house_number(raw)
    except NormalisationError:
        return None
    if not number:
        return None
    # "12A" is unambiguous, but "12" + "1" would read as house number 121.
    separator = "-" if addition[:1].isdigit() else ""
    return f"{number}{separator}{addition}"


def address_key(
    street: str = "",
    house_number: str = "",
    postcode: str = "",
    city: str = "",
    country: str = "NL",
) -> str | None:
    """A bundling key for an address, or ``None`` if too little is known.

    ``NL:1234AB:12A`` for a Dutch postcode with a house number; otherwise
    ``<country>:<street>:<number>:<city>`` (``DE:hauptstrasse:5:berlin``), which needs all
    three. An empty country counts as the Netherlands, like the default.
    """
    country_code = country.strip().upper() or "NL"
    house = _house_number_key(house_number)
    if house is None:
        return None
    # A mistyped Dutch postcode is passed over: the street and city may still tell.
    if country_code == "NL" and dutch_postcode.is_valid(postcode):
        return f"NL:{postcode_key(postcode)}:{house}"
    street_words = " ".join(name_tokens(street))
    city_words = " ".join(name_tokens(city))
    if not street_words or not city_words:
        return None
    # Street and city spelled out in Latin letters can outgrow the column (Щ is "shch").
    return bounded_key(f"{country_code}:{street_words}:{house}:{city_words}", ADDRESS_KEY_LENGTH)
