"""An import belongs to the organisation that uploaded it."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from schakel.access import policy
from schakel.access.policy import Relation, Viewer
from schakel.imports.models import ImportJob


def _uploader_holds(viewer: Viewer, job: Any) -> bool:
    return viewer.organisation_id is not None and job.organisation_id == viewer.organisation_id


def _uploader_condition(viewer: Viewer) -> Q:
    return Q(organisation_id=viewer.organisation_id) if viewer.organisation_id else Q(pk__in=[])


def register_resources() -> None:
    policy.register(
        ImportJob,
        relations={"uploading_organisation": Relation(_uploader_holds, _uploader_condition)},
    )
