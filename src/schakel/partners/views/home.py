"""The home page: who I am, where, whom to call, and which tables my organisation sits at."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from schakel.audit import services as audit
from schakel.partners import services
from schakel.partners.models import User
from schakel.partners.vocabulary import Role


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    summary = services.home_summary(user)
    # Contact names are personal data (of professionals): their display is audited.
    audit.record_read(
        request, "partners.regioncontact", [c.pk for c in summary.contacts], purpose="guidance"
    )
    roles = user.roles
    return render(
        request,
        "partners/home.html",
        {
            "summary": summary,
            "roles": [Role(r) for r in sorted(roles)],
            "is_front_desk_only": roles == {Role.FRONT_DESK},
            "is_org_admin": Role.ORG_ADMIN in roles,
            "is_national": Role.NATIONAL_COORDINATOR in roles,
        },
    )
