from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "schakel.audit"
    label = "audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from schakel.audit import protection, signals

        signals.connect()
        # SQLite's delete trigger calls a function that only Schakel's connections define.
        connection_created.connect(
            protection.on_connection_created, dispatch_uid="schakel.audit.sqlite_function"
        )
