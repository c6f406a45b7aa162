from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksConfig(AppConfig):
    name = "schakel.tasks"
    label = "tasks"
    verbose_name = _("Tasks")

    def ready(self) -> None:
        from schakel.tasks import access

        access.register_resources()
