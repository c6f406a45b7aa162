"""Keep cached role sets honest when roles change within one request."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from schakel.partners.models import UserRole


@receiver([post_save, post_delete], sender=UserRole)
def forget_cached_roles(sender: type[UserRole], instance: UserRole, **kwargs: Any) -> None:
    user = instance.user
    for attribute in ("_roles_cache", "_schakel_viewer"):
        if hasattr(user, attribute):
            delattr(user, attribute)
