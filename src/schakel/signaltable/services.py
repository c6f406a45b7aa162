"""Service functions of the signal table: tables, meetings, decisions and their actions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.dispatch import Signal as Event
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from schakel.access import policy
from schakel.audit import services as audit
from schakel.errors import Conflict, InvalidFields, InvalidInput, NotAllowed
from schakel.partners.models import Organisation, SharingGroup, User
from schakel.signals import retention
from schakel.signals.models import Band, Signal
from schakel.signaltable.agenda import awaiting_decision, proposed_signals
from schakel.signaltable.models import (
    Decision,
    DecisionAction,
    DecisionSignal,
    Meeting,
    Outcome,
)
from schakel.tasks.models import Priority
from schakel.tasks.services import create_task

#: Sent after the transaction that records a decision commits:
#: ``table_decision_recorded.send(sender=Decision, decision=...)``. A correction is sent the
#: same way; its ``supersedes`` names the decision it replaces. ``cases`` and the retention
#: job subscribe; the table never waits for them.
table_decision_recorded = Event()

STATUS_ORDER = [Meeting.Status.PLANNED, Meeting.Status.HELD, Meeting.Status.CLOSED]


# --- Tables --------------------------------------------------------------------------------


def tables_for(user: Any) -> list[SharingGroup]:
    """The sharing groups whose table ``user`` may follow (see its meetings), by name."""
    viewer = policy.viewer_for(user)
    if viewer.is_anonymous:
        return []
    around = Q(pk__in=sorted(viewer.group_ids)) | Q(chair_users=viewer.user_id)
    if viewer.organisation_id is not None:
        around |= Q(chair_organisation_id=viewer.organisation_id)
    groups = (
        SharingGroup.objects.filter(around)
        .distinct()
        .select_related("region", "chair_organisation")
        .prefetch_related("chair_users")
        .order_by("name")
    )
    # One rule set: a table is followed by whoever may view its meetings.
    return [g for g in groups if policy.can(user, "view", Meeting(group=g))]


def get_table_for_user(user: Any, pk: int) -> SharingGroup:
    for group in tables_for(user):
        if group.pk == pk:
            return group
    raise Http404


def can_chair(user: Any, group: SharingGroup) -> bool:
    return policy.can(user, "manage", Meeting(group=group))


def visible_meetings(user: Any) -> QuerySet[Meeting]:
    return policy.visible(user, Meeting.objects.all()).select_related("group")


# --- Meetings ------------------------------------------------------------------------------


@transaction.atomic
def create_meeting(
    group: SharingGroup,
    *,
    starts_at: datetime,
    location: str = "",
    actor: User,
    request: Any = None,
) -> Meeting:
    meeting = Meeting(group=group, starts_at=starts_at, location=location.strip(), created_by=actor)
    if not policy.can(actor, "manage", meeting):
        raise NotAllowed(_("Only the chairs of this signal table plan its meetings."))
    meeting.save()
    audit.record_change(
        request,
        "create",
        "signaltable.meeting",
        [meeting.pk],
        actor=actor,
        details={"group": group.pk},
    )
    return meeting


@transaction.atomic
def update_meeting(
    meeting: Meeting,
    *,
    status: str,
    location: str,
    present_organisations: Sequence[Organisation],
    actor: User,
    request: Any = None,
) -> Meeting:
    """Record who came and how far the meeting is: planned → held → closed, never back."""
    if not policy.can(actor, "manage", meeting):
        raise NotAllowed()
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if locked.is_closed:
        raise Conflict(_("This meeting is closed; its minutes no longer change."))
    if status not in Meeting.Status.values:
        raise InvalidInput(_("Unknown status."), field="status")
    if STATUS_ORDER.index(Meeting.Status(status)) < STATUS_ORDER.index(
        Meeting.Status(locked.status)
    ):
        raise InvalidInput(_("A meeting's status cannot go back."), field="status")
    members = set(locked.group.members.values_list("pk", flat=True))
    strangers = [o for o in present_organisations if o.pk not in members]
    if strangers:
        raise InvalidInput(
            _("Only member organisations of the table can be present."),
            field="present_organisations",
        )
    locked.status = status
    locked.location = location.strip()
    locked.save(update_fields=["status", "location"])
    locked.present_organisations.set(present_organisations)
    audit.record_change(
        request,
        "update",
        "signaltable.meeting",
        [locked.pk],
        actor=actor,
        details={"status": status, "present": sorted(o.pk for o in present_organisations)},
    )
    return locked


# --- Decisions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionInput:
    """An action the table agrees for one organisation; it becomes that organisation's task."""

    organisation: Organisation
    title: str
    due_date: date | None = None
    description: str = ""


