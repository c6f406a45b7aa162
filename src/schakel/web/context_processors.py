from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

import schakel


def shell(request: HttpRequest) -> dict[str, Any]:
    return {
        "schakel_version": schakel.__version__,
        "schakel_production": settings.PRODUCTION,
        "schakel_two_factor_off": not settings.SCHAKEL_REQUIRE_2FA,
    }
