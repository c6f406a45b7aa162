"""A notification is for its recipient only."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from schakel.access import policy
from schakel.access.policy import Relation, Viewer
from schakel.notifications.models import Notification


def _recipient_holds(viewer: Viewer, notification: Any) -> bool:
    return viewer.user_id is not None and notification.recipient_id == viewer.user_id


def _recipient_condition(viewer: Viewer) -> Q:
    return Q(recipient_id=viewer.user_id) if viewer.user_id is not None else Q(pk__in=[])


def register_resources() -> None:
    policy.register(
        Notification, relations={"recipient": Relation(_recipient_holds, _recipient_condition)}
    )
