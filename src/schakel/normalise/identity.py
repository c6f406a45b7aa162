"""Identity numbers of people and companies, compact and (where a standard exists) checked.

Kinds, and what is checked:

* ``bsn``: the Dutch citizen service number; python-stdnum checks nine digits (leading
  zeros may be left out) and the eleven-test. The key has nine digits.
* ``passport`` and ``id_card``: upper case letters and digits, 5 to 20 of them; travel
  documents carry no check digit in the number itself (the check digits are in the
  machine-readable zone). With ``country="NL"`` python-stdnum also checks the Dutch
  document number: nine characters, two letters first, a digit last, never the letter O.
* ``residence_permit``: like a passport (Dutch residence documents and foreigners'
  V-numbers have no published check we could rely on).
* ``kvk``: the Dutch Chamber of Commerce number, exactly eight digits. python-stdnum has
  no module for it and the KvK publishes no check digit, so only the format is checked.
* ``vat``: an EU VAT number, checked per country by python-stdnum. A number without a
  country prefix gets ``country`` (``GR`` becomes ``EL``, as VAT numbers spell Greece).
* ``other``: anything else, compacted (upper case, letters and digits only) so that the
  same number typed with or without spaces and dashes bundles.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat as eu_vat
from stdnum.nl import bsn as dutch_bsn
from stdnum.nl import identiteitskaartnummer as dutch_document_number

from schakel.normalise.errors import NormalisationError

IDENTITY_KINDS = ("bsn", "passport", "id_card", "residence_permit", "kvk", "vat", "other")

MIN_DOCUMENT_LENGTH = 5
MAX_DOCUMENT_LENGTH = 20

_LABELS: dict[str, Promise] = {
    "bsn": _("BSN"),
    "passport": _("passport number"),
    "id_card": _("identity card number"),
    "residence_permit": _("residence permit number"),
    "kvk": _("KvK number"),
    "vat": _("VAT number"),
    "other": _("identity number"),
}

_SEPARATORS = re.compile(r"[\s.\-/_]+")
_ASCII_ALPHANUMERIC = re.compile(r"^[A-Z0-9]+$")
_KVK = re.compile(r"^[0-9]{8}$")


def _compact(raw: str) -> str:
    return _SEPARATORS.sub("", raw.strip()).upper()


def _error(kind: str, message: str | Promise, **params: Any) -> NormalisationError:
    # Any, not object: mypy cannot tell that ``params`` never holds ``field``.
    return NormalisationError(kind, message, label=_LABELS[kind], **params)


def _normalise_bsn(compact: str, country: str | None) -> str:
    if not compact.isdigit():
        raise _error("bsn", _("This is not a valid BSN: it may contain only digits."))
    try:
        return dutch_bsn.validate(compact)
    except stdnum_errors.InvalidLength as exc:
        raise _error("bsn", _("This is not a valid BSN: it has nine digits.")) from exc
    except stdnum_errors.InvalidChecksum as exc:
        raise _error("bsn", _("This is not a valid BSN: the check digit does not match.")) from exc
    except stdnum_errors.ValidationError as exc:
        raise _error("bsn", _("This is not a valid BSN.")) from exc


def _normalise_document(kind: str, compact: str, country: str | None) -> str:
    if not _ASCII_ALPHANUMERIC.match(compact):
        raise _error(kind, _("This is not a valid %(label)s: use only letters and digits."))
    if not MIN_DOCUMENT_LENGTH <= len(compact) <= MAX_DOCUMENT_LENGTH:
        raise _error(
            kind,
            _("This is not a valid %(label)s: it needs %(min)s to %(max)s letters and digits."),
            min=MIN_DOCUMENT_LENGTH,
            max=MAX_DOCUMENT_LENGTH,
        )
    if kind in ("passport", "id_card") and country == "NL":
        try:
            return dutch_document_number.validate(compact)
        except stdnum_errors.InvalidComponent as exc:
            raise _error(
                kind,
                _(
                    "This is not a valid Dutch %(label)s: the letter O is never used "
                    "(it is the digit 0)."
                ),
            ) from exc
        except stdnum_errors.ValidationError as exc:
            raise _error(
                kind,
                _(
                    "This is not a valid Dutch %(label)s: it has nine letters and digits, "
                    "starting with two letters and ending with a digit."
                ),
            ) from exc
    return compact


def _normalise_kvk(compact: str, country: str | None) -> str:
    if not _KVK.match(compact):
        raise _error("kvk", _("This is not a valid KvK number: it has exactly eight digits."))
    return compact


def _normalise_vat(compact: str, country: str | None) -> str:
    if country and not compact[:2].isalpha():
        compact = ("EL" if country == "GR" else country) + compact
    try:
        return eu_vat.validate(compact)
    except stdnum_errors.InvalidComponent as exc:
        raise _error(
            "vat",
            _(
                "This is not a valid VAT number: it must start with the code of an EU "
                "country, such as NL."
            ),
        ) from exc
    except stdnum_errors.InvalidChecksum as exc:
        raise _error(
            "vat", _("This is not a valid VAT number: the check digits do not match.")
        ) from exc
    except stdnum_errors.InvalidLength as exc:
        raise _error(
            "vat",
            _("This is not a valid VAT number: it has the wrong length for %(country)s."),
            country=compact[:2],
        ) from exc
    except stdnum_errors.ValidationError as exc:
        raise _error(
            "vat",
            _("This is not a valid VAT number: it does not follow the format of %(country)s."),
            country=compact[:2],
        ) from exc


def _normalise_other(compact: str, country: str | None) -> str:
    return "".join(c for c in compact if c.isalnum())


_NORMALISERS: dict[str, Callable[[str, str | None], str]] = {
    "bsn": _normalise_bsn,
    "passport": lambda compact, country: _normalise_document("passport", compact, country),
    "id_card": lambda compact, country: _normalise_document("id_card", compact, country),
    "residence_permit": lambda compact, country: _normalise_document(
        "residence_permit", compact, country
    ),
    "kvk": _normalise_kvk,
    "vat": _normalise_vat,
    "other": _normalise_other,
}


def normalise_identity_number(kind: str, raw: str, country: str | None = None) -> str:
    """The number of this kind, compact and checked, or ``NormalisationError``.

    ``country`` (ISO 3166 alpha-2, any case) is the issuing country where a kind's checks
    depend on it (Dutch travel documents, the prefix of a VAT number); other kinds ignore it.
    The error's ``kind`` is the kind of number, so a form can mark the right field.
    """
    normaliser = _NORMALISERS.get(kind)
    if normaliser is None:
        raise NormalisationError(
            "identity", _("Unknown kind of identity number: %(kind)s."), kind=kind
        )
    compact = _compact(raw)
    if not compact:
        raise _error(kind, _("Enter the %(label)s."))
    number = normaliser(compact, country.strip().upper() if country else None)
    if not number:
        raise _error(kind, _("This is not a valid %(label)s: use letters and digits."))
    return number
