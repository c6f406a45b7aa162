"""Who may import, and the one access helper for an import's pages.

Importing records signals for the organisation, so it is for those whom the access matrix
lets change their organisation's signals (not the front desk, who see only their own). An
import belongs to the uploading organisation: anyone else gets 404, so its existence is not
revealed.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import Http404

from schakel.access import policy
from schakel.access.matrix import Level
from schakel.access.shortcuts import get_visible_or_404
from schakel.imports.models import ImportJob
from schakel.partners.models import User
from schakel.signals.models import Signal


def may_import(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or not isinstance(user, User):
        return False
    organisation = user.organisation
    if organisation is None or not organisation.is_active:
        return False
    viewer = policy.viewer_for(user)
    levels = policy.levels_for_relation(
        Signal, "owner", sector=organisation.sector, roles=viewer.roles, action="change"
    )
    return levels.get("general", Level.NONE) is Level.FULL


def get_import_for_user(user: Any, job_id: uuid.UUID | str) -> ImportJob:
    """The import ``job_id`` if ``user`` may see it (their organisation's, and they may
    import); else 404."""
    if not may_import(user):
        raise Http404
    return get_visible_or_404(
        user, ImportJob.objects.select_related("organisation", "created_by"), pk=job_id
    )
