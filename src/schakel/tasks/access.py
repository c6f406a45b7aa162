"""How tasks stand under the access policy: the owner organisation sees and works its tasks."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from schakel.access import policy
from schakel.access.policy import Relation, Viewer
from schakel.tasks.models import Task


def _owner_holds(viewer: Viewer, task: Any) -> bool:
    return (
        viewer.organisation_id is not None and task.owner_organisation_id == viewer.organisation_id
    )


def _owner_condition(viewer: Viewer) -> Q:
    if viewer.organisation_id is None:
        return Q(pk__in=[])
    return Q(owner_organisation_id=viewer.organisation_id)


def register_resources() -> None:
    policy.register(
        Task, relations={"owner_organisation": Relation(_owner_holds, _owner_condition)}
    )
