"""IBANs as compact upper case (``NL91ABNA0417164300``), validated by schwifty.

The compact form is the key: the spaces of the printed form carry no meaning, and the
check digits make a typo almost always visible. We validate the country's length and
structure and the ISO 7064 check digits, not the national check digit inside the BBAN:
schwifty knows that algorithm for only some countries and banks, and rejecting a real
account because its bank is missing from the registry would be worse than accepting one
with a rare typo the IBAN check digits missed.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from schwifty import IBAN
from schwifty.exceptions import (
    InvalidChecksumDigits,
    InvalidCountryCode,
    InvalidLength,
    SchwiftyException,
)

from schakel.normalise.errors import NormalisationError

# People copy IBANs from letters and bank apps: "IBAN: NL91 ABNA 0417 1643 00",
# "NL91-ABNA-...". These separators and the label never belong to the number.
_SEPARATORS = re.compile(r"[\s.\-_/]+")
_LABEL = re.compile(r"^IBAN:?", re.IGNORECASE)
_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]+$")


def _compact(raw: str) -> str:
    return _SEPARATORS.sub("", _LABEL.sub("", raw.strip())).upper()


def normalise_iban(raw: str) -> str:
    """The compact IBAN, or ``NormalisationError`` naming the country, length or checksum."""
    compact = _compact(raw)
    if not compact:
        raise NormalisationError("iban", _("Enter an IBAN."))
    if not _SHAPE.match(compact):
        raise NormalisationError(
            "iban",
            _(
                "This is not an IBAN: an IBAN starts with a country code and two check "
                "digits, such as NL91, followed by letters and digits."
            ),
        )
    country = compact[:2]
    try:
        return IBAN(compact).compact
    except InvalidCountryCode as exc:
        raise NormalisationError(
            "iban",
            _("This IBAN is not valid: %(country)s is not a country that uses IBANs."),
            country=country,
        ) from exc
    except InvalidLength as exc:
        expected = IBAN(compact, allow_invalid=True).spec.iban_length
        raise NormalisationError(
            "iban",
            _(
                "This IBAN is not valid: it has %(length)s characters, "
                "but an IBAN from %(country)s has %(expected)s."
            ),
            length=len(compact),
            country=country,
            expected=expected,
        ) from exc
    except InvalidChecksumDigits as exc:
        raise NormalisationError(
            "iban", _("This IBAN is not valid: the check digits do not match.")
        ) from exc
    except SchwiftyException as exc:
        # InvalidStructure and the bank/branch/account variants: letters where digits belong.
        raise NormalisationError(
            "iban",
            _(
                "This IBAN is not valid: its letters and digits do not follow the "
                "format of %(country)s."
            ),
            country=country,
        ) from exc


def iban_search_key(raw: str) -> str | None:
    """The compact IBAN for a search box, or ``None`` when it is not a valid IBAN.

    Stored IBANs are all valid, so an invalid one can never match exactly; ``None`` tells
    the caller to fall back to a text search.
    """
    try:
        return normalise_iban(raw)
    except NormalisationError:
        return None
