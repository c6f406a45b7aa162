from __future__ import annotations

from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "schakel.access"
    label = "access"
    verbose_name = "Schakel access policy"

    def ready(self) -> None:
        from schakel.access import checks, matrix  # noqa: F401 - registers the system check

        # Load and validate at start-up, so a broken matrix stops the process here.
        matrix.current()
