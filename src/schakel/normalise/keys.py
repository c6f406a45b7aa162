"""Keys that fit their columns.

A key is compared for equality only (exact bundling, search), and the columns that store
it have a length. Transliteration and case folding can make a key longer than what was
typed (``Щ`` is ``shch``, ``İ`` lower-cased is two characters), so a name or address that
fits its own column may give a key that does not. Such a key is stored as its beginning and
a SHA-256 digest of the whole key, exactly ``limit`` characters: equal keys still give equal
stored keys, and different ones (all but certainly) different ones. A key that fits is kept
as it is, so keys stored before are still found.

Every function here that returns a key bounds it itself, so that intake, search and the
entities' projection, which all call the same functions, all get the same key.
"""

from __future__ import annotations

import hashlib
import re

#: The longest key each function returns; the columns that store them are this long.
NAME_KEY_LENGTH = 400  # name_key and company_key
ADDRESS_KEY_LENGTH = 300  # address_key
IDENTIFIER_KEY_LENGTH = 500  # normalised phone numbers, IBANs, e-mail addresses, websites, ...

# "#" never occurs in a name or address key (their words are letters and digits), so a
# bounded key never equals one that was kept whole.
_MARK = "#"
_DIGEST_LENGTH = 64
_BOUNDED_NAME_KEY = re.compile(rf"[a-z0-9 ]*{_MARK}[0-9a-f]{{{_DIGEST_LENGTH}}}")


def bounded_key(key: str, limit: int) -> str:
    """``key`` if it has at most ``limit`` characters; otherwise its first characters, ``#``
    and the hexadecimal SHA-256 digest of the whole key, ``limit`` characters in all."""
    if len(key) <= limit:
        return key
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return f"{key[: limit - _DIGEST_LENGTH - len(_MARK)]}{_MARK}{digest}"


def is_bounded_name_key(text: str) -> bool:
    """Whether ``text`` is a name key that ``bounded_key`` shortened (so that ``name_key``
    can give it back unchanged: a key is its own key)."""
    return len(text) == NAME_KEY_LENGTH and _BOUNDED_NAME_KEY.fullmatch(text) is not None
