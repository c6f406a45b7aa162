"""Make the audit table append-only in the database itself.

PostgreSQL: a row trigger refuses UPDATE and DELETE, a statement trigger refuses TRUNCATE.
SQLite: BEFORE UPDATE and BEFORE DELETE triggers abort the statement (SQLite has no
TRUNCATE; its ``DELETE FROM`` fires the delete trigger). Deletion, never update, is allowed
only inside ``schakel.audit.protection.unlocked()``, which ``flush`` uses.

The head table stays writable: it is updated on every append.

A later migration that alters ``AuditEntry`` may rebuild the table on SQLite (create, copy,
drop, rename), which drops these triggers: such a migration must create them again.
``audit_verify`` warns when they are missing.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

POSTGRESQL_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION schakel_audit_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'TRUNCATE')
           AND coalesce(current_setting('schakel.audit_unlock', true), '') = 'on' THEN
            IF TG_LEVEL = 'ROW' THEN
                RETURN OLD;
            END IF;
            RETURN NULL;
        END IF;
        RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END
    $$
    """,
    """
    CREATE TRIGGER audit_auditentry_append_only
    BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION schakel_audit_refuse_change()
    """,
    """
    CREATE TRIGGER audit_auditentry_no_truncate
    BEFORE TRUNCATE ON audit_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION schakel_audit_refuse_change()
    """,
]
POSTGRESQL_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_auditentry_no_truncate ON audit_auditentry",
    "DROP TRIGGER IF EXISTS audit_auditentry_append_only ON audit_auditentry",
    "DROP FUNCTION IF EXISTS schakel_audit_refuse_change()",
]

SQLITE_FORWARD = [
    """
    CREATE TRIGGER audit_auditentry_no_update BEFORE UPDATE ON audit_auditentry
    BEGIN
        SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE on audit_auditentry refused');
    END
    """,
    # schakel_audit_unlocked() is registered on Schakel's own connections only; elsewhere
    # the statement fails with "no such function", which refuses the delete just the same.
    """
    CREATE TRIGGER audit_auditentry_no_delete BEFORE DELETE ON audit_auditentry
    WHEN NOT schakel_audit_unlocked()
    BEGIN
        SELECT RAISE(ABORT, 'the audit log is append-only: DELETE on audit_auditentry refused');
    END
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_auditentry_no_delete",
    "DROP TRIGGER IF EXISTS audit_auditentry_no_update",
]

STATEMENTS = {
    "postgresql": (POSTGRESQL_FORWARD, POSTGRESQL_BACKWARD),
    "sqlite": (SQLITE_FORWARD, SQLITE_BACKWARD),
}


def _run(schema_editor: Any, forward: bool) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in STATEMENTS:
        # Schakel supports PostgreSQL and SQLite only (see SCHAKEL_DATABASE_URL).
        raise RuntimeError(f"no append-only protection for the {vendor} database")
    for statement in STATEMENTS[vendor][0 if forward else 1]:
        # No parameters: the PL/pgSQL body uses % placeholders of its own.
        schema_editor.execute(statement, params=None)


def install(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, forward=True)


def uninstall(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, forward=False)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
