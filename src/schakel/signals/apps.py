from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class SignalsConfig(AppConfig):
    name = "schakel.signals"
    label = "signals"
    verbose_name = _("Signals")

    def ready(self) -> None:
        from schakel.signals import access, alerts  # noqa: F401 - alerts subscribe to intake

        access.register_resources()
        # Emptying the database (``flush``, which resets its sequences) or migrating it in
        # this process: keys taken ahead before may be handed out again by the sequences.
        post_migrate.connect(_forget_spare_ids, dispatch_uid="schakel.rows.spare_ids")


def _forget_spare_ids(**_kwargs: object) -> None:
    from schakel.rows import forget_spare_ids

    forget_spare_ids()
