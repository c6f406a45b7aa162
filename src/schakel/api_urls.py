"""The REST API: every app registers its endpoints here under /api/."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("", include("schakel.partners.api_urls")),
    path("", include("schakel.tasks.api_urls")),
]
