"""The task backend writes a queued job's row itself (``schakel.jobs.backend``): the row must
be the one django-tasks-db's own backend writes, and the worker must run it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db import DatabaseBackend as LibraryBackend
from django_tasks_db.models import DBTaskResult

from schakel.entities.jobs import resolve_signal_mentions
from schakel.jobs.backend import DatabaseBackend
from schakel.rows import described

pytestmark = pytest.mark.django_db(transaction=True)

COMPARED = (
    "status",
    "args_kwargs",
    "priority",
    "task_path",
    "worker_ids",
    "queue_name",
    "backend_name",
    "run_after",
    "return_value",
    "exception_class_path",
    "traceback",
    "started_at",
    "finished_at",
)


def _row(pk: object) -> dict[str, object]:
    return DBTaskResult.objects.filter(pk=pk).values(*COMPARED, "enqueued_at").get()


@pytest.mark.parametrize("later", [False, True])
def test_a_queued_job_is_the_row_the_library_writes(later: bool) -> None:
    task = resolve_signal_mentions
    if later:
        task = task.using(run_after=timezone.now() + timedelta(hours=1))
    before = timezone.now()
    ours = DatabaseBackend("default", {}).enqueue(task, ([4, 5],), {})
    theirs = LibraryBackend("default", {}).enqueue(task, ([4, 5],), {})
    mine, library = _row(ours.id), _row(theirs.id)
    assert {k: mine[k] for k in COMPARED} == {k: library[k] for k in COMPARED}
    assert before <= mine["enqueued_at"] <= library["enqueued_at"]  # type: ignore[operator]
    assert ours.status == theirs.status == "READY"
    assert DatabaseBackend("default", {}).get_result(ours.id).args == [[4, 5]]


def test_queueing_sends_one_insert_and_the_worker_runs_the_job() -> None:
    with CaptureQueriesContext(connection) as queries:
        result = resolve_signal_mentions.enqueue([])
    assert [described(q["sql"]).split()[0] for q in queries] == ["INSERT"]
    from django.core.management import call_command

    call_command("db_worker", batch=True, interval=0, verbosity=0)
    result.refresh()
    assert result.status == "SUCCESSFUL" and result.return_value == 0


def test_jobs_are_taken_along_only_inside_a_transaction() -> None:
    """The jobs taken along are locked and finished in the caller's transaction; outside one,
    their lock would be gone before their work was done."""
    from django.db import transaction

    from schakel.jobs.backend import finish_along, queued_along

    resolve_signal_mentions.enqueue([1])
    resolve_signal_mentions.enqueue([2, 3])
    with pytest.raises(RuntimeError, match="transaction"):
        queued_along(resolve_signal_mentions, room=10, size=lambda args: len(args[0]))
    with transaction.atomic():
        taken = queued_along(resolve_signal_mentions, room=2, size=lambda args: len(args[0]))
        assert [job.args_kwargs["args"] for job in taken] == [[[1]]]
        finish_along(taken, 7)
    assert _row(taken[0].pk)["status"] == "SUCCESSFUL"
    assert _row(taken[0].pk)["return_value"] == 7
    assert DBTaskResult.objects.filter(status="READY").count() == 1
