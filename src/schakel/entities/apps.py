from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EntitiesConfig(AppConfig):
    name = "schakel.entities"
    label = "entities"
    verbose_name = _("Entities")

    def ready(self) -> None:
        # Subscribes to committed signals (their mentions are resolved in the worker) and to
        # forgotten ones (their mentions go with them).
        from schakel.entities import access, forgetting, jobs  # noqa: F401

        access.register_resources()
        from schakel.entities.views import signal_panel
        from schakel.signals import panels

        panels.register(signal_panel)
        from schakel.entities.exports import prune_old_exports
        from schakel.jobs.services import register_periodic_job

        register_periodic_job("prune-entity-exports", prune_old_exports)
