"""An import's progress is seen while it runs: on PostgreSQL the import checks and writes in
one transaction, so its progress is saved over a connection of its own."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection, connections, transaction

from schakel.imports.models import ImportJob
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db(transaction=True)


def _seen_elsewhere(pk: uuid.UUID) -> tuple[str, int, int] | None:
    """The job's progress as another connection (the import page's) reads it."""
    other = connections.create_connection("default")
    key = ImportJob._meta.get_field("id").get_db_prep_value(pk, other)
    try:
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT phase, rows_done, rows_total FROM imports_importjob WHERE id = %s", [key]
            )
            row = cursor.fetchone()
    finally:
        other.close()
    return (str(row[0]), int(row[1]), int(row[2])) if row else None


def _job(world: World) -> ImportJob:
    user = world.users["care_coordinator"]
    return ImportJob.objects.create(
        organisation=user.organisation, created_by=user, file_name="s.csv", file_size=1
    )


def test_progress_saved_inside_the_imports_transaction_is_seen_at_once(world: World) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time: progress waits for the commit there")
    job = _job(world)
    with transaction.atomic():
        job.record_progress(phase=ImportJob.Phase.WRITING, rows_done=500, rows_total=1000)
        assert _seen_elsewhere(job.pk) == ("writing", 500, 1000)
        job.record_progress(rows_done=1000)
        assert _seen_elsewhere(job.pk) == ("writing", 1000, 1000)
    assert (job.phase, job.rows_done) == ("writing", 1000)


def test_a_job_made_in_the_same_transaction_keeps_its_progress_there(world: World) -> None:
    with transaction.atomic():
        job = _job(world)
        job.record_progress(phase=ImportJob.Phase.VALIDATING, rows_done=3, rows_total=9)
        stored = ImportJob.objects.get(pk=job.pk)
        assert (stored.phase, stored.rows_done, stored.rows_total) == ("validating", 3, 9)
        # Not committed yet, so nobody else sees the job at all.
        assert _seen_elsewhere(job.pk) is None
    assert _seen_elsewhere(job.pk) == ("validating", 3, 9)
