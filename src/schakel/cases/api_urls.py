from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from schakel.cases import api

router = SimpleRouter()
router.register("cases", api.CaseViewSet, basename="case")

urlpatterns = [path("", include(router.urls))]
