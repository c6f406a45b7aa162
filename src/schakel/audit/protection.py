"""The database's side of append-only: triggers refuse UPDATE, DELETE and TRUNCATE.

Migration ``0002_append_only`` installs the triggers. The one sanctioned way past them is
:func:`unlocked`, used by the ``flush`` command (so the test suite and an explicit
``manage.py flush`` can still empty a database); it is transaction-scoped, so it ends with
the transaction even when an error interrupts it. Updates are refused even when unlocked.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

#: Names of the triggers, per database vendor (kept in step with migration 0002).
TRIGGERS: dict[str, tuple[str, ...]] = {
    "postgresql": ("audit_auditentry_append_only", "audit_auditentry_no_truncate"),
    "sqlite": ("audit_auditentry_no_update", "audit_auditentry_no_delete"),
}
#: The PostgreSQL setting the trigger function consults (transaction-local when set here).
PG_UNLOCK_SETTING = "schakel.audit_unlock"
#: The SQL function SQLite's delete trigger calls; registered on every Schakel connection.
#: Outside Schakel (the sqlite3 shell) it does not exist, so deletes fail there too.
SQLITE_UNLOCK_FUNCTION = "schakel_audit_unlocked"

_state = threading.local()


def _sqlite_unlocked() -> int:
    return 1 if getattr(_state, "unlocked", False) else 0


def register_sqlite_function(connection: BaseDatabaseWrapper) -> None:
    if connection.vendor != "sqlite" or connection.connection is None:
        return
    connection.connection.create_function(SQLITE_UNLOCK_FUNCTION, 0, _sqlite_unlocked)


def on_connection_created(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    register_sqlite_function(connection)


@contextmanager
def unlocked(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Allow deleting (not changing) audit entries for the length of one transaction.

    Only for emptying a whole database. Never use it to remove single entries: the chain
    would report them as deleted, which is exactly what it is for.
    """
    connection = connections[using]
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'on', true)", [PG_UNLOCK_SETTING])
            yield
            # Inside an outer transaction this block is a savepoint, and a released savepoint
            # keeps SET LOCAL until the outer commit: switch it off explicitly. (On an error
            # the rollback to the savepoint undoes the setting by itself.)
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'off', true)", [PG_UNLOCK_SETTING])
            return
        register_sqlite_function(connection)
        _state.unlocked = True
        try:
            yield
        finally:
            _state.unlocked = False


def installed_triggers(using: str = DEFAULT_DB_ALIAS) -> set[str]:
    """The protecting triggers present in the database, for ``audit_verify`` to warn about
    missing ones (a later migration that rebuilds the table on SQLite would drop them)."""
    connection = connections[using]
    expected = TRIGGERS.get(connection.vendor, ())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditentry'::regclass"
                " AND tgenabled <> 'D'"
            )
        elif connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                " AND tbl_name = 'audit_auditentry'"
            )
        else:
            return set()
        return {row[0] for row in cursor.fetchall()} & set(expected)


def missing_triggers(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    connection = connections[using]
    present = installed_triggers(using)
    return [name for name in TRIGGERS.get(connection.vendor, ()) if name not in present]
