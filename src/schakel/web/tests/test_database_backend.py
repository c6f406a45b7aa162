"""Schakel's PostgreSQL backend: Django's health check before a request's first query only
when the connection has lain idle, so that a connection the server dropped is still replaced
instead of failing the request."""

from __future__ import annotations

import psycopg
import pytest
from django.core.signals import request_finished, request_started
from django.db import connections

from schakel.backends.postgresql import base as backend

pytestmark = pytest.mark.django_db(transaction=True)

connection = connections["default"]


def _request(query: str = "SELECT 1") -> int:
    """One request's worth of database use, as Django's handler brackets it."""
    request_started.send(sender=None)
    try:
        with connection.cursor() as cursor:
            cursor.execute(query)
            return int(cursor.fetchone()[0])
    finally:
        request_finished.send(sender=None)


def _checks(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    asked: list[bool] = []
    is_usable = type(connection).is_usable

    def counted(self: object) -> bool:
        result = is_usable(self)  # type: ignore[arg-type]
        asked.append(result)
        return bool(result)

    monkeypatch.setattr(type(connection), "is_usable", counted)
    return asked


def test_a_connection_in_steady_use_is_not_asked_before_every_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the health check is PostgreSQL's (SQLite has no connection to lose)")
    assert isinstance(connection, backend.DatabaseWrapper)
    assert connection.health_check_enabled
    _request()
    asked = _checks(monkeypatch)
    for _ in range(5):
        assert _request() == 1
    assert asked == []
    # Idle for longer than the quiet period: asked again, once per request.
    monkeypatch.setattr(backend, "QUIET_SECONDS", 0.0)
    for _ in range(2):
        assert _request() == 1
    assert asked == [True, True]


def test_a_connection_dropped_while_idle_is_replaced_before_the_request_uses_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the health check is PostgreSQL's (SQLite has no connection to lose)")
    first = _request("SELECT pg_backend_pid()")
    monkeypatch.setattr(backend, "QUIET_SECONDS", 0.0)
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        dbname=settings["NAME"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [first])
    second = _request("SELECT pg_backend_pid()")
    assert second != first
