"""FollowTheMoney exports as background jobs: the page or the API asks, the worker writes the
entities the user may see to a file with its progress recorded, and only that user downloads
it until it expires.

The streamed answer of ``GET /api/v1/entities/export.ftm.jsonl`` stays for small chains; it
is cut off when it takes longer than the web server's worker timeout (docs/benchmarks.md,
"FollowTheMoney export"), and it holds a web worker for as long as it runs. A job holds
neither.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
import uuid
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django_tasks import task

from schakel.access.shortcuts import get_visible_or_404
from schakel.entities.ftm import export_lines, plan_audited_export
from schakel.entities.models import FtmExport, export_directory

log = logging.getLogger(__name__)

KEEP_FOR = FtmExport.KEEP_FOR
#: An export still unfinished after this long lost its worker (stopped mid-way): a new
#: request starts afresh instead of waiting for it.
STALE_AFTER = timedelta(hours=6)
#: The page polls about every second; more frequent writes would only slow the export.
PROGRESS_EVERY_SECONDS = 0.5


def start_export(user: Any) -> tuple[FtmExport, bool]:
    """The user's export in progress, or a new one queued for the worker; and whether it is
    new. One at a time per user: asking again while one runs answers with that one."""
    now = timezone.now()
    with transaction.atomic():
        running = (
            FtmExport.objects.select_for_update()
            .filter(requested_by=user)
            .exclude(status__in=FtmExport.FINISHED)
            .order_by("-created_at")
            .first()
        )
        if running is not None and running.created_at > now - STALE_AFTER:
            return running, False
        if running is not None:
            running.status = FtmExport.Status.FAILED
            running.finished_at = now
            running.save(update_fields=["status", "finished_at"])
        export = FtmExport.objects.create(requested_by=user, created_at=now)
        result = run_ftm_export.enqueue(str(export.pk))
        export.task_id = str(result.id)
        export.save(update_fields=["task_id"])
    return export, True


def get_export_for_user(user: Any, export_id: uuid.UUID | str) -> FtmExport:
    """The export ``export_id`` if it is ``user``'s own (the matrix: its requester only, not
    their colleagues, who may see other records); else 404."""
    try:
        uuid.UUID(str(export_id))
    except ValueError:
        raise Http404 from None
    return get_visible_or_404(user, FtmExport.objects.all(), pk=export_id)


class _Progress:
    def __init__(self, export: FtmExport) -> None:
        self.export = export
        self.last = time.monotonic()

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY_SECONDS:
            self.last = now
            _save(self.export, lines_done=done)


def _save(export: FtmExport, **fields: Any) -> None:
    """Save these fields alone, at once: the page reads them while the job runs."""
    for name, value in fields.items():
        setattr(export, name, value)
    FtmExport.objects.filter(pk=export.pk).update(**fields)


@task()
def run_ftm_export(export_id: str) -> dict[str, Any]:
    """Write the export ``export_id``. Running it again after it finished changes nothing."""
    export = FtmExport.objects.select_related("requested_by").filter(pk=export_id).first()
    if export is None:
        return {"status": "gone"}
    if export.is_finished:
        return {"status": export.status, "entities": export.lines_total}
    user = export.requested_by
    _save(
        export,
        status=FtmExport.Status.RUNNING,
        phase=FtmExport.Phase.PLANNING,
        started_at=timezone.now(),
    )
    directory = export_directory()
    partial = directory / f".{export.pk}.partial"
    try:
        if not user.is_active:
            raise RuntimeError("the user who asked for the export is no longer active")
        plan = plan_audited_export(user, export=str(export.pk))
        _save(export, phase=FtmExport.Phase.WRITING, lines_total=plan.entities, lines_done=0)
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        digest = hashlib.sha256()
        size = done = 0
        progress = _Progress(export)
        with partial.open("wb") as target:
            partial.chmod(0o600)
            for line in export_lines(plan):
                data = line.encode("utf-8")
                digest.update(data)
                target.write(data)
                size += len(data)
                done += 1
                progress(done)
            target.flush()
            os.fsync(target.fileno())
        # Whole or not at all: the file gets its name only once every line is in it.
        stored_name = f"{export.pk}.ftm.jsonl"
        partial.replace(directory / stored_name)
    except Exception:
        log.exception("export failed", extra={"export_id": str(export.pk)})
        partial.unlink(missing_ok=True)
        _save(export, status=FtmExport.Status.FAILED, phase="", finished_at=timezone.now())
        raise
    _save(
        export,
        status=FtmExport.Status.DONE,
        phase="",
        lines_total=done,
        lines_done=done,
        stored_name=stored_name,
        file_size=size,
        file_sha256=digest.hexdigest(),
        finished_at=timezone.now(),
    )
    return {"status": export.status, "entities": done, "bytes": size}


def prune_old_exports() -> str:
    """The periodic job: remove exports (file and record) older than ``KEEP_FOR``, and files
    no export names any more (left by a worker stopped mid-way)."""
    cutoff = timezone.now() - KEEP_FOR
    old = list(FtmExport.objects.filter(created_at__lt=cutoff))
    for export in old:
        export.forget_file()
    deleted, _ = FtmExport.objects.filter(pk__in=[export.pk for export in old]).delete()
    strays = 0
    directory = export_directory()
    if directory.is_dir():
        known = set(FtmExport.objects.exclude(stored_name="").values_list("stored_name", flat=True))
        unfinished = {
            f".{pk}.partial"
            for pk in FtmExport.objects.exclude(status__in=FtmExport.FINISHED).values_list(
                "pk", flat=True
            )
        }
        for path in directory.iterdir():
            if path.is_file() and path.name not in known and path.name not in unfinished:
                path.unlink(missing_ok=True)
                strays += 1
    return (
        f"{deleted} exports older than {int(KEEP_FOR.total_seconds() // 3600)} hours removed, "
        f"{strays} stray files"
    )