def _check_decision(
    meeting: Meeting,
    *,
    outcome: str,
    rationale: str,
    refer_to: Organisation | None,
    actions: Sequence[ActionInput],
) -> None:
    problems: dict[str, list[Any]] = {}
    if outcome not in Outcome.values:
        problems.setdefault("outcome", []).append(_("Choose an outcome."))
    if outcome == Outcome.REFER and refer_to is None:
        problems.setdefault("refer_to", []).append(_("Name the partner the bundle goes to."))
    if not rationale.strip():
        problems.setdefault("rationale", []).append(_("Say why the table decides this."))
    allowed = set(meeting.group.members.values_list("pk", flat=True))
    if refer_to is not None:
        allowed.add(refer_to.pk)
    for index, action in enumerate(actions):
        if not action.title.strip():
            problems.setdefault(f"actions[{index}].title", []).append(
                _("Say what the organisation will do.")
            )
        if action.organisation.pk not in allowed:
            problems.setdefault(f"actions[{index}].organisation", []).append(
                _("Actions go to organisations at the table or to the partner referred to.")
            )
    if problems:
        raise InvalidFields(problems)


def _write_decision(
    meeting: Meeting,
    signals: Sequence[Signal],
    *,
    outcome: str,
    rationale: str,
    refer_to: Organisation | None,
    actions: Sequence[ActionInput],
    actor: User,
    request: Any,
    supersedes: Decision | None = None,
    correction_reason: str = "",
) -> Decision:
    decision = Decision.objects.create(
        meeting=meeting,
        outcome=outcome,
        refer_to=refer_to if outcome == Outcome.REFER else None,
        rationale=rationale.strip(),
        supersedes=supersedes,
        correction_reason=correction_reason.strip(),
        decided_by=actor,
    )
    DecisionSignal.objects.bulk_create(
        [DecisionSignal(decision=decision, signal=s, reference=s.reference) for s in signals]
    )
    # Each signal is kept per the outcome from today (the reviewed retention policy), in the
    # same transaction: a decision never stands without its retention date.
    decided_on = timezone.localdate(decision.decided_at)
    for signal in signals:
        retention.record_outcome(signal, outcome, since=decided_on)
    urgent = any(s.band == Band.URGENT for s in signals)
    context = _("From the signal table %(table)s, meeting of %(date)s: %(outcome)s.") % {
        "table": meeting.group.name,
        "date": timezone.localtime(meeting.starts_at).strftime("%d-%m-%Y"),
        "outcome": decision.get_outcome_display(),
    }
    for action in actions:
        # Signal references stay out of the task: the owner organisation may not see every
        # signal; the meeting's minutes show it what it may.
        task = create_task(
            action.organisation,
            action.title,
            description="\n\n".join(p for p in (context, action.description.strip()) if p),
            due_date=action.due_date,
            priority=Priority.HIGH if urgent else Priority.NORMAL,
            subject=decision,
            created_by=actor,
            request=request,
        )
        DecisionAction.objects.create(
            decision=decision,
            organisation=action.organisation,
            title=action.title.strip(),
            due_date=action.due_date,
            task=task,
        )
    audit.record_change(
        request,
        "correct" if supersedes else "decide",
        "signaltable.decision",
        [decision.pk],
        actor=actor,
        details={
            "meeting": meeting.pk,
            "outcome": outcome,
            "signals": [s.pk for s in signals],
            "actions": len(actions),
            **({"supersedes": supersedes.pk} if supersedes else {}),
        },
    )
    transaction.on_commit(lambda: table_decision_recorded.send(sender=Decision, decision=decision))
    return decision


