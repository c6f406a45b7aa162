"""A case's timeline: what happened to it, in time order, as far as one viewer may see it.

The timeline decides nothing about access itself. It reads the case through the case
presenter (signals as their own rules allow, the status history for whoever sees the case's
general details, the people whose details the viewer may see in full), each plan through the
plan presenter (care, justice and general details by domain), and handovers and transfer
holds through the policy's list filter. Hidden details never reach an event: a signal the
viewer may not see is a *hit* (that a signal was added, and whom to ask) for the case's
partners, and nothing at all for whoever sees only that the case exists.

The case's other tasks (a reflection period's reminder, a transfer hold's task for the
immigration liaison, the questions a plan merge or split puts to the case, the actions of the
table decision that opened the case, and any task filed under the case's reference) are read
through the policy's list filter as ``tasks.task`` allows: only the viewer's own
organisation's. A cancelled task or action shows why it was cancelled to those who see it.
Plan merges and splits are shown for the plans whose general details the viewer may see, as
their own pages show them (``following``).

Every event is built from what those reads already loaded: the queries grow with the number
of plans on the case (one per victim), never with the number of events.

Extension point: each kind of event comes from a *source*, a function of the
``TimelineContext`` returning ``Event``s (``SOURCES``). The structured messages between the
police, the prosecution and the care coordinator (issue 5, point 12) join the timeline as one
more source with its own kind (``message``), reading the messages through their own policy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Prefetch, Q, QuerySet
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from schakel.access import policy
from schakel.cases import messages as secured_line
from schakel.cases import rules
from schakel.cases.models import (
    Case,
    Handover,
    Plan,
    PlanMerge,
    PlanMergeAnswer,
    PlanSplitChoice,
    ReflectionOffer,
    TransferHold,
)
from schakel.cases.plan_presenter import PlanView, present_plans
from schakel.cases.presenter import CaseView, present_case
from schakel.cases.vocabulary import HandoverStatus
from schakel.signals.templatetags.signals_ui import vocab
from schakel.signaltable.models import Decision, Meeting
from schakel.signaltable.services import decisions_with_details
from schakel.tasks.models import Status as TaskStatus
from schakel.tasks.models import Task, TaskEvent

#: The kinds of event, in the order the page offers them as filters.
KINDS: dict[str, Any] = {
    "signal": gettext_lazy("Signals"),
    "decision": gettext_lazy("Table decisions"),
    "status": gettext_lazy("Case status"),
    "person": gettext_lazy("Trafficking and migration status"),
    "plan": gettext_lazy("Plans"),
    "merge_split": gettext_lazy("Plan merges and splits"),
    "task": gettext_lazy("Actions and tasks"),
    "request": gettext_lazy("Requests"),
    "handover": gettext_lazy("Handovers"),
    "hold": gettext_lazy("Transfer holds"),
    "message": gettext_lazy("Secured line"),
}


@dataclass(frozen=True)
class Event:
    """One thing that happened to the case. ``personal`` names the records whose personal
    data the event shows (for the audit log); ``hidden`` marks a hit."""

    at: datetime
    kind: str
    description: str
    actor: str = ""
    url: str = ""
    detail: str = ""
    hidden: bool = False
    personal: tuple[tuple[str, int], ...] = ()

    @property
    def kind_label(self) -> str:
        return str(KINDS[self.kind])


@dataclass
class TimelineContext:
    """What the sources read from: the case and its presented views, loaded once."""

    user: Any
    case: Case
    view: CaseView
    plans: list[PlanView] = field(default_factory=list)


Source = Callable[[TimelineContext], Iterable[Event]]


@dataclass
class Timeline:
    case: Case
    events: list[Event]

    def of_kind(self, kind: str | None) -> list[Event]:
        return [e for e in self.events if e.kind == kind] if kind else list(self.events)


def _day(day: date) -> str:
    return str(date_format(day))


def personal_ids(events: Iterable[Event]) -> dict[str, list[int]]:
    """What these events show of personal data, per object type, for the audit log."""
    shown: dict[str, set[int]] = {}
    for event in events:
        for object_type, pk in event.personal:
            shown.setdefault(object_type, set()).add(pk)
    return {object_type: sorted(ids) for object_type, ids in sorted(shown.items())}


# --- Sources ---------------------------------------------------------------------------------


def signal_events(ctx: TimelineContext) -> Iterable[Event]:
    for signal in ctx.view.signals:
        observed = (
            _("observed on %(date)s") % {"date": _day(signal.observed_on)}
            if signal.observed_on
            else ""
        )
        yield Event(
            signal.received_at,
            "signal",
            _("Signal %(reference)s received (%(band)s)")
            % {"reference": signal.reference, "band": signal.get_band_display()},
            actor=str(signal.owner_organisation),
            url=reverse("signal_detail", args=[signal.reference]),
            detail=observed,
        )
    if not ctx.view.general_full:
        return  # who sees only that the case exists sees their own signals, nothing more
    lead = ctx.case.lead_organisation
    shown = [s.pk for s in ctx.view.signals]
    for link in ctx.case.signal_links.exclude(signal_id__in=shown).order_by("added_at", "pk"):
        yield Event(
            link.added_at,
            "signal",
            _("A signal not shown to you was added to the case"),
            actor=lead.name,
            detail=_("Contact %(organisation)s") % {"organisation": lead.name},
            hidden=True,
        )


def decision_events(ctx: TimelineContext) -> Iterable[Event]:
    """The table's decisions about the case's signals, for whoever follows that table's
    meetings, naming only the signals the viewer may see."""
    seen = {s.pk: s.reference for s in ctx.view.signals}
    if not seen:
        return
    meetings = policy.visible(ctx.user, Meeting.objects.all()).values("pk")
    decisions = (
        decisions_with_details()
        .filter(Q(signal_links__signal_id__in=list(seen)), meeting__in=meetings)
        .distinct()
        .order_by("decided_at", "pk")
    )
    for decision in decisions:
        references = [
            seen[link.signal_id] for link in decision.signal_links.all() if link.signal_id in seen
        ]
        yield Event(
            decision.decided_at,
            "decision",
            _decision_text(decision),
            actor=str(decision.meeting.group),
            url=reverse("signaltable_meeting", args=[decision.meeting_id]),
            detail=", ".join(references),
        )


def _decision_text(decision: Decision) -> str:
    outcome = decision.get_outcome_display()
    if decision.refer_to is not None:
        outcome = f"{outcome}: {decision.refer_to}"
    if decision.is_correction:
        return _("The signal table corrected its decision: %(outcome)s") % {"outcome": outcome}
    return _("The signal table decided: %(outcome)s") % {"outcome": outcome}


def status_events(ctx: TimelineContext) -> Iterable[Event]:
    for index, change in enumerate(ctx.view.history):
        status = change.get_status_display()
        text = (
            _("Case opened (%(status)s)") % {"status": status}
            if index == 0
            else _("Status changed to %(status)s") % {"status": status}
        )
        if change.referred_to is not None:
            text = f"{text} — " + _("referred to %(organisation)s") % {
                "organisation": change.referred_to
            }
        yield Event(
            change.changed_at, "status", text, actor=str(change.changed_by), detail=change.reason
        )


def person_events(ctx: TimelineContext) -> Iterable[Event]:
    """Decisions and facts about the people whose details the viewer may see in full."""
    for item in ctx.view.people:
        person = item.person
        shown = (("cases.caseperson", person.pk), ("entities.entity", person.entity_id))
        for decision in item.trafficking:
            yield Event(
                decision.recorded_at,
                "person",
                _("%(name)s: trafficking status %(status)s, decided on %(date)s")
                % {
                    "name": item.name,
                    "status": decision.get_status_display(),
                    "date": _day(decision.decided_on),
                },
                actor=str(decision.deciding_organisation),
                detail=decision.basis,
                personal=shown,
            )
        for record in item.migration:
            yield Event(
                record.recorded_at,
                "person",
                _("%(name)s: migration status %(status)s")
                % {"name": item.name, "status": _migration_label(record.status)},
                actor=str(record.recorded_by),
                detail=record.note,
                personal=shown,
            )
        for offer in person.reflection_offers.all():
            yield Event(
                offer.recorded_at,
                "person",
                _("%(name)s: reflection period offered, from %(start)s to %(end)s")
                % {
                    "name": item.name,
                    "start": _day(offer.offered_on),
                    "end": _day(offer.ends_on),
                },
                actor=str(offer.offered_by),
                detail=offer.note,
                personal=shown,
            )


def _migration_label(code: str) -> str:
    return vocab(code, "migration_status")


def plan_events(ctx: TimelineContext) -> Iterable[Event]:
    """The plans' own events, by the plan presenter's categories."""
    for view in ctx.plans:
        plan = view.plan
        url = reverse("plan_detail", args=[plan.case_id, plan.pk])
        mine: tuple[tuple[str, int], ...] = ()
        if view.person_name:
            mine = (("cases.caseperson", plan.person_id), ("entities.entity", plan.entity_id))
        text = _("Plan %(reference)s drawn up") % {"reference": plan.reference}
        if view.person_name:
            text = f"{text}: {view.person_name}"
        yield Event(
            plan.created_at,
            "plan",
            text,
            actor=str(plan.case.lead_organisation),
            url=url,
            personal=mine,
        )
        for objective in view.objectives:
            yield Event(
                objective.created_at,
                "plan",
                _("Objective (%(domain)s): %(text)s")
                % {"domain": objective.domain_label, "text": objective.text},
                actor=str(objective.created_by),
                url=url,
            )
        for review in view.reviews:
            yield Event(
                review.recorded_at,
                "plan",
                _("Plan %(reference)s reviewed on %(date)s; next review on %(next)s")
                % {
                    "reference": plan.reference,
                    "date": _day(review.reviewed_on),
                    "next": _day(review.next_review_on),
                },
                actor=str(review.recorded_by) if view.care_full else "",
                url=url,
                detail=review.summary if view.care_full else "",
            )


def merge_split_events(ctx: TimelineContext) -> Iterable[Event]:
    """Plan merges (proposed, answered, closed) and the choices after a split, for the plans
    whose general details the viewer may see, as the merge's and the choice's pages show
    them (``following``): a plan not shown to the viewer is not named."""
    seen = {view.plan.pk: view.plan.reference for view in ctx.plans}
    if not seen:
        return
    merges = (
        PlanMerge.objects.filter(plans__in=list(seen))
        .distinct()
        .select_related("kept_plan")
        .prefetch_related(
            Prefetch("plans", queryset=Plan.objects.only("pk")),
            Prefetch(
                "answers",
                queryset=PlanMergeAnswer.objects.select_related(
                    "case", "answered_by", "kept_plan"
                ).order_by("answered_at", "pk"),
            ),
        )
        .order_by("proposed_at", "pk")
    )
    for merge in merges:
        url = reverse("plan_merge", args=[merge.pk])
        named = [seen[plan.pk] for plan in merge.plans.all() if plan.pk in seen]
        yield Event(
            merge.proposed_at,
            "merge_split",
            _("Proposed to merge the plans of one person: %(plans)s")
            % {"plans": ", ".join(sorted(named))},
            url=url,
        )
        for answer in merge.answers.all():
            yield Event(
                answer.answered_at,
                "merge_split",
                _("Case %(case)s agrees to merge the plans, keeping %(plan)s")
                % {"case": answer.case.reference, "plan": answer.kept_plan.reference}
                if answer.agrees and answer.kept_plan is not None
                else _("Case %(case)s declines to merge the plans")
                % {"case": answer.case.reference},
                actor=str(answer.answered_by),
                url=url,
                detail=answer.reason,
            )
        if merge.closed_at is not None:
            yield Event(merge.closed_at, "merge_split", _merge_closed_text(merge), url=url)
    choices = (
        PlanSplitChoice.objects.filter(plan_id__in=list(seen))
        .select_related("chosen_by")
        .order_by("created_at", "pk")
    )
    for choice in choices:
        url = reverse("plan_split", args=[choice.pk])
        plan = seen[choice.plan_id]
        yield Event(
            choice.created_at,
            "merge_split",
            _("The person of plan %(plan)s was split: the case chooses who keeps the plan")
            % {"plan": plan},
            url=url,
        )
        if choice.chosen_at is not None:
            yield Event(
                choice.chosen_at,
                "merge_split",
                _("Chosen who keeps plan %(plan)s") % {"plan": plan},
                actor=str(choice.chosen_by) if choice.chosen_by is not None else "",
                url=url,
            )


def _merge_closed_text(merge: PlanMerge) -> str:
    if merge.status == PlanMerge.Status.MERGED and merge.kept_plan is not None:
        return _("Plans merged into %(plan)s") % {"plan": merge.kept_plan.reference}
    if merge.status == PlanMerge.Status.DECLINED:
        return _("Plan merge declined: the plans stay apart")
    return _("Plan merge no longer needed: the plans are not of one person")


def task_events(ctx: TimelineContext) -> Iterable[Event]:
    """The plans' actions (each a task), created and completed, and their escalations."""
    domains = rules.domains()
    reasons = cancel_reasons(
        item.task
        for view in ctx.plans
        for item in view.actions
        if item.shown and item.task.status == TaskStatus.CANCELLED
    )
    for view in ctx.plans:
        plan = view.plan
        plan_url = reverse("plan_detail", args=[plan.case_id, plan.pk])
        for item in view.actions:
            action, task = item.action, item.task
            url = reverse("task_detail", args=[task.pk]) if item.own else plan_url
            domain = domains.get(action.domain).label.get()
            shown = (("cases.planaction", action.pk),) if item.shown else ()
            what = (
                _("Action (%(domain)s): %(description)s")
                % {"domain": domain, "description": action.description}
                if item.shown
                else _("Action in the domain %(domain)s (not shown to you)") % {"domain": domain}
            )
            yield Event(
                action.created_at,
                "task",
                what,
                actor=str(task.owner_organisation),
                url=url,
                detail=_("due on %(date)s") % {"date": _day(task.due_date)}
                if task.due_date
                else "",
                personal=shown,
            )
            if task.completed_at is None or task.status not in CLOSED:
                continue
            done = task.status == TaskStatus.DONE
            yield Event(
                task.completed_at,
                "task",
                (_("Action completed (%(domain)s)") if done else _("Action cancelled (%(domain)s)"))
                % {"domain": domain},
                actor=str(task.owner_organisation),
                url=url,
                detail=(task.result if done else reasons.get(task.pk, "")) if item.shown else "",
                personal=shown,
            )
        for escalation in view.escalations:
            yield Event(
                escalation.escalated_at,
                "task",
                _("Overdue action reported to its owner organisation")
                if escalation.level == 1
                else _("Overdue action reported to the case lead"),
                url=plan_url,
                detail=_("due on %(date)s") % {"date": _day(escalation.due_date)},
            )


