from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SignalsConfig(AppConfig):
    name = "schakel.signals"
    label = "signals"
    verbose_name = _("Signals")

    def ready(self) -> None:
        from schakel.signals import access, alerts  # noqa: F401 - alerts subscribe to intake

        access.register_resources()
