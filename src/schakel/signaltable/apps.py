from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SignalTableConfig(AppConfig):
    name = "schakel.signaltable"
    label = "signaltable"
    verbose_name = _("Signal table")

    def ready(self) -> None:
        from schakel.signaltable import access

        access.register_resources()
