"""Linkage's comparisons and their outcomes in the reader's language: ``{% load linkage_words %}``
then ``{{ part.comparison|comparison_name }}`` and ``{{ part.label|outcome_label }}``. The
stored names are the settings' codes (docs/linkage.md); an unknown one is shown as stored."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

register = template.Library()

COMPARISONS: dict[str, Any] = {
    "address": _("Address"),
    "city": _("Place"),
    "country": _("Country"),
    "date_of_birth": _("Date of birth"),
    "family_name": _("Family name"),
    "gender": _("Gender"),
    "given_name": _("Given names"),
    "house_number": _("House number"),
    "identity_number": _("Identity number"),
    "name": _("Name"),
    "nationality": _("Nationality"),
    "phone": _("Phone number"),
    "place": _("Place"),
    "postcode": _("Postcode"),
    "registration_number": _("Registration number"),
    "street": _("Street"),
}

OUTCOMES: dict[str, Any] = {
    "all other": pgettext_lazy("linkage outcome", "different"),
    "crossed with family name": pgettext_lazy(
        "linkage outcome", "the same as the other's family name"
    ),
    "crossed with given name": pgettext_lazy(
        "linkage outcome", "the same as the other's given names"
    ),
    "exact": pgettext_lazy("linkage outcome", "the same"),
    "one character off": pgettext_lazy("linkage outcome", "one character off"),
    "one digit off": pgettext_lazy("linkage outcome", "one digit off"),
    "same address": pgettext_lazy("linkage outcome", "the same address"),
    "same address, written differently": pgettext_lazy(
        "linkage outcome", "the same address, written differently"
    ),
    "same area": pgettext_lazy("linkage outcome", "the same area"),
    "same city": pgettext_lazy("linkage outcome", "the same place"),
    "same postcode": pgettext_lazy("linkage outcome", "the same postcode"),
    "same postcode area": pgettext_lazy("linkage outcome", "the same postcode area"),
    "same street and postcode": pgettext_lazy("linkage outcome", "the same street and postcode"),
    "same street or postcode": pgettext_lazy("linkage outcome", "the same street or postcode"),
    "similar": pgettext_lazy("linkage outcome", "similar"),
    "swapped with family name": pgettext_lazy("linkage outcome", "given and family name swapped"),
    "two characters off": pgettext_lazy("linkage outcome", "two characters off"),
    "two digits off": pgettext_lazy("linkage outcome", "two digits off"),
    "unknown": pgettext_lazy("linkage outcome", "not known on one side"),
    "very similar": pgettext_lazy("linkage outcome", "very similar"),
    "within a year": pgettext_lazy("linkage outcome", "within a year"),
}


@register.filter
def comparison_name(code: str) -> str:
    return str(COMPARISONS.get(code, code))


@register.filter
def outcome_label(label: str) -> str:
    return str(OUTCOMES.get(label, label))


@register.filter
def roles_named(roles: str) -> str:
    """A link's roles as stored ("suspect / possible_victim"), each by its label."""
    from schakel.signals.templatetags.signals_ui import vocab

    return " / ".join(vocab(role.strip(), "person_roles") for role in roles.split(" / "))
