"""The task backend: django-tasks-db's database backend, with a queued job's row written by
``schakel.rows`` instead of the ORM's ``create``.

A job is queued in the transaction of every signal received (the worker makes its mentions
after the commit), so its INSERT is on intake's hot path: compiling it through the ORM cost
about a tenth of a request's CPU. The row is the same (every field prepared by itself as the
ORM prepares it, ``auto_now_add`` included, the model's save signals sent), and so is
everything else the backend does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connections, router
from django.db.models import signals
from django.utils import timezone
from django_tasks_db import DatabaseBackend as LibraryBackend
from django_tasks_db.compat import normalize_json, task_enqueued

from schakel.rows import Deferred, insert_rows


class DatabaseBackend(LibraryBackend):
    def _task_to_db_task(
        self, task: Any, args: Any, kwargs: Any, statements: Deferred | None = None
    ) -> Any:
        from django_tasks_db.models import DBTaskResult

        result: DBTaskResult[Any, Any] = DBTaskResult(
            id=self._get_id(),
            args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            run_after=task.run_after,
            backend_name=self.alias,
        )
        using = router.db_for_write(DBTaskResult)
        # The model's own save signals, as ``create`` sends them (the library's pre_save
        # handler gives a job to run at once its far-future ``run_after``).
        signals.pre_save.send(
            DBTaskResult, instance=result, raw=False, using=using, update_fields=None
        )
        insert_rows(DBTaskResult, [result], cursor=statements)
        signals.post_save.send(
            DBTaskResult, instance=result, created=True, raw=False, using=using, update_fields=None
        )
        return result


def enqueue_held(task: Any, statements: Deferred | None, *args: Any, **kwargs: Any) -> None:
    """``task.enqueue(*args, **kwargs)``, with the job's row held in ``statements`` (a
    ``schakel.rows.deferred`` block of the caller's transaction) to be sent with the rows it
    is about, instead of in a round trip of its own. Without a block, or with another
    backend, it is plain ``enqueue``."""
    backend = task.get_backend()
    if statements is None or not isinstance(backend, DatabaseBackend):
        task.enqueue(*args, **kwargs)
        return
    backend.validate_task(task)
    result = backend._task_to_db_task(task, args, kwargs, statements)
    task_enqueued.send(type(backend), task_result=result.task_result)


def queued_along(task: Any, *, room: int, size: Callable[[list[Any]], int]) -> list[Any]:
    """Jobs of ``task`` waiting in the queue, in the order the workers would take them, as
    many as fit in ``room`` (``size`` measures a job by its arguments), locked for the caller's
    transaction; a job another worker holds is skipped. The caller does their work in that
    transaction and then calls ``finish_along``: under load one job does the work of those
    queued behind it, and the queue does not grow. Rolled back, they wait in the queue again.
    Only with this module's backend (none otherwise)."""
    from django_tasks_db.models import DBTaskResult

    backend = task.get_backend()
    if room <= 0 or not isinstance(backend, DatabaseBackend):
        return []
    if not connections[router.db_for_write(DBTaskResult)].in_atomic_block:
        raise RuntimeError("jobs taken along must be finished in the caller's transaction")
    waiting = DBTaskResult.objects.ready().filter(
        task_path=task.module_path, queue_name=task.queue_name, backend_name=backend.alias
    )
    chosen = []
    for pk, args_kwargs in waiting.values_list("pk", "args_kwargs")[:room]:
        room -= size(args_kwargs["args"])
        if room < 0:
            break
        chosen.append(pk)
    if not chosen:
        return []
    # Locked, and still waiting once locked: a worker may have claimed one meanwhile.
    return list(waiting.filter(pk__in=chosen).select_for_update(skip_locked=True).order_by())


def finish_along(jobs: list[Any], return_value: Any) -> None:
    """Mark the jobs taken along done, with ``return_value``, in the caller's transaction."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    if not jobs:
        return
    now = timezone.now()
    DBTaskResult.objects.filter(pk__in=[job.pk for job in jobs]).update(
        status=TaskResultStatus.SUCCESSFUL,
        started_at=now,
        finished_at=now,
        return_value=return_value,
        exception_class_path="",
        traceback="",
    )
