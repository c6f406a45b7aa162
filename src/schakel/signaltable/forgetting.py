"""Retention reaches the signal table: what the table wrote about signals goes once every
signal it was written about is forgotten.

A decision's rationale and correction reason, and the titles of its agreed actions, are free
text about a bundle of signals, and they often name the people in them ("Maria P. was seen
at ..."). The tasks that carry the actions out hold the same words, and what the partner wrote
back (its result, its notes). All of it goes in the transaction that forgets the last signal of
the decision that was still kept — deleted or anonymised, now or in an earlier run. While one
signal of the bundle is kept (held by an open case, or with a later date), the text stays: it
is that signal's record too, and its retention still stands.

What stays is the structure: the decision's meeting, outcome, the partner referred to, who
decided and when, the references of its signals, and each action's organisation, due date and
task (its status and dates). Statistics and the minutes' skeleton need them. The pages show
"(removed by retention on DATE)" where the text was. Decisions are append-only: this is the
documented exception (``Decision.forget_texts``), and it is audited as retention's other
anonymisations are.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.dispatch import receiver
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from schakel.audit import services as audit
from schakel.signals.events import signals_forgotten, signals_to_forget
from schakel.signals.models import Signal
from schakel.signaltable.models import Decision, DecisionAction, DecisionSignal
from schakel.tasks import services as tasks

DECISION = "signaltable.decision"
ACTION = "signaltable.decisionaction"
TASK = "tasks.task"


@receiver(signals_forgotten, sender=Signal)
def forget_when_signals_are(sender: type[Signal], ids: list[int], **kwargs: Any) -> dict[str, int]:
    return forget_texts(ids)


@receiver(signals_to_forget, sender=Signal)
def count_when_signals_would_be(
    sender: type[Signal], ids: QuerySet[Signal, dict[str, Any]], **kwargs: Any
) -> dict[str, int]:
    return _counts(decisions_left_without_kept_signals(ids))


def decisions_left_without_kept_signals(
    signal_ids: Iterable[int] | QuerySet[Signal, dict[str, Any]],
) -> list[int]:
    """The decisions about any of ``signal_ids`` whose every signal is forgotten once these
    are: each other signal was deleted (its link is empty) or anonymised. Those whose texts
    already went are left out. ``signal_ids`` may be a query of ids (a dry run's, which can
    be many): it is used as a subquery."""
    ids = signal_ids if isinstance(signal_ids, QuerySet) else list(signal_ids)
    still_kept = DecisionSignal.objects.filter(
        decision=OuterRef("pk"), signal__isnull=False, signal__anonymised_at__isnull=True
    ).exclude(signal_id__in=ids)
    return list(
        Decision.objects.filter(
            pk__in=DecisionSignal.objects.filter(signal_id__in=ids).values("decision_id"),
            texts_removed_at__isnull=True,
        )
        .exclude(Exists(still_kept))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def forget_texts(signal_ids: Iterable[int]) -> dict[str, int]:
    """Remove the texts of the decisions these signals leave without a kept signal, of their
    actions and of their tasks; audited. Returns the counts by object type. Called inside
    retention's transaction, before the signals go; a second call finds nothing."""
    decisions = Decision.forget_texts(decisions_left_without_kept_signals(signal_ids))
    if not decisions:
        return {}
    actions = list(
        DecisionAction.objects.filter(decision_id__in=decisions)
        .order_by("pk")
        .values_list("pk", "task_id")
    )
    audit.record_change(None, "retention_anonymise", DECISION, decisions)
    if actions:
        audit.record_change(None, "retention_anonymise", ACTION, [pk for pk, _task in actions])
    # Tasks are the organisations' records, read outside the table's pages: they keep a
    # stored marker (in the installation's language) as their title, which must not be empty.
    with translation.override(settings.LANGUAGE_CODE):
        marker = removed_marker(timezone.localdate())
    changed = tasks.forget_texts([task for _pk, task in actions if task is not None], marker=marker)
    return {DECISION: len(decisions), ACTION: len(actions), TASK: len(changed)}


def removed_marker(day: Any) -> str:
    """What stands where retention removed a text, in the active language."""
    return _("(removed by retention on %(date)s)") % {
        "date": formats.date_format(day, "SHORT_DATE_FORMAT")
    }


def _counts(decisions: list[int]) -> dict[str, int]:
    if not decisions:
        return {}
    actions = DecisionAction.objects.filter(decision_id__in=decisions)
    return {
        DECISION: len(decisions),
        ACTION: actions.count(),
        TASK: actions.filter(task__isnull=False).count(),
    }
