# ruff: noqa: RUF001, RUF002 - Cyrillic letters that look like Latin ones are what this module maps.
"""Vehicle registration plates as compact upper case (``12-ABC-3`` becomes ``12ABC3``).

We only compact: upper case, without spaces, dashes and dots. We do not check a
country's format. Dutch plates alone have over a dozen sidecodes (and special series for
diplomats, the royal house and trade plates), other countries have their own, and a
witness often reads a plate partly wrong; rejecting an unusual but real plate would lose
a signal, whereas an odd compact key merely bundles nothing.

Cyrillic letters that look like Latin ones (Bulgarian and Ukrainian plates use only
those, and they stand for the Latin letters) become their Latin twins, so a Bulgarian
``СА 1234 ВН`` typed on a Cyrillic keyboard meets ``CA1234BH``.
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

from schakel.normalise.errors import NormalisationError

MIN_PLATE_LENGTH = 2
MAX_PLATE_LENGTH = 10

_SEPARATORS = re.compile(r"[\s\-.·_]+")
_PLATE = re.compile(r"^[A-Z0-9]+$")
_CYRILLIC_LOOKALIKES = str.maketrans("АВЕКМНОРСТУХІ", "ABEKMHOPCTYXI")


def normalise_plate(raw: str, country: str = "NL") -> str:
    """The compact plate, or ``NormalisationError`` if it has other characters or length.

    ``country`` is accepted so that callers pass it already; every country is compacted
    the same way until we validate formats per country.
    """
    text = unicodedata.normalize("NFKC", raw).upper().translate(_CYRILLIC_LOOKALIKES)
    compact = _SEPARATORS.sub("", text)
    if not compact:
        raise NormalisationError("plate", _("Enter a licence plate."))
    if not _PLATE.match(compact):
        raise NormalisationError(
            "plate", _("This is not a valid licence plate: use only letters and digits.")
        )
    if not MIN_PLATE_LENGTH <= len(compact) <= MAX_PLATE_LENGTH:
        raise NormalisationError(
            "plate",
            _("This is not a valid licence plate: it needs %(min)s to %(max)s letters and digits."),
            min=MIN_PLATE_LENGTH,
            max=MAX_PLATE_LENGTH,
        )
    return compact
