"""Countries as ISO 3166-1 alpha-2 codes (``RO``, ``NG``), as nationalities and the countries
of addresses are recorded.

The list is pycountry's copy of ISO 3166-1 (the Debian iso-codes data, which schwifty uses
for IBANs too), plus ``XK``: Kosovo has no ISO code yet, and ``XK`` is the user-assigned code
the European Commission and many passport readers use for it. A nationality such as
Kosovar is a real one in our signals and must not be refused.

People and partner systems also write two well-known codes that are not ISO's: ``UK`` for
the United Kingdom (ISO: ``GB``; ``UK`` is only exceptionally reserved) and ``EL`` for
Greece (ISO: ``GR``; the EU's own documents use ``EL``). ``country_code`` takes them and
gives the ISO code, so that one country is stored, compared and linked under one code.
"""

from __future__ import annotations

from functools import cache

import pycountry

_ALSO_ACCEPTED = frozenset({"XK"})

#: Codes in common use that are not ISO 3166-1's, with the ISO code they stand for.
ALIASES: dict[str, str] = {"UK": "GB", "EL": "GR"}


@cache
def _country_codes() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries) | _ALSO_ACCEPTED


def is_country_code(code: str) -> bool:
    """Whether ``code``, in upper case, is an ISO 3166-1 alpha-2 code (or ``XK``)."""
    return code.upper() in _country_codes()


def country_code(raw: str) -> str | None:
    """The ISO 3166-1 alpha-2 code (or ``XK``) that ``raw`` names, in upper case: a code in
    any case and with spaces around it, or one of the ``ALIASES`` (``UK`` gives ``GB``,
    ``EL`` gives ``GR``). None for anything else."""
    text = raw.strip()
    # Two ASCII letters before upper-casing: "ﬁ".upper() is "FI", one character as Finland.
    if len(text) != 2 or not (text.isascii() and text.isalpha()):
        return None
    code = text.upper()
    code = ALIASES.get(code, code)
    return code if code in _country_codes() else None
