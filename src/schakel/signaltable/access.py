"""How meetings stand under the access policy: organisations at the table see them; the
table's chairs (chair users, and the coordinators of the chair organisation) run them.

Each signal on an agenda or in minutes is still shown under the signal's own rules."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from schakel.access import policy
from schakel.access.policy import Relation, Viewer
from schakel.signaltable.models import Meeting

NOTHING = Q(pk__in=[])


def _member_holds(viewer: Viewer, meeting: Any) -> bool:
    return bool(meeting.group_id in viewer.group_ids)


def _member_condition(viewer: Viewer) -> Q:
    return Q(group_id__in=sorted(viewer.group_ids)) if viewer.group_ids else NOTHING


def _chair_user_holds(viewer: Viewer, meeting: Any) -> bool:
    if viewer.user_id is None:
        return False
    # Uses a prefetch of the group's chairs when the caller made one.
    return viewer.user_id in {user.pk for user in meeting.group.chair_users.all()}


def _chair_user_condition(viewer: Viewer) -> Q:
    return Q(group__chair_users=viewer.user_id) if viewer.user_id is not None else NOTHING


def _chair_organisation_holds(viewer: Viewer, meeting: Any) -> bool:
    return (
        viewer.organisation_id is not None
        and meeting.group.chair_organisation_id == viewer.organisation_id
    )


def _chair_organisation_condition(viewer: Viewer) -> Q:
    if viewer.organisation_id is None:
        return NOTHING
    return Q(group__chair_organisation_id=viewer.organisation_id)


def register_resources() -> None:
    policy.register(
        Meeting,
        relations={
            "member": Relation(_member_holds, _member_condition),
            "chair_user": Relation(_chair_user_holds, _chair_user_condition),
            "chair_organisation": Relation(
                _chair_organisation_holds, _chair_organisation_condition
            ),
        },
    )
