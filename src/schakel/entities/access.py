"""How entities' records stand under the access policy. Entities and mentions themselves
follow their signals (``services.mentions_shown_to``); suggestions have a rule of their own
for who judges."""

from __future__ import annotations

from schakel.access import policy
from schakel.entities.models import Suggestion


def register_resources() -> None:
    policy.register(Suggestion, relations={})
