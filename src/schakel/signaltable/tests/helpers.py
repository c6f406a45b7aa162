"""Signals for signal-table tests: each one distinct unless a test makes it share something."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from itertools import count
from typing import Any

from django.test import Client

from schakel.partners.models import User
from schakel.signals.intake import AddressInput, PersonInput
from schakel.signals.models import Signal
from schakel.signals.tests.factories import make_signal

SignIn = Callable[[User], Client]
_numbers = count(1)

URGENT_INDICATORS = ["ilo.physical_and_sexual_violence"]


def victim(given: str, family: str, born: date | None, **extra: Any) -> PersonInput:
    return PersonInput(
        role="possible_victim", given_names=given, family_name=family, date_of_birth=born, **extra
    )


def suspect(given: str, family: str, born: date | None = None, **extra: Any) -> PersonInput:
    return PersonInput(
        role="suspect", given_names=given, family_name=family, date_of_birth=born, **extra
    )


def street(name: str, number: str = "1") -> AddressInput:
    return AddressInput(street=name, house_number=number, postcode="4811 AA", city="Breda")


def distinct_signal(user: User, *, groups: list[Any], **overrides: Any) -> Signal:
    """A signal that shares nothing with another, unless ``overrides`` say so."""
    n = next(_numbers)
    values: dict[str, Any] = {
        "persons": [victim(f"Persoon{n}", f"Achternaam{n}", date(1990, 1, 1 + n % 28))],
        "companies": [],
        "addresses": [],
        "ibans": [],
    }
    values.update(overrides)
    return make_signal(user, groups=groups, **values)
