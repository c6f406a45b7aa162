"""Background work of the entities context: intake never waits for it."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from django_tasks import task

from schakel.entities.services import waiting_signals
from schakel.jobs.backend import enqueue_held
from schakel.signals.events import signals_written
from schakel.signals.models import Signal


@task()
def resolve_signal_mentions(signal_ids: list[int]) -> int:
    """Make the mentions of committed signals, resolve them and match their people against
    the entities known (with the last batch run's model, if there is one), in one
    transaction; safe to run again. Signals still waiting for their own jobs are taken along
    (``waiting_signals``): under load a job does a batch (its candidates found and scored
    together), and the jobs that follow find theirs done. Returns the number of mentions
    made."""
    from schakel.entities.matching import resolve_and_match

    return len(resolve_and_match([*signal_ids, *waiting_signals(besides=signal_ids)]))


@task()
def run_linkage_job(schema: str, threshold: float | None = None) -> str:
    """A batch linkage run in the worker (``schakel link --in-worker``)."""
    from schakel.entities.linking import run_linkage

    run = run_linkage(schema, threshold=threshold)
    return f"{run.schema} {run.status}: {run.counts}"


@receiver(signals_written, sender=Signal)
def resolve_when_written(sender: type[Signal], records: list[Signal], **kwargs: Any) -> None:
    # Queued in the transaction that writes the signals: the job commits with them (no
    # committed signal without its job, even if the process dies right after the commit)
    # and costs the intake no second transaction. One job per written batch: one for an API
    # request, 200 for a 100,000-row import.
    enqueue_held(
        resolve_signal_mentions, kwargs.get("statements"), [record.pk for record in records]
    )
