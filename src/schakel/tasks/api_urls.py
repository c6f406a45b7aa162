from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from schakel.tasks import api

router = SimpleRouter()
router.register("tasks", api.TaskViewSet, basename="task")

urlpatterns = [path("", include(router.urls))]
