from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

import schakel


def shell(request: HttpRequest) -> dict[str, Any]:
    unread = 0
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from schakel.notifications.services import unread_count

        unread = unread_count(user)
    return {
        "unread_notifications": unread,
        "schakel_version": schakel.__version__,
        "schakel_production": settings.PRODUCTION,
        "schakel_two_factor_off": not settings.SCHAKEL_REQUIRE_2FA,
        # Front-desk workers only report; the nav offers them the short form.
        "front_desk_only": frozenset({"front_desk"}),
    }
