from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "schakel.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from schakel.notifications import access

        access.register_resources()
