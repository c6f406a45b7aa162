from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "schakel.partners"
    label = "partners"
    verbose_name = _("Partners")

    def ready(self) -> None:
        from schakel.partners import access, signals  # noqa: F401 - registration side effects

        access.register_resources()
