"""Access helpers for views and API endpoints."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.http import Http404

from schakel.access import policy

M = TypeVar("M", bound=models.Model)


def get_visible_or_404(
    user: Any, queryset: models.QuerySet[M] | type[M], action: str = "view", **lookup: Any
) -> M:
    """The record matching ``lookup`` if ``user`` may perform ``action`` on it; else 404.

    A record that exists but is not visible raises the same 404 as one that does not exist,
    so existence is never revealed.
    """
    qs = queryset._default_manager.all() if isinstance(queryset, type) else queryset
    try:
        obj = qs.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not policy.can(user, action, obj):
        raise Http404
    return obj
