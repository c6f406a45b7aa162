"""Retention of signals: a date per signal from the reviewed policy, holds placed by contexts
above (an open case), and the job that deletes or anonymises what expired.

Contexts above call ``record_outcome`` when the signal table decides, and ``place_hold`` /
``release_hold`` while they need a signal; signals never import them. What they copied out of
a signal they remove when it is told them (``events.signals_forgotten``), and a dry run asks
them what they would remove (``events.signals_to_forget``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from schakel.audit import services as audit
from schakel.signals import attachments as attachment_store
from schakel.signals.bulk.rows import CONTENT_KEY_PREFIX
from schakel.signals.events import signals_forgotten, signals_to_forget
from schakel.signals.models import PENDING, Attachment, BandDecision, Signal
from schakel.signals.models import RetentionHold as Hold
from schakel.signals.rules import retention as policy


def initial_retention(received: date) -> date:
    return policy.current().keep_until(PENDING, received)


@transaction.atomic
def record_outcome(signal: Signal, outcome: str, *, since: date | None = None) -> date:
    """The signal table decided: the signal is kept per that outcome from ``since``."""
    signal.retention_until = policy.current().keep_until(outcome, since or timezone.localdate())
    signal.retention_outcome = outcome
    signal.save(update_fields=["retention_until", "retention_outcome"])
    audit.record_change(
        None,
        "retention_outcome",
        "signals.signal",
        [signal.pk],
        details={"outcome": outcome, "until": signal.retention_until.isoformat()},
    )
    return signal.retention_until


def place_hold(signal: Signal, held_by: str, reason: str) -> Hold:
    hold, _ = Hold.objects.get_or_create(
        signal=signal, held_by=held_by, released_at=None, defaults={"reason": reason}
    )
    return hold


def release_hold(signal: Signal, held_by: str) -> int:
    return Hold.objects.filter(signal=signal, held_by=held_by, released_at=None).update(
        released_at=timezone.now()
    )


def expired(today: date | None = None) -> QuerySet[Signal]:
    """Signals past their date, not held, not yet anonymised."""
    today = today or timezone.localdate()
    active_hold = Hold.objects.filter(signal=OuterRef("pk"), released_at__isnull=True)
    return (
        Signal.objects.filter(retention_until__lt=today, anonymised_at__isnull=True)
        .exclude(Exists(active_hold))
        .order_by("pk")
    )


@dataclass
class RetentionRun:
    deleted: list[int] = field(default_factory=list)
    anonymised: list[int] = field(default_factory=list)
    held: int = 0
    # What the contexts above removed (or, in a dry run, would remove) with the signals,
    # by object type: {"signaltable.decision": 2, "tasks.task": 3, ...}.
    cleared: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return len(self.deleted) + len(self.anonymised)


def _action_for(signal: Signal) -> str:
    """Delete or anonymise, per the outcome that set the date. An outcome since removed from
    the policy is anonymised: the conservative choice keeps the facts for statistics."""
    outcomes = policy.current().outcomes
    outcome = outcomes.get(signal.retention_outcome)
    return outcome.action if outcome is not None else "anonymise"


def _anonymise(signal: Signal) -> list[int]:
    """Remove what may identify someone; keep the facts (dates, place, indicators, bands).
    Returns the ids of the band decisions whose reason went."""
    files = list(signal.attachments.all())
    # Relations and payments name persons, companies and accounts: they go with them.
    signal.relations.all().delete()
    signal.payments.all().delete()
    signal.persons.all().delete()
    signal.identifiers.all().delete()
    signal.addresses.all().delete()
    signal.companies.all().delete()
    signal.attachments.all().delete()
    signal.description = ""
    signal.submitted_by = None
    # A row imported without its own id is known by a hash of its cells, names and numbers
    # included: unsalted, it confirms a guessed row. It goes; the import stays idempotent
    # for what is kept (a file imported again after this writes the row anew, as new). A
    # partner's own external_id stays: it is their record's number, not its content.
    if signal.source_key.startswith(CONTENT_KEY_PREFIX):
        signal.source_key = ""
    signal.anonymised_at = timezone.now()
    signal.save(update_fields=["description", "submitted_by", "source_key", "anonymised_at"])
    reasons = BandDecision.forget_reasons(signal)
    _remove_unused_files(files)
    return reasons


def _remove_unused_files(files: list[Attachment]) -> None:
    for attachment in files:
        if not Attachment.objects.filter(stored_name=attachment.stored_name).exists():
            attachment_store.path_for(attachment).unlink(missing_ok=True)


def _add_counts(run: RetentionRun, responses: list[tuple[Any, Any]]) -> None:
    for _receiver, counts in responses:
        if isinstance(counts, Mapping):
            run.cleared.update(counts)


def batches(queryset: QuerySet[Signal], size: int = 500) -> Iterator[list[int]]:
    """The ids of ``queryset``, ``size`` at a time."""
    ids = list(queryset.values_list("pk", flat=True))
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def apply_retention(
    *,
    today: date | None = None,
    dry_run: bool = True,
    progress: Any = None,
    batch_size: int = 500,
) -> RetentionRun:
    """Delete or anonymise what expired and is not held. Safe to run again: what was done
    is not found a second time. A dry run changes nothing and reports what would happen.
    Each batch is read again in its own transaction, locked: a hold placed (a case opened)
    or an anonymisation done by another run since the list was made is respected."""
    today = today or timezone.localdate()
    run = RetentionRun()
    run.held = (
        Signal.objects.filter(retention_until__lt=today, anonymised_at__isnull=True)
        .filter(retention_holds__released_at__isnull=True, retention_holds__isnull=False)
        .distinct()
        .count()
    )
    if dry_run:
        _add_counts(
            run,
            # A query, not a list: a first run may find a great many.
            signals_to_forget.send(sender=Signal, ids=expired(today).values("pk")),
        )
    for ids in batches(expired(today), batch_size):
        deleted: list[int] = []
        anonymised: list[int] = []
        reasons: list[int] = []
        with transaction.atomic():
            batch = list(expired(today).filter(pk__in=ids).select_for_update(of=("self",)))
            if not dry_run:
                _add_counts(
                    run,
                    signals_forgotten.send(sender=Signal, ids=[signal.pk for signal in batch]),
                )
            for signal in batch:
                if _action_for(signal) == "delete":
                    deleted.append(signal.pk)
                    if not dry_run:
                        files = list(signal.attachments.all())
                        signal.delete()
                        _remove_unused_files(files)
                else:
                    anonymised.append(signal.pk)
                    if not dry_run:
                        reasons += _anonymise(signal)
            run.deleted += deleted
            run.anonymised += anonymised
            if not dry_run:
                if deleted:
                    audit.record_change(None, "retention_delete", "signals.signal", deleted)
                if anonymised:
                    audit.record_change(None, "retention_anonymise", "signals.signal", anonymised)
                if reasons:
                    audit.record_change(
                        None, "retention_anonymise", "signals.banddecision", reasons
                    )
        if progress is not None:
            progress(len(ids))
    return run
