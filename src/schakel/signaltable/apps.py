from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SignalTableConfig(AppConfig):
    name = "schakel.signaltable"
    label = "signaltable"
    verbose_name = _("Signal table")

    def ready(self) -> None:
        # Subscribes to forgotten signals: the table's texts about them go with the last one.
        from schakel.signaltable import access, forgetting  # noqa: F401

        access.register_resources()
