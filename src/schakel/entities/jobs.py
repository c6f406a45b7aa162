"""Background work of the entities context: intake never waits for it."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from django_tasks import task

from schakel.entities.services import resolve_signals
from schakel.signals.events import signals_committed
from schakel.signals.models import Signal


@task()
def resolve_signal_mentions(signal_ids: list[int]) -> int:
    """Make the mentions of committed signals and resolve them; safe to run again."""
    return resolve_signals(signal_ids)


@receiver(signals_committed, sender=Signal)
def resolve_when_committed(sender: type[Signal], records: list[Signal], **kwargs: Any) -> None:
    # One job per written batch: one for an API request, 200 for a 100,000-row import.
    resolve_signal_mentions.enqueue([record.pk for record in records])
