from __future__ import annotations

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "schakel.web"
    label = "web"
    verbose_name = "Schakel web shell"

    def ready(self) -> None:
        from django.conf import settings

        # The data directory holds the SQLite file, uploads and static files; create its
        # parts once at start-up so that no request finds a folder missing.
        for folder in (
            settings.DATA_DIR,
            settings.STATIC_ROOT,
            settings.SCHAKEL_AUDIT_CHECKPOINT_DIR,
        ):
            folder.mkdir(parents=True, exist_ok=True)
