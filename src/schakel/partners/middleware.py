"""Two-factor authentication is required before anything else, for every role that needs it."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from rest_framework.authentication import TokenAuthentication

# Paths a signed-in user may reach before the second factor: to enrol, verify, leave or
# change language, plus what the load balancer and the browser need.
_OPEN_PREFIXES = ("/static/", "/health", "/i18n/", "/favicon.ico")
_OPEN_NAMES = ("two_factor_setup", "two_factor_verify", "logout")


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The token first: a request that presents one passes whatever its session, and the
        # session's user (looked up, then checked for a verified device) need not be read.
        if not settings.SCHAKEL_REQUIRE_2FA or self._presents_api_token(request):
            return self.get_response(request)
        user = request.user
        if (
            user.is_authenticated
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
    def _presents_api_token(request: HttpRequest) -> bool:
        """An API request with ``Authorization: Token ...``: a machine's credential, to which
        the second factor does not apply. The API authenticates the token before the session
        (REST_FRAMEWORK in settings), so such a request is answered as the token's user or
        refused with 401 — never as the unverified session beside it."""
        if not request.path.startswith("/api/"):
            return False
        scheme = request.headers.get("Authorization", "").split(maxsplit=1)
        return bool(scheme) and scheme[0].lower() == TokenAuthentication.keyword.lower()

    @staticmethod
    def _is_open(path: str) -> bool:
        if path.startswith(_OPEN_PREFIXES):
            return True
        return any(path == reverse(name) for name in _OPEN_NAMES)
