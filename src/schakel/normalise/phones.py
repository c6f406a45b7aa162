"""Phone numbers as E.164 (``+31612345678``), however they were typed.

The key is E.164 because it is the one spelling of a number that does not depend on
where it is dialled from: ``06 12345678``, ``+31 (0)6-1234 5678`` and ``0031612345678``
are the same line. Extensions are dropped (E.164 has none); a line is what we bundle on.

Two faces, on purpose:

* ``normalise_phone`` validates. It accepts only numbers that the phonenumbers metadata
  says are *valid* (an existing range of the right length), because a form should catch
  a missing digit: ``06 1234567`` is *possible* by length rules alone, but no Dutch
  mobile number has that many digits.
* ``phone_search_key`` is tolerant. It returns E.164 for any *possible* number and
  ``None`` otherwise, so a search box finds what was stored however it is typed, and a
  number in a range newer than our pinned metadata can still be looked up.
"""

from __future__ import annotations

import phonenumbers
from django.utils.translation import gettext_lazy as _
from phonenumbers import NumberParseException, PhoneNumber, ValidationResult

from schakel.normalise.errors import NormalisationError

_POSSIBILITY_MESSAGES = {
    ValidationResult.INVALID_COUNTRY_CODE: _(
        "This is not a valid phone number: the country code is unknown."
    ),
    ValidationResult.TOO_SHORT: _("This is not a valid phone number: it has too few digits."),
    ValidationResult.TOO_LONG: _("This is not a valid phone number: it has too many digits."),
    ValidationResult.INVALID_LENGTH: _(
        "This is not a valid phone number: it has the wrong number of digits."
    ),
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: _(
        "This phone number is incomplete: add the area code."
    ),
}


_PARSE_MESSAGES = {
    NumberParseException.INVALID_COUNTRY_CODE: _POSSIBILITY_MESSAGES[
        ValidationResult.INVALID_COUNTRY_CODE
    ],
    NumberParseException.TOO_SHORT_NSN: _POSSIBILITY_MESSAGES[ValidationResult.TOO_SHORT],
    NumberParseException.TOO_SHORT_AFTER_IDD: _POSSIBILITY_MESSAGES[ValidationResult.TOO_SHORT],
    NumberParseException.TOO_LONG: _POSSIBILITY_MESSAGES[ValidationResult.TOO_LONG],
}


def _parse(raw: str, default_region: str) -> PhoneNumber:
    try:
        return phonenumbers.parse(raw, default_region.upper())
    except NumberParseException as exc:
        message = _PARSE_MESSAGES.get(exc.error_type, _("This is not a valid phone number."))
        raise NormalisationError("phone", message) from exc


def _e164(number: PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_phone(raw: str, default_region: str = "NL") -> str:
    """The number in E.164, or ``NormalisationError`` saying what is wrong.

    ``default_region`` is the country a number without ``+`` or ``00`` belongs to.
    """
    if not raw.strip():
        raise NormalisationError("phone", _("Enter a phone number."))
    number = _parse(raw, default_region)
    possibility = phonenumbers.is_possible_number_with_reason(number)
    if possibility != ValidationResult.IS_POSSIBLE:
        message = _POSSIBILITY_MESSAGES.get(possibility, _("This is not a valid phone number."))
        raise NormalisationError("phone", message)
    if not phonenumbers.is_valid_number(number):
        raise NormalisationError(
            "phone",
            _("This is not a valid phone number: no numbers are issued with these digits."),
        )
    return _e164(number)


def phone_search_key(raw: str, default_region: str = "NL") -> str | None:
    """E.164 for anything that could be a phone number, else ``None`` (search as text)."""
    try:
        number = phonenumbers.parse(raw, default_region.upper())
    except NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return _e164(number)
