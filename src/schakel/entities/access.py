"""How entities' records stand under the access policy. Entities and mentions themselves
follow their signals (``services.mentions_shown_to``); suggestions have a rule of their own
for who judges; an export file is its requester's alone."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from schakel.access import policy
from schakel.access.policy import Relation, Viewer
from schakel.entities.models import FtmExport, Suggestion


def _requester_holds(viewer: Viewer, export: Any) -> bool:
    return viewer.user_id is not None and export.requested_by_id == viewer.user_id


def _requester_condition(viewer: Viewer) -> Q:
    return Q(requested_by_id=viewer.user_id) if viewer.user_id is not None else Q(pk__in=[])


def register_resources() -> None:
    policy.register(Suggestion, relations={})
    # An export holds what its requester may see, which a colleague may not: it is theirs.
    policy.register(
        FtmExport, relations={"requester": Relation(_requester_holds, _requester_condition)}
    )