@transaction.atomic
def record_decision(
    meeting: Meeting,
    signal_ids: Sequence[int],
    *,
    outcome: str,
    rationale: str,
    refer_to: Organisation | None = None,
    actions: Sequence[ActionInput] = (),
    actor: User,
    request: Any = None,
) -> Decision:
    """The chair records what the table decided about a bundle of signals on its agenda."""
    if not policy.can(actor, "manage", meeting):
        raise NotAllowed(_("Only the chairs of this signal table record its decisions."))
    if meeting.is_closed:
        raise Conflict(_("This meeting is closed; record the decision in an open meeting."))
    ids = sorted(set(signal_ids))
    if not ids:
        raise InvalidInput(_("Choose the signals the decision is about."), field="signals")
    _check_decision(
        meeting, outcome=outcome, rationale=rationale, refer_to=refer_to, actions=actions
    )
    # Lock the signals so that two chairs deciding the same bundle at once cannot both succeed.
    locked = list(Signal.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    on_agenda = set(
        proposed_signals(meeting.group, actor).filter(pk__in=ids).values_list("pk", flat=True)
    )
    if len(locked) != len(ids) or on_agenda != set(ids):
        raise Conflict(
            _("Some of these signals are no longer on the agenda (decided meanwhile?); reload.")
        )
    return _write_decision(
        meeting,
        locked,
        outcome=outcome,
        rationale=rationale,
        refer_to=refer_to,
        actions=actions,
        actor=actor,
        request=request,
    )


@transaction.atomic
def correct_decision(
    decision: Decision,
    *,
    outcome: str,
    rationale: str,
    reason: str,
    refer_to: Organisation | None = None,
    actions: Sequence[ActionInput] = (),
    actor: User,
    request: Any = None,
) -> Decision:
    """A correction: a new decision about the same signals that supersedes ``decision``.

    The earlier decision and its tasks stay as they were (tasks belong to their organisations,
    who close them); the minutes show both, the earlier one marked as corrected.
    """
    meeting = decision.meeting
    if not policy.can(actor, "manage", meeting):
        raise NotAllowed(_("Only the chairs of this signal table correct its decisions."))
    if not reason.strip():
        raise InvalidInput(_("Say why the decision is corrected."), field="reason")
    _check_decision(
        meeting, outcome=outcome, rationale=rationale, refer_to=refer_to, actions=actions
    )
    locked = Decision.objects.select_for_update().get(pk=decision.pk)
    if Decision.objects.filter(supersedes=locked).exists():
        raise Conflict(_("This decision has been corrected already; correct the newest one."))
    signals = list(
        Signal.objects.filter(table_decision_links__decision=locked).order_by("pk").distinct()
    )
    return _write_decision(
        meeting,
        signals,
        outcome=outcome,
        rationale=rationale,
        refer_to=refer_to,
        actions=actions,
        actor=actor,
        request=request,
        supersedes=locked,
        correction_reason=reason,
    )


def decisions_with_details() -> QuerySet[Decision]:
    return Decision.objects.select_related(
        "meeting", "meeting__group", "refer_to", "decided_by", "supersedes", "superseded_by"
    ).prefetch_related(
        "signal_links",
        Prefetch("actions", queryset=DecisionAction.objects.select_related("organisation", "task")),
    )


def current_decisions(queryset: QuerySet[Decision] | None = None) -> QuerySet[Decision]:
    """Decisions that no correction has replaced."""
    queryset = queryset if queryset is not None else Decision.objects.all()
    return queryset.filter(superseded_by__isnull=True)


def table_decisions(group: SharingGroup) -> QuerySet[Decision]:
    """Every decision of a table, newest first, corrections and corrected ones alike."""
    return decisions_with_details().filter(meeting__group=group).order_by("-decided_at", "-pk")


def recent_decisions_for(user: Any, *, days: int = 30) -> QuerySet[Decision]:
    """What the user's tables decided in the last ``days`` days, newest first."""
    since = timezone.now() - timedelta(days=days)
    meetings = visible_meetings(user).values("pk")
    return (
        decisions_with_details()
        .filter(meeting__in=meetings, decided_at__gte=since)
        .order_by("-decided_at", "-pk")
    )


def open_signals_of(user: User) -> QuerySet[Signal]:
    """The organisation's own signals waiting for a table: discuss or urgent, undecided;
    urgent first ("urgent" sorts after "discuss"), then the longest waiting."""
    if user.organisation_id is None:
        return Signal.objects.none()
    own = Signal.objects.filter(owner_organisation_id=user.organisation_id)
    return (
        policy.visible(user, awaiting_decision(own))
        .prefetch_related("sharing_groups")
        .order_by("-band", "received_at")
    )
