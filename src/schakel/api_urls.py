"""The REST API, version 1: every app registers its endpoints here.

``schakel.urls`` serves these under /api/v1/ (namespace ``v1``). The endpoints that existed
before the API had versions (``BEFORE_V1``) are served under /api/ as well, unchanged, for
the clients written against them; new endpoints are in v1 only.
"""

from __future__ import annotations

from django.urls import include, path

BEFORE_V1 = [
    path("", include("schakel.partners.api_urls")),
    path("", include("schakel.tasks.api_urls")),
]

app_name = "api"
# Signals first: intake is the busiest path, and no other endpoint's address overlaps them.
urlpatterns = [
    path("", include("schakel.signals.api_urls")),
    *BEFORE_V1,
    path("", include("schakel.entities.api_urls")),
    path("", include("schakel.cases.api_urls")),
]