#: The ends of a task that the timeline shows.
CLOSED = (TaskStatus.DONE, TaskStatus.CANCELLED)


def cancel_reasons(tasks: Iterable[Task]) -> dict[int, str]:
    """Why each of these cancelled tasks was cancelled: the note of its latest cancellation
    in its history (``tasks.TaskEvent``). One query for all of them, none for none."""
    ids = sorted({task.pk for task in tasks})
    if not ids:
        return {}
    reasons: dict[int, str] = {}
    for task_id, note in (
        TaskEvent.objects.filter(task_id__in=ids, kind=TaskEvent.Kind.CANCELLED)
        .order_by("at", "pk")
        .values_list("task_id", "note")
    ):
        reasons[task_id] = note  # the latest wins: a task may be reopened and cancelled again
    return reasons


def _subject_keys(records: QuerySet[Any]) -> QuerySet[Any]:
    """The records' keys as a task's generic subject holds them: as text."""
    keys: QuerySet[Any] = records.annotate(subject_key=Cast("pk", CharField())).values(
        "subject_key"
    )
    return keys


def case_tasks(case: Case) -> QuerySet[Task]:
    """Every task that belongs to ``case``, whatever made it: filed under its reference, or
    about the case, one of its plans (actions, and the questions a merge or a split asks), a
    reflection period offered to one of its people (the reminder), one of its transfer holds
    (the immigration liaison's task), or the signal-table decision that opened it and the
    corrections of that decision (the actions the table gave the partners). Unfiltered: read
    it through the policy."""
    types = ContentType.objects.get_for_models(Case, Plan, ReflectionOffer, TransferHold, Decision)
    about = {
        Plan: Plan.objects.filter(case=case),
        ReflectionOffer: ReflectionOffer.objects.filter(person__case=case),
        TransferHold: TransferHold.objects.filter(case=case),
        Decision: Decision.objects.filter(pk__in=_decision_chain(case)),
    }
    belongs = Q(reference=case.reference) | Q(subject_type=types[Case], subject_id=str(case.pk))
    for model, records in about.items():
        belongs |= Q(subject_type=types[model], subject_id__in=_subject_keys(records))
    return Task.objects.filter(belongs)


