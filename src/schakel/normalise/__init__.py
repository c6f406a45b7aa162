"""Normalisation: one spelling per thing, for validation, exact bundling and search.

Each function turns what someone typed into a key: equal keys mean the same phone line,
account, address or spelling of a name, so ``signals`` can validate input, ``signaltable``
can bundle exactly and search boxes can find a value however it is typed. Fuzzy matching
is not done here; that is linkage in ``entities``.

Public API (import from ``schakel.normalise``):

* ``NormalisationError`` — ``InvalidInput`` and ``ValueError`` with ``.kind`` ("phone",
  "iban", "email", "plate", "postcode", "house_number", an identity kind, or "identity")
  and a translated message naming the problem.
* ``normalise_phone(raw, default_region="NL") -> str`` (E.164) and
  ``phone_search_key(raw, default_region="NL") -> str | None``.
* ``normalise_iban(raw) -> str`` (compact, upper case) and ``iban_search_key(raw)``.
* ``normalise_email(raw) -> str`` (trimmed, lower case) and ``email_search_key(raw)``.
* ``normalise_plate(raw, country="NL") -> str`` (compact, upper case).
* ``name_key(raw) -> str`` and ``company_key(raw) -> str`` (words normalised and sorted;
  legal forms dropped from company names).
* ``postcode_key(raw) -> str`` (``1234AB``), ``split_house_number(raw) -> (number,
  addition)`` and ``address_key(street, house_number, postcode, city, country="NL") ->
  str | None``.
* ``normalise_identity_number(kind, raw, country=None) -> str`` for the kinds in
  ``IDENTITY_KINDS`` (bsn, passport, id_card, residence_permit, kvk, vat, other).
* ``website_key(raw) -> str`` (trimmed, lower case, no trailing slash).
* ``is_country_code(code) -> bool``: an ISO 3166-1 alpha-2 code (or XK, Kosovo), any case.
* ``country_code(raw) -> str | None``: the ISO code (upper case) that ``raw`` names, in any
  case, also for the common aliases ``UK`` (GB) and ``EL`` (GR); None for anything else.
* ``NAME_KEY_LENGTH``, ``ADDRESS_KEY_LENGTH`` and ``IDENTIFIER_KEY_LENGTH``: the longest
  name or company key, address key and normalised identifier the functions return (the
  columns that store them are that long). A longer key is returned as its beginning and a
  SHA-256 digest of the whole, so equal keys stay equal (``keys.bounded_key``).

``normalise_*`` functions validate and raise; ``*_key`` functions of free text (names,
addresses) never raise; ``*_search_key`` functions return ``None`` instead of raising.
"""

from __future__ import annotations

from schakel.normalise.addresses import address_key, postcode_key, split_house_number
from schakel.normalise.countries import country_code, is_country_code
from schakel.normalise.emails import email_search_key, normalise_email
from schakel.normalise.errors import NormalisationError
from schakel.normalise.ibans import iban_search_key, normalise_iban
from schakel.normalise.identity import IDENTITY_KINDS, normalise_identity_number
from schakel.normalise.keys import ADDRESS_KEY_LENGTH, IDENTIFIER_KEY_LENGTH, NAME_KEY_LENGTH
from schakel.normalise.names import company_key, name_key
from schakel.normalise.phones import normalise_phone, phone_search_key
from schakel.normalise.plates import normalise_plate
from schakel.normalise.websites import website_key

__all__ = [
    "ADDRESS_KEY_LENGTH",
    "IDENTIFIER_KEY_LENGTH",
    "IDENTITY_KINDS",
    "NAME_KEY_LENGTH",
    "NormalisationError",
    "address_key",
    "company_key",
    "country_code",
    "email_search_key",
    "iban_search_key",
    "is_country_code",
    "name_key",
    "normalise_email",
    "normalise_iban",
    "normalise_identity_number",
    "normalise_phone",
    "normalise_plate",
    "phone_search_key",
    "postcode_key",
    "split_house_number",
    "website_key",
]
