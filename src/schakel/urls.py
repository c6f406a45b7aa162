"""The site's URL map: each app contributes its own ``urls`` module."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularJSONAPIView,
    SpectacularSwaggerView,
)

from schakel import api_urls
from schakel.web import views as web_views
from schakel.web.api import V1_NAMESPACE

# Under /api/ an unknown address or a server error is answered in the API's JSON error shape;
# the pages keep Django's HTML answers.
handler404 = "schakel.web.views.page_not_found"
handler500 = "schakel.web.views.server_error"

# The API, version 1, and the unversioned paths kept for the clients of before v1. Each has
# its own OpenAPI document describing exactly its own paths.
API_V1 = [path("api/v1/", include("schakel.api_urls", namespace=V1_NAMESPACE))]
API_BEFORE_V1 = [path("api/", include(api_urls.BEFORE_V1))]

# The API first: an integration's request is resolved without trying every page's pattern
# before it (the paths do not overlap, so the order changes nothing else).
urlpatterns = [
    path(
        "api/v1/openapi.json",
        SpectacularJSONAPIView.as_view(patterns=API_V1),
        name="api_v1_openapi",
    ),
    path(
        "api/v1/docs/",
        SpectacularSwaggerView.as_view(url_name="api_v1_openapi"),
        name="api_v1_docs",
    ),
    *API_V1,
    path("api/schema/", SpectacularAPIView.as_view(patterns=API_BEFORE_V1), name="api_schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
    *API_BEFORE_V1,
    path("", include("schakel.partners.urls")),
    path("tasks/", include("schakel.tasks.urls")),
    path("signals/", include("schakel.signals.urls")),
    path("tables/", include("schakel.signaltable.urls")),
    path("cases/", include("schakel.cases.urls")),
    path("entities/", include("schakel.entities.urls")),
    path("notifications/", include("schakel.notifications.urls")),
    path("health", web_views.health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    # The Django admin is for platform superusers only (see partners.admin).
    path("admin/", admin.site.urls),
]
