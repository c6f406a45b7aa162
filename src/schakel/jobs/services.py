"""The worker heartbeat and the periodic jobs."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from schakel.jobs.models import PeriodicRun, WorkerHeartbeat


@dataclass(frozen=True)
class WorkerStatus:
    ok: bool
    last_seen: datetime | None
    workers: int


def beat(worker_id: str, *, jobs_done: int = 0) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "last_seen": now,
            "jobs_done": jobs_done,
        },
        create_defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": now,
            "last_seen": now,
            "jobs_done": jobs_done,
        },
    )


def stop(worker_id: str) -> None:
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def worker_status(now: datetime | None = None) -> WorkerStatus:
    now = now or timezone.now()
    fresh_after = now - timedelta(seconds=settings.SCHAKEL_WORKER_STALE_SECONDS)
    newest = WorkerHeartbeat.objects.order_by("-last_seen").first()
    alive = WorkerHeartbeat.objects.filter(last_seen__gte=fresh_after).count()
    return WorkerStatus(ok=alive > 0, last_seen=newest.last_seen if newest else None, workers=alive)


def _clear_expired_sessions() -> str:
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return f"{deleted} expired sessions removed"


def _prune_job_results() -> str:
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - timedelta(days=30)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return f"{deleted} finished job results older than 30 days removed"


def _prune_stale_heartbeats() -> str:
    cutoff = timezone.now() - timedelta(days=1)
    deleted, _ = WorkerHeartbeat.objects.filter(last_seen__lt=cutoff).delete()
    return f"{deleted} stale worker heartbeats removed"


def _expire_lockouts() -> str:
    from axes.models import AccessAttempt

    cutoff = timezone.now() - timedelta(minutes=int(settings.AXES_COOLOFF_TIME * 60))
    deleted, _ = AccessAttempt.objects.filter(attempt_time__lt=cutoff).delete()
    return f"{deleted} expired login lock-outs removed"


#: Periodic jobs by name. Each is idempotent: running it twice in a row changes nothing more.
PERIODIC_JOBS: dict[str, Callable[[], str]] = {
    "clear-sessions": _clear_expired_sessions,
    "prune-job-results": _prune_job_results,
    "prune-heartbeats": _prune_stale_heartbeats,
    "expire-lockouts": _expire_lockouts,
}


def register_periodic_job(name: str, job: Callable[[], str]) -> None:
    """Apps above add their periodic jobs here (e.g. retention, escalation)."""
    PERIODIC_JOBS[name] = job


def run_periodic_jobs(names: list[str] | None = None) -> dict[str, str]:
    results: dict[str, str] = {}
    for name in names or list(PERIODIC_JOBS):
        if name not in PERIODIC_JOBS:
            raise KeyError(name)
        results[name] = PERIODIC_JOBS[name]()
        PeriodicRun.objects.update_or_create(
            job=name, defaults={"last_run": timezone.now(), "last_result": results[name]}
        )
    return results
