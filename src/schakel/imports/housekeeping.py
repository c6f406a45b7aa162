"""Periodic clean-up of import records: reports may name values of personal data, so they are
not kept longer than the people who uploaded them need to act on them."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from schakel.imports.models import ImportJob

#: How long an import's record (report, counts, references) is kept.
KEEP_FOR = timedelta(days=30)


def prune_old_imports() -> str:
    cutoff = timezone.now() - KEEP_FOR
    old = list(ImportJob.objects.filter(created_at__lt=cutoff))
    for job in old:
        job.forget_file()
    deleted, _ = ImportJob.objects.filter(pk__in=[job.pk for job in old]).delete()
    return f"{deleted} import records older than {KEEP_FOR.days} days removed"
