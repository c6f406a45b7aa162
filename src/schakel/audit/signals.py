"""Logins, logouts and failed logins go to the audit log, without any typed user name."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest

from schakel.audit import services


def _organisation_id(user: Any) -> int | None:
    organisation_id = getattr(user, "organisation_id", None)
    return int(organisation_id) if organisation_id is not None else None


def record_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    services.record_event(
        request, "login", actor_id=user.pk, organisation_id=_organisation_id(user)
    )


def record_logout(
    sender: Any, request: HttpRequest | None, user: Any = None, **kwargs: Any
) -> None:
    # ``user`` is None when an anonymous visitor opens the logout page: nobody logged out.
    if user is None or user.pk is None:
        return
    services.record_event(
        request, "logout", actor_id=user.pk, organisation_id=_organisation_id(user)
    )


def record_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    field = get_user_model().USERNAME_FIELD
    typed = credentials.get(field, credentials.get("username"))
    details: dict[str, Any] = {}
    if isinstance(typed, str) and typed.strip():
        details["username_hmac"] = services.username_hash(typed)
    services.record_event(request, "login_failed", details=details)


def connect() -> None:
    user_logged_in.connect(record_login, dispatch_uid="schakel.audit.login")
    user_logged_out.connect(record_logout, dispatch_uid="schakel.audit.logout")
    user_login_failed.connect(record_login_failed, dispatch_uid="schakel.audit.login_failed")
