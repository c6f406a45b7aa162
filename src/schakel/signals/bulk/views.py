"""Import pages: upload, progress (polled with htmx), the validation report of a refused
file, the result of an import, and the template and report downloads."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods
from django_tasks.base import TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist

from schakel.access import policy
from schakel.imports.models import ImportJob
from schakel.partners.models import User
from schakel.signals.bulk import template
from schakel.signals.bulk.access import get_import_for_user, may_import
from schakel.signals.bulk.columns import COLUMNS
from schakel.signals.bulk.forms import ImportForm
from schakel.signals.bulk.jobs import run_import, start_import
from schakel.signals.bulk.reading import MAX_BYTES, MAX_ROWS
from schakel.signals.bulk.service import ImportOutcome
from schakel.signals.sharing import defaults_for, who_will_see

#: How many created references and problems a page lists (the download has all problems).
SHOWN_ON_PAGE = 500


def _importer(request: HttpRequest) -> User:
    if not may_import(request.user):
        # Signed in, but not someone who records signals in bulk: say so (403), as the
        # page reveals nothing about any record.
        raise PermissionDenied
    user: User = request.user  # type: ignore[assignment]
    return user


def _download(content: bytes, kind: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=template.CONTENT_TYPES[kind])
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    user = _importer(request)
    owner = user.organisation
    assert owner is not None
    form = ImportForm(request.POST or None, request.FILES or None, owner=owner)
    if request.method == "POST" and form.is_valid():
        job = start_import(
            form.cleaned_data["file"],
            user=user,
            defaults=form.defaults(),
            dry_run=form.cleaned_data["dry_run"],
            language=get_language() or "nl",
        )
        return redirect("signal_import_progress", job_id=job.pk)
    recent = policy.visible(user, ImportJob.objects.select_related("created_by")).order_by(
        "-created_at"
    )[:10]
    defaults = defaults_for(owner)
    audience = who_will_see(
        owner, tlp=defaults.tlp, purpose=defaults.purpose, groups=defaults.groups
    )
    return render(
        request,
        "signals/bulk/upload.html",
        {
            "form": form,
            "audience": audience,
            "columns": COLUMNS,
            "recent": recent,
            "max_mb": MAX_BYTES // 1024 // 1024,
            "max_rows": MAX_ROWS,
        },
    )


@login_required
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    _importer(request)
    if kind not in template.CONTENT_TYPES:
        raise Http404
    return _download(template.template_file(kind), kind, "schakel-import-template")


def _task_failed(job: ImportJob) -> bool:
    """The worker gave up on the job without recording it (e.g. it was stopped)."""
    if not job.task_id or job.is_finished:
        return False
    try:
        status = run_import.get_result(job.task_id).status
    except TaskResultDoesNotExist:
        return False
    return status == TaskResultStatus.FAILED


def _finished_url(job: ImportJob) -> str:
    name = "signal_import_result" if job.status == ImportJob.Status.DONE else "signal_import_report"
    return reverse(name, kwargs={"job_id": job.pk})


@login_required
def import_progress(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    job = get_import_for_user(request.user, job_id)
    failed = _task_failed(job)
    if job.is_finished and job.status != ImportJob.Status.FAILED:
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = _finished_url(job)
            return response
        return redirect(_finished_url(job))
    context: dict[str, Any] = {
        "job": job,
        "failed": failed or job.status == ImportJob.Status.FAILED,
    }
    if getattr(request, "htmx", False):
        return render(request, "signals/bulk/_progress.html", context)
    return render(request, "signals/bulk/progress.html", context)


def _outcome(job: ImportJob) -> ImportOutcome:
    return ImportOutcome.from_dict(job.outcome or {"file_name": job.file_name})


@login_required
def import_report(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    job = get_import_for_user(request.user, job_id)
    if not job.is_finished:
        return redirect("signal_import_progress", job_id=job.pk)
    outcome = _outcome(job)
    return render(
        request,
        "signals/bulk/report.html",
        {
            "job": job,
            "outcome": outcome,
            "problems": outcome.problems[:SHOWN_ON_PAGE],
            "more_problems": max(0, outcome.problem_count - SHOWN_ON_PAGE),
            "stored_problems": len(outcome.problems),
            "problem_total": outcome.problem_count + len(outcome.file_problems),
        },
    )


@login_required
def import_report_download(request: HttpRequest, job_id: uuid.UUID, kind: str) -> HttpResponse:
    job = get_import_for_user(request.user, job_id)
    if kind not in template.CONTENT_TYPES or not job.is_finished:
        raise Http404
    outcome = _outcome(job)
    content = template.report_file(kind, outcome.problems, outcome.file_problems)
    return _download(content, kind, "schakel-import-problems")


@login_required
def import_result(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    job = get_import_for_user(request.user, job_id)
    if job.status != ImportJob.Status.DONE:
        return redirect("signal_import_progress", job_id=job.pk)
    outcome = _outcome(job)
    return render(
        request,
        "signals/bulk/result.html",
        {
            "job": job,
            "outcome": outcome,
            "created": outcome.created[:SHOWN_ON_PAGE],
            "created_count": job.outcome.get("created_count", len(outcome.created)),
            "skipped": outcome.skipped[:SHOWN_ON_PAGE],
            "skipped_count": job.outcome.get("skipped_count", len(outcome.skipped)),
        },
    )
