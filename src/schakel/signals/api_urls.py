from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from schakel.signals import api

router = SimpleRouter()
router.register("signals", api.SignalViewSet, basename="signal")

urlpatterns = [path("", include(router.urls))]
