"""The case timeline page: what happened to a case, oldest first, as far as the viewer may see
it; filtered by kind. A thin adapter over ``timeline``; 404 for whoever may not see the case.
The read is audited like the case page: one entry per request, with the case's purpose."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from schakel.audit import services as audit
from schakel.cases.timeline import KINDS, build_timeline, personal_ids
from schakel.cases.views import get_case_for_user


@login_required
@require_GET
def case_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request, pk)
    kind = request.GET.get("kind", "")
    if kind not in KINDS:
        kind = ""
    events = build_timeline(request.user, case).of_kind(kind or None)
    audit.record_read(request, "cases.case", [case.pk], purpose=case.purpose)
    for object_type, ids in personal_ids(events).items():
        audit.record_read(request, object_type, ids, purpose=case.purpose)
    return render(
        request,
        "cases/timeline.html",
        {"case": case, "events": events, "kinds": list(KINDS.items()), "kind": kind},
    )
