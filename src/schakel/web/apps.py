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

        from django.contrib import admin
        from rest_framework.authtoken.models import TokenProxy

        from schakel.jobs.services import register_periodic_job
        from schakel.web import checks  # noqa: F401 - registers the database check
        from schakel.web.idempotency import forget_expired_keys

        register_periodic_job("expire-idempotency-keys", forget_expired_keys)
        # API tokens are shown once, to their owner; the admin would list every user's key.
        if admin.site.is_registered(TokenProxy):
            admin.site.unregister(TokenProxy)
