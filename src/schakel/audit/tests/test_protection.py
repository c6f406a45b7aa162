from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from schakel.audit import protection, services
from schakel.audit.models import AuditEntry, AuditHead

Chain = Callable[[int], list[AuditEntry]]


def _refused(sql: str) -> None:
    # A savepoint, so the test's transaction survives the error on PostgreSQL.
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)


@pytest.mark.django_db
def test_the_protecting_triggers_are_installed() -> None:
    assert protection.missing_triggers() == []


@pytest.mark.django_db
def test_the_database_refuses_to_update_an_entry(chain: Chain) -> None:
    chain(3)

    _refused("UPDATE audit_auditentry SET action = 'read' WHERE position = 2")
    _refused("UPDATE audit_auditentry SET position = position + 10")

    assert services.verify().ok


@pytest.mark.django_db
def test_the_database_refuses_to_delete_an_entry(chain: Chain) -> None:
    chain(3)

    _refused("DELETE FROM audit_auditentry WHERE position = 2")
    _refused("DELETE FROM audit_auditentry")

    assert AuditEntry.objects.count() == 3


@pytest.mark.django_db
def test_the_queryset_cannot_bypass_the_database(chain: Chain) -> None:
    chain(2)

    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(position=1).update(action="read")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.all().delete()


@pytest.mark.django_db
def test_postgresql_refuses_to_truncate_the_log(chain: Chain) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's; SQLite's DELETE is covered above")
    chain(2)

    _refused("TRUNCATE audit_auditentry")

    assert AuditEntry.objects.count() == 2


@pytest.mark.django_db
def test_the_head_stays_writable(chain: Chain) -> None:
    chain(2)

    assert AuditHead.objects.update(position=2) == 1


@pytest.mark.django_db
def test_unlocking_allows_deletion_but_never_an_update(chain: Chain) -> None:
    chain(2)

    with protection.unlocked():
        _refused("UPDATE audit_auditentry SET action = 'read'")
    with protection.unlocked():
        AuditEntry.objects.all()._raw_delete(using="default")
    assert not AuditEntry.objects.exists()
    # The unlock ended with its transaction.
    services.record_change(None, "create", "test.thing", [1])
    _refused("DELETE FROM audit_auditentry")


@pytest.mark.django_db(transaction=True)
def test_flush_still_empties_the_database(chain: Chain) -> None:
    chain(3)

    call_command("flush", interactive=False, verbosity=0)

    assert not AuditEntry.objects.exists()
    assert not AuditHead.objects.exists()
    assert services.record_change(None, "create", "test.thing", [1]).position == 1
    assert services.verify().ok
    # The test's own teardown flushes again, with an entry present.
