"""Authentication rules beyond Django's: demo accounts never work in production, and a user
of a deactivated organisation cannot sign in."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend


class SchakelBackend(ModelBackend):
    def user_can_authenticate(self, user: Any) -> bool:
        if not super().user_can_authenticate(user):
            return False
        if getattr(user, "is_demo", False) and settings.PRODUCTION:
            return False
        organisation = getattr(user, "organisation", None)
        if organisation is not None and not organisation.is_active:
            return False
        return user.organisation_id is not None or bool(user.is_superuser)
