"""Run the background worker: django-tasks' database worker plus a heartbeat for /health."""

from __future__ import annotations

import threading
import uuid
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django_tasks_db.management.commands.db_worker import Worker

from schakel.jobs import services


class HeartbeatWorker(Worker):
    def run_task(self, db_task_result: Any) -> None:
        super().run_task(db_task_result)
        services.beat(self.worker_id, jobs_done=self._run_tasks)


def _keep_beating(worker_id: str, stop: threading.Event, every: float) -> None:
    try:
        while not stop.is_set():
            services.beat(worker_id)
            stop.wait(every)
    finally:
        connection.close()


class Command(BaseCommand):
    help = "Run background jobs and keep the worker heartbeat that /health reports."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--batch", action="store_true", help="run every waiting job, then stop")
        parser.add_argument("--interval", type=float, default=1.0)

    def handle(self, *args: Any, batch: bool, interval: float, **options: Any) -> None:
        worker_id = f"worker-{uuid.uuid4().hex[:12]}"
        stop = threading.Event()
        every = max(1.0, settings.SCHAKEL_WORKER_STALE_SECONDS / 4)
        beating = threading.Thread(
            target=_keep_beating, args=(worker_id, stop, every), name="heartbeat", daemon=True
        )
        if batch:
            # A batch run is short: one beat from this thread is enough.
            services.beat(worker_id)
        else:
            beating.start()
        self.stdout.write(f"Schakel worker {worker_id} started; press Ctrl+C to stop.")
        worker = HeartbeatWorker(
            queue_names=["*"],
            excluded_queue_names=[],
            interval=interval,
            batch=batch,
            backend_name="default",
            startup_delay=not batch,
            max_tasks=None,
            worker_id=worker_id,
        )
        worker.configure_signals()
        try:
            worker.run()
        finally:
            stop.set()
            if beating.is_alive():
                beating.join(timeout=5)
            services.stop(worker_id)
            self.stdout.write(f"Schakel worker {worker_id} stopped.")