def _decision_chain(case: Case) -> list[int]:
    """The decision that opened ``case`` and every correction of it, in order (a correction
    supersedes the decision before it; chains are a few decisions long)."""
    chain: list[int] = []
    current = case.source_decision_id
    while current is not None and current not in chain:
        chain.append(current)
        current = (
            Decision.objects.filter(supersedes_id=current).values_list("pk", flat=True).first()
        )
    return chain


def case_task_events(ctx: TimelineContext) -> Iterable[Event]:
    """The case's other tasks (not the plans' actions above), created and closed, for the
    organisation that holds them (``tasks.task``). Their titles name no one; their
    descriptions stay on the task's page."""
    listed = [item.action.task_id for view in ctx.plans for item in view.actions]
    tasks = policy.visible(
        ctx.user, case_tasks(ctx.case).exclude(pk__in=listed).select_related("owner_organisation")
    ).order_by("created_at", "pk")
    reasons = cancel_reasons(t for t in tasks if t.status == TaskStatus.CANCELLED)
    for task in tasks:
        url = reverse("task_detail", args=[task.pk])
        actor = str(task.owner_organisation)
        shown = (("tasks.task", task.pk),)
        yield Event(
            task.created_at,
            "task",
            _("Task: %(title)s") % {"title": task.title},
            actor=actor,
            url=url,
            detail=_("due on %(date)s") % {"date": _day(task.due_date)} if task.due_date else "",
            personal=shown,
        )
        if task.completed_at is None:
            continue
        if task.status == TaskStatus.DONE:
            yield Event(
                task.completed_at,
                "task",
                _("Task completed: %(title)s") % {"title": task.title},
                actor=actor,
                url=url,
                detail=task.result,
                personal=shown,
            )
        elif task.status == TaskStatus.CANCELLED:
            yield Event(
                task.completed_at,
                "task",
                _("Task cancelled: %(title)s") % {"title": task.title},
                actor=actor,
                url=url,
                detail=reasons.get(task.pk, ""),
                personal=shown,
            )


