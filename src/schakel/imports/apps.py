from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "schakel.imports"
    label = "imports"
    verbose_name = _("Imports")

    def ready(self) -> None:
        from schakel.imports import access, housekeeping
        from schakel.jobs.services import register_periodic_job

        access.register_resources()
        register_periodic_job("prune-imports", housekeeping.prune_old_imports)
