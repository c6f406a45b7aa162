"""The import as a background job: the web page uploads, the worker imports, and both meet
in the ``ImportJob`` record (progress while it runs, the outcome when it is done)."""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django_tasks import task

from schakel.imports.models import ImportJob, import_directory
from schakel.partners.models import User
from schakel.signals.bulk.rows import ImportDefaults
from schakel.signals.bulk.service import ImportOutcome, import_signals

log = logging.getLogger(__name__)

#: The page polls about every second; more frequent writes would only cost the import time.
PROGRESS_EVERY_SECONDS = 0.5


def start_import(
    upload: UploadedFile,
    *,
    user: User,
    defaults: ImportDefaults,
    dry_run: bool,
    language: str,
) -> ImportJob:
    """Keep the uploaded file for the worker and queue the job that imports it."""
    assert user.organisation is not None
    directory = import_directory()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    job = ImportJob(
        organisation=user.organisation,
        created_by=user,
        file_name=(upload.name or "upload")[:255],
        file_size=upload.size or 0,
        language=language[:8],
        options={
            "tlp": defaults.tlp,
            "purpose": defaults.purpose,
            "sharing_group_ids": list(defaults.sharing_group_ids),
            "dry_run": dry_run,
        },
    )
    job.stored_name = f"{job.pk}.upload"
    digest = hashlib.sha256()
    path = directory / job.stored_name
    with path.open("wb") as target:
        path.chmod(0o600)
        for chunk in upload.chunks():
            digest.update(chunk)
            target.write(chunk)
    job.file_sha256 = digest.hexdigest()
    with transaction.atomic():
        job.save()
        result = run_import.enqueue(str(job.pk))
        job.task_id = str(result.id)
        job.save(update_fields=["task_id"])
    return job


class _JobProgress:
    """Writes the job's progress at most twice a second, and at once when the phase changes."""

    def __init__(self, job: ImportJob) -> None:
        self.job = job
        self.phase = ""
        self.last = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if phase == self.phase and now - self.last < PROGRESS_EVERY_SECONDS:
            return
        self.phase, self.last = phase, now
        fields: dict[str, Any] = {"phase": phase, "rows_done": done}
        if total:
            fields["rows_total"] = total
        self.job.record_progress(**fields)


@task()
def run_import(job_id: str) -> dict[str, Any]:
    """Import the file of ``job_id``. Running it again after it finished changes nothing."""
    job = ImportJob.objects.select_related("organisation", "created_by").get(pk=job_id)
    if job.is_finished:
        return ImportOutcome.from_dict(job.outcome).summary() if job.outcome else {}
    job.record_progress(status=ImportJob.Status.RUNNING, started_at=timezone.now())
    try:
        user = job.created_by
        path = job.stored_path
        if user is None or path is None or not path.exists():
            raise RuntimeError("the uploader or the uploaded file is gone")
        options = job.options
        with translation.override(job.language):
            outcome = import_signals(
                path.read_bytes(),
                file_name=job.file_name,
                submitted_by=user,
                defaults=ImportDefaults(
                    tlp=options.get("tlp", ImportDefaults.tlp),
                    purpose=options.get("purpose", ImportDefaults.purpose),
                    sharing_group_ids=tuple(options.get("sharing_group_ids", ())),
                ),
                dry_run=bool(options.get("dry_run")),
                progress=_JobProgress(job),
                audit_details={"import": str(job.pk)},
            )
    except Exception:
        log.exception("import failed", extra={"import_id": str(job.pk)})
        job.forget_file()
        job.record_progress(
            status=ImportJob.Status.FAILED,
            phase="",
            finished_at=timezone.now(),
            stored_name="",
        )
        raise
    job.forget_file()
    job.record_progress(
        status=outcome.status,
        phase="",
        rows_total=outcome.rows,
        rows_done=outcome.rows,
        outcome=outcome.as_dict(),
        finished_at=timezone.now(),
        stored_name="",
    )
    return outcome.summary()