def request_events(ctx: TimelineContext) -> Iterable[Event]:
    for view in ctx.plans:
        plan_url = reverse("plan_detail", args=[view.plan.case_id, view.plan.pk])
        for item in view.requests:
            record = item.request
            own = policy.can(ctx.user, "view", record)
            url = reverse("plan_request_detail", args=[record.pk]) if own else plan_url
            shown = (("cases.planrequest", record.pk),) if item.shown else ()
            yield Event(
                record.requested_at,
                "request",
                _("Request sent: %(kind)s to %(recipient)s")
                % {"kind": record.get_kind_display(), "recipient": record.recipient},
                actor=str(view.plan.case.lead_organisation),
                url=url,
                personal=shown,
            )
            if record.responded_at is not None:
                yield Event(
                    record.responded_at,
                    "request",
                    _("Request answered: %(kind)s — %(status)s")
                    % {"kind": record.get_kind_display(), "status": record.get_status_display()},
                    actor=str(record.recipient),
                    url=url,
                    detail=record.response_note if item.shown else "",
                    personal=shown,
                )


def handover_events(ctx: TimelineContext) -> Iterable[Event]:
    handovers = policy.visible(
        ctx.user,
        Handover.objects.filter(case=ctx.case).select_related(
            "from_organisation", "to_organisation", "to_region", "answer"
        ),
    ).order_by("requested_at", "pk")
    for handover in handovers:
        url = reverse("case_handover", args=[handover.pk])
        yield Event(
            handover.requested_at,
            "handover",
            _("Handover requested: from %(from)s to %(to)s (%(region)s)")
            % {
                "from": handover.from_organisation,
                "to": handover.to_organisation,
                "region": handover.to_region,
            },
            actor=str(handover.from_organisation),
            url=url,
            detail=handover.reason,
        )
        answer = getattr(handover, "answer", None)
        if answer is not None:
            by = (
                handover.from_organisation
                if answer.status == HandoverStatus.WITHDRAWN
                else handover.to_organisation
            )
            yield Event(
                answer.answered_at,
                "handover",
                _handover_answer_text(answer.status),
                actor=str(by),
                url=url,
                detail=answer.note,
            )


