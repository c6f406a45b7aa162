from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "schakel.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        # Subscribes to the signal table's decisions.
        from schakel.cases import access, escalation, following, holds, reflection, subscribers
        from schakel.jobs.services import register_periodic_job

        access.register_resources()
        register_periodic_job("reflection-reminders", reflection.run_reflection_reminders)
        register_periodic_job("cases-from-decisions", subscribers.open_missing_cases)
        register_periodic_job("plan-escalations", escalation.run_plan_escalations)
        register_periodic_job("transfer-holds", holds.run_transfer_holds)
        register_periodic_job("plan-follow-entities", following.run_plan_follow_entities)
