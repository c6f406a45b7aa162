"""The case summary for the case conference: a printable page and its PDF. Thin adapters over
``summary``; 404 for whoever may not see the case, for the PDF too. Both are audited like the
case page: one entry per request, listing what it shows, with the case's purpose."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from schakel.audit import services as audit
from schakel.cases.models import Case
from schakel.cases.summary import build_summary, render_pdf
from schakel.cases.views import get_case_for_user


def _summary_context(request: HttpRequest, case: Case) -> dict[str, Any]:
    summary = build_summary(request.user, case)
    audit.record_read(request, "cases.case", [case.pk], purpose=case.purpose)
    for object_type, ids in summary.personal_ids.items():
        audit.record_read(request, object_type, ids, purpose=case.purpose)
    return {"case": case, "summary": summary}


@login_required
@require_GET
def case_summary(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request, pk)
    return render(request, "cases/summary.html", _summary_context(request, case))


def summary_html(request: HttpRequest, case: Case) -> str:
    """The self-contained HTML the PDF is made of, for the requesting user."""
    return render_to_string(
        "cases/summary_pdf.html", _summary_context(request, case), request=request
    )


@login_required
@require_GET
def case_summary_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request, pk)
    pdf = render_pdf(summary_html(request, case))
    response = HttpResponse(pdf, content_type="application/pdf")
    # The case's reference and the day only: no personal data in a file name.
    stamp = timezone.localdate().isoformat()
    filename = f"case-summary-{case.reference}-{stamp}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A per-reader document with personal data: never kept by a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response