def _handover_answer_text(status: str) -> str:
    if status == HandoverStatus.ACCEPTED:
        return _("Handover accepted")
    if status == HandoverStatus.DECLINED:
        return _("Handover declined")
    return _("Handover withdrawn")


def hold_events(ctx: TimelineContext) -> Iterable[Event]:
    """Transfer holds placed and lifted: that they are, never whom they are about."""
    holds = policy.visible(
        ctx.user, TransferHold.objects.filter(case=ctx.case).select_related("case")
    ).order_by("placed_at", "pk")
    for hold in holds:
        url = reverse("case_transfer_hold", args=[hold.pk])
        yield Event(hold.placed_at, "hold", _("Dublin transfer hold placed"), url=url)
        if hold.lifted_at is not None:
            yield Event(
                hold.lifted_at,
                "hold",
                _("Dublin transfer hold lifted"),
                url=url,
                detail=hold.get_lifted_because_display(),
            )


def message_events(ctx: TimelineContext) -> Iterable[Event]:
    """Messages on the secured line, for their parties only (read through their own policy):
    kind, subject, from and to; the body is on the message's page, audited with its purpose."""
    for message in secured_line.visible_messages(ctx.user, ctx.case):
        view = secured_line.present_message(ctx.user, message)
        yield Event(
            message.sent_at,
            "message",
            _("%(kind)s: %(subject)s")
            % {"kind": message.get_kind_display(), "subject": view.subject},
            actor=str(message.sender_organisation),
            url=reverse("case_line_message", args=[message.pk]),
            detail=_("to %(recipients)s")
            % {"recipients": ", ".join(str(org) for org in view.recipients)},
            personal=(("cases.casemessage", message.pk),) if view.body_shown else (),
        )


#: Where the events come from. Point 12's messages add their source (and kind) here.
SOURCES: tuple[Source, ...] = (
    signal_events,
    decision_events,
    status_events,
    person_events,
    plan_events,
    merge_split_events,
    task_events,
    case_task_events,
    request_events,
    handover_events,
    hold_events,
    message_events,
)


# --- Building ------------------------------------------------------------------------------


def _present_plans(user: Any, case: Case) -> list[PlanView]:
    """The plans the case page lists whose general details ``user`` may see."""
    return [view for view in present_plans(user, case) if view.general_full]


def build_timeline(user: Any, case: Case, *, sources: Iterable[Source] = SOURCES) -> Timeline:
    """The case's events that ``user`` may see, oldest first. Call only for cases
    ``can(user, 'view')`` (``get_case_for_user``)."""
    ctx = TimelineContext(user, case, present_case(user, case))
    ctx.plans = _present_plans(user, case)
    events = [event for source in sources for event in source(ctx)]
    # Stable: events at the same moment keep their sources' order.
    events.sort(key=lambda event: event.at)
    return Timeline(case, events)
