"""The embedded database is set up for safety; PostgreSQL is used through psycopg 3."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_the_database_runs_in_its_safe_mode() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
            cursor.execute("PRAGMA synchronous")
            assert cursor.fetchone()[0] == 2  # FULL
            cursor.execute("PRAGMA foreign_keys")
            assert cursor.fetchone()[0] == 1
            # Writers take the lock at BEGIN, so they queue instead of failing half-way.
            assert connection.transaction_mode == "IMMEDIATE"
        else:
            assert connection.vendor == "postgresql"
            import psycopg

            assert connection.connection.__class__.__module__.startswith("psycopg")
            assert psycopg.__version__.startswith("3.")
