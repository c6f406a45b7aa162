from __future__ import annotations

from django.db import models
from django.utils import timezone


class WorkerHeartbeat(models.Model):
    """One row per running worker, refreshed while it runs; /health reads the newest."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)
    jobs_done = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.hostname}:{self.pid}"


class PeriodicRun(models.Model):
    """When each periodic job last ran and what it did (for the administrator and /health)."""

    job = models.CharField(max_length=64, unique=True)
    last_run = models.DateTimeField()
    last_result = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.job
