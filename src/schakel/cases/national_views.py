"""The national view's page: the figures per region (``national``) and, below them, the cases
the user may see under the matrix. A thin adapter; not an object page, so a signed-in user
whom the matrix does not let oversee gets 403 (there is no record whose existence to hide)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from schakel.cases import national, services
from schakel.cases.vocabulary import CaseStatus, PlanStatus


@login_required
def national_overview(request: HttpRequest) -> HttpResponse:
    if not national.may_oversee(request.user):
        raise PermissionDenied
    overview = national.national_overview(request.user)
    cases = services.visible_cases(request.user).order_by("-opened_at", "-pk")
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/national.html",
        {
            "overview": overview,
            "case_statuses": CaseStatus.choices,
            "plan_statuses": PlanStatus.choices,
            "page": page,
        },
    )
