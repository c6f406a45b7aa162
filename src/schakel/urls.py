"""The site's URL map: each app contributes its own ``urls`` module."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from schakel.web import views as web_views

urlpatterns = [
    path("", include("schakel.partners.urls")),
    path("tasks/", include("schakel.tasks.urls")),
    path("notifications/", include("schakel.notifications.urls")),
    path("signals/", include("schakel.signals.urls")),
    path("health", web_views.health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("schakel.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
    # The Django admin is for platform superusers only (see partners.admin).
    path("admin/", admin.site.urls),
]
