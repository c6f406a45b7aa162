"""Two-factor authentication is required before anything else, for every role that needs it."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

# Paths a signed-in user may reach before the second factor: to enrol, verify, leave or
# change language, plus what the load balancer and the browser need.
_OPEN_PREFIXES = ("/static/", "/health", "/i18n/", "/favicon.ico")
_OPEN_NAMES = ("two_factor_setup", "two_factor_verify", "logout")


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            settings.SCHAKEL_REQUIRE_2FA
            and user.is_authenticated
            and getattr(user, "needs_two_factor", False)
            and not user.is_verified()  # type: ignore[attr-defined]
            and not self._is_open(request.path)
        ):
            if request.path.startswith("/api/"):
                return HttpResponse(status=401)
            from django_otp import user_has_device

            target = "two_factor_verify" if user_has_device(user) else "two_factor_setup"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _is_open(path: str) -> bool:
        if path.startswith(_OPEN_PREFIXES):
            return True
        return any(path == reverse(name) for name in _OPEN_NAMES)
