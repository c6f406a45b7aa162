"""Countries as ISO 3166-1 alpha-2 codes (``RO``, ``NG``), as nationalities are recorded.

The list is pycountry's copy of ISO 3166-1 (the Debian iso-codes data, which schwifty uses
for IBANs too), plus ``XK``: Kosovo has no ISO code yet, and ``XK`` is the user-assigned code
the European Commission and many passport readers use for it. A nationality such as
Kosovar is a real one in our signals and must not be refused.
"""

from __future__ import annotations

from functools import cache

import pycountry

_ALSO_ACCEPTED = frozenset({"XK"})


@cache
def _country_codes() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries) | _ALSO_ACCEPTED


def is_country_code(code: str) -> bool:
    """Whether ``code``, in upper case, is an ISO 3166-1 alpha-2 code (or ``XK``)."""
    return code.upper() in _country_codes()
