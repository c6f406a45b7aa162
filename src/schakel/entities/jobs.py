"""Background work of the entities context: intake never waits for it."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import receiver
from django_tasks import task

from schakel.entities.services import RESOLVE_BATCH
from schakel.jobs.backend import enqueue_held, finish_along, queued_along
from schakel.signals.events import signals_written
from schakel.signals.models import Signal


@task()
def resolve_signal_mentions(signal_ids: list[int]) -> int:
    """Make the mentions of committed signals, resolve them and match their people against
    the entities known (with the last batch run's model, if there is one), in one
    transaction; safe to run again. The jobs queued behind this one are taken along, up to
    ``RESOLVE_BATCH`` signals in all, and finished with it: under load a job does a batch
    (its candidates found and scored together) and the queue does not grow. Returns the
    number of mentions made."""
    from schakel.entities.matching import resolve_and_match

    with transaction.atomic():
        along = queued_along(
            resolve_signal_mentions,
            room=RESOLVE_BATCH - len(signal_ids),
            size=lambda args: len(args[0]),
        )
        ids = [*signal_ids, *(pk for job in along for pk in job.args_kwargs["args"][0])]
        made = len(resolve_and_match(ids))
        # Each job taken along answers with the count of the batch it was done in.
        finish_along(along, made)
    return made


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
