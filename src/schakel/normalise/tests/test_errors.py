from __future__ import annotations

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from schakel.errors import InvalidInput
from schakel.normalise import NormalisationError


def test_it_is_an_invalid_input_and_a_value_error() -> None:
    error = NormalisationError("phone", _("This is not a valid phone number."))

    assert isinstance(error, InvalidInput)
    assert isinstance(error, ValueError)
    assert error.kind == "phone"
    assert error.status_code == 400


def test_it_names_its_kind_in_the_api_form() -> None:
    error = NormalisationError("iban", _("Enter an IBAN."), field="iban")

    assert error.as_dict() == {
        "code": "invalid",
        "message": "Enter an IBAN.",
        "field": "iban",
        "kind": "iban",
    }


def test_it_fills_placeholders_when_the_message_is_read() -> None:
    error = NormalisationError("iban", _("%(country)s is not a country."), country="XX")

    assert isinstance(error.message, Promise)
    assert str(error.message) == "XX is not a country."
    assert error.params == {"country": "XX"}


def test_it_translates_the_message_in_the_language_of_the_reader() -> None:
    # Django ships "Enter a valid value." in Dutch; ours will follow via makemessages.
    error = NormalisationError("other", _("Enter a valid value."), label="x")

    with translation.override("nl"):
        assert str(error.message) == "Voer een geldige waarde in."
    with translation.override("en"):
        assert str(error.message) == "Enter a valid value."
