"""One bulk import: the uploaded file, the options chosen, the progress of its background job,
and its outcome (a validation report, or what was written)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections, models, router
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def import_directory() -> Path:
    """Where uploaded files wait for the worker: inside the data directory, never served."""
    return Path(settings.DATA_DIR) / "imports"


class ImportJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for the worker")
        RUNNING = "running", _("Running")
        REFUSED = "refused", _("Refused: the file has errors")
        CHECKED = "checked", _("Checked: no errors found")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    class Phase(models.TextChoices):
        READING = "reading", _("Reading the file")
        VALIDATING = "validating", _("Checking every row")
        WRITING = "writing", _("Saving the signals")

    #: Outcomes after which the job does nothing more.
    FINISHED = frozenset({Status.REFUSED, Status.CHECKED, Status.DONE, Status.FAILED})

    # A random id: the pages of an import are addressed by it, and it reveals no count.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.CASCADE,
        related_name="import_jobs",
        verbose_name=_("organisation"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now, db_index=True)
    file_name = models.CharField(_("file name"), max_length=255)
    file_size = models.PositiveBigIntegerField(_("size"))
    file_sha256 = models.CharField(_("checksum (SHA-256)"), max_length=64)
    stored_name = models.CharField(max_length=100, blank=True)
    # The language the uploader reads, for the messages of the report.
    language = models.CharField(max_length=8, default="nl")
    # Defaults for rows that leave them empty (tlp, purpose, sharing_group_ids) and dry_run.
    options = models.JSONField(default=dict)
    task_id = models.CharField(max_length=64, blank=True)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    phase = models.CharField(max_length=16, choices=Phase.choices, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The outcome as the service reported it (problems per row and column, or counts and
    # references); shown by the report and result pages.
    outcome = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"

    @property
    def stored_path(self) -> Path | None:
        return import_directory() / self.stored_name if self.stored_name else None

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def dry_run(self) -> bool:
        return bool(self.options.get("dry_run"))

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0

    def forget_file(self) -> None:
        """Delete the uploaded file: once read, it is not kept (it holds personal data)."""
        path = self.stored_path
        if path is not None:
            path.unlink(missing_ok=True)
        self.stored_name = ""

    def record_progress(self, **fields: Any) -> None:
        """Save progress fields without touching the rest (the page reads them meanwhile).

        An import checks and writes in one transaction, which on PostgreSQL can take a minute
        or more; progress saved in it would be seen only at its end. So inside a transaction
        on PostgreSQL the fields are saved over a connection of their own, committed at once.
        Where that connection cannot see the job (it was created in the same transaction),
        they are saved in the transaction after all."""
        for name, value in fields.items():
            setattr(self, name, value)
        if not _saved_beside_the_transaction(self.pk, fields):
            ImportJob.objects.filter(pk=self.pk).update(**fields)


def _saved_beside_the_transaction(pk: uuid.UUID, fields: dict[str, Any]) -> bool:
    from schakel.rows import update_row

    alias = router.db_for_write(ImportJob)
    if connections[alias].vendor != "postgresql" or not connections[alias].in_atomic_block:
        return False
    beside = connections.create_connection(alias)
    try:
        with beside.cursor() as cursor:  # autocommit: saved and visible at once
            return update_row(ImportJob, pk, cursor=cursor, **fields) > 0
    finally:
        beside.close()
