"""Helpers for the audit tests: a chain to work on and a way to tamper with it as an
administrator with database access would."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from django.db import connection

from schakel.audit import services
from schakel.audit.models import AuditEntry

_protection_migration = importlib.import_module("schakel.audit.migrations.0002_append_only")

Tamper = Callable[..., None]


@pytest.fixture
def chain(db: Any) -> Callable[[int], list[AuditEntry]]:
    """``chain(n)`` appends n change entries and returns them."""

    def write(count: int) -> list[AuditEntry]:
        return [
            services.record_change(
                None, "update", "test.thing", [number], details={"fields": ["status"]}
            )
            for number in range(count)
        ]

    return write


@pytest.fixture
def tamper(db: Any) -> Tamper:
    """``tamper(sql, params)`` runs raw SQL on the audit table with its triggers out of the
    way, then puts them back (the test's transaction rolls all of it back afterwards)."""

    def run(sql: str, params: Sequence[Any] = ()) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # What a superuser or the table owner can do; the chain must still tell.
                cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
                cursor.execute(sql, params)
                cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER USER")
                return
            for statement in _protection_migration.SQLITE_BACKWARD:
                cursor.execute(statement)
            cursor.execute(sql, params)
            for statement in _protection_migration.SQLITE_FORWARD:
                cursor.execute(statement)

    return run
