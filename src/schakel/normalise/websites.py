"""Websites and advertisements as lower case without a trailing slash.

``https://Advertenties.example/Massage/4711/`` and ``https://advertenties.example/massage/4711``
give one key. The path is lowered too: of the sites we meet, few tell two pages apart by
case alone, and a missed bundle costs more here than a rare false one. The key is bounded
like every other (``keys.bounded_key``): lower-casing can lengthen a text (``İ`` becomes
two characters), so a website that fits its column may give a key that would not.
"""

from __future__ import annotations

from schakel.normalise.keys import IDENTIFIER_KEY_LENGTH, bounded_key


def website_key(raw: str) -> str:
    """The key of a website or advertisement: trimmed, lower case, without trailing
    slashes, at most ``IDENTIFIER_KEY_LENGTH`` characters ("" for an empty one)."""
    return bounded_key(raw.strip().lower().rstrip("/"), IDENTIFIER_KEY_LENGTH)
