"""The case summary for the case conference, as one reader may see it, as a page and as a PDF.

Like the signal table's minutes, the summary is never stored as a document: it is put
together for each reader from the case and plan presenters and the policy's list filters,
so the PDF holds no more than its reader may see on the case's own pages. It decides nothing
about access itself: people, signals and the status history come from ``present_case``, the
plans from ``present_plan`` (care, justice and general details by domain), open tasks from the
plans' actions and the ``tasks.task`` rules, transfer holds and handovers from the policy's
list filter, and recent events from the timeline's sources fed with the same views.

The page and the PDF are rendered from one ``CaseSummary``; ``personal_ids`` names what it
shows of personal data, for the one audit entry of the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from schakel.access import policy
from schakel.cases.handovers import handover_queryset
from schakel.cases.holds import active_holds
from schakel.cases.models import Case, Handover, TransferHold
from schakel.cases.plan_presenter import PlanView, present_plans
from schakel.cases.presenter import CaseView, present_case
from schakel.cases.timeline import SOURCES, Event, TimelineContext, personal_ids
from schakel.cases.vocabulary import HandoverStatus
from schakel.tasks.models import OPEN_STATUSES, Task

#: How many of the latest timeline events the summary lists (the timeline page has them all).
RECENT_EVENTS = 15

#: TLP 2.0 colours (FIRST): the label's text colour, always on a black background.
TLP_COLOURS = {
    "RED": "#FF2B2B",
    "AMBER": "#FFC000",
    "AMBER+STRICT": "#FFC000",
    "GREEN": "#33FF00",
    "CLEAR": "#FFFFFF",
}


@dataclass(frozen=True)
class OpenTask:
    """An open task of the case: a plan's action (described only where the reader may see
    it) or another task of the reader's own organisation on the case (a hold's, ...)."""

    task: Task
    what: str  # the action's description or the task's title; empty when not shown
    domain: str = ""  # the plan domain's label, for an action

    @property
    def is_overdue(self) -> bool:
        return bool(self.task.is_overdue())


@dataclass(frozen=True)
class HoldLine:
    hold: TransferHold
    person_name: str  # empty unless the reader sees the person in full


@dataclass
class CaseSummary:
    case: Case
    view: CaseView
    plans: list[PlanView]
    open_tasks: list[OpenTask]
    holds: list[HoldLine]
    open_handover: Handover | None
    events: list[Event]
    generated_for: Any
    generated_at: datetime = field(default_factory=timezone.now)

    @property
    def tlp(self) -> str:
        return self.case.tlp

    @property
    def tlp_label(self) -> str:
        return self.case.get_tlp_display()

    @property
    def tlp_colour(self) -> str:
        return TLP_COLOURS.get(self.case.tlp, TLP_COLOURS["RED"])

    @property
    def detailed_plans(self) -> list[PlanView]:
        return [plan for plan in self.plans if plan.general_full]

    @property
    def personal_ids(self) -> dict[str, list[int]]:
        """What the summary shows of personal data, per object type, for the audit log."""
        shown: dict[str, set[int]] = {}
        parts = [self.view.personal_ids, personal_ids(self.events)]
        parts += [plan.personal_ids for plan in self.plans]
        for part in parts:
            for object_type, ids in part.items():
                shown.setdefault(object_type, set()).update(ids)
        return {object_type: sorted(ids) for object_type, ids in sorted(shown.items()) if ids}


def _open_tasks(user: Any, case: Case, plans: list[PlanView]) -> list[OpenTask]:
    lines = [
        OpenTask(item.task, item.action.description if item.shown else "", item.domain_label)
        for plan in plans
        for item in plan.actions
        if item.task.status in OPEN_STATUSES
    ]
    listed = [line.task.pk for line in lines]
    # Other tasks filed under the case (a transfer hold's, ...): only those the reader's own
    # organisation holds (``tasks.task``). Their titles name no one.
    others = policy.visible(
        user,
        Task.objects.filter(reference=case.reference, status__in=OPEN_STATUSES)
        .exclude(pk__in=listed)
        .select_related("owner_organisation"),
    )
    lines += [OpenTask(task, task.title) for task in others]
    far = date.max
    return sorted(lines, key=lambda line: (line.task.due_date or far, line.task.pk))


def _holds(user: Any, case: Case, view: CaseView) -> list[HoldLine]:
    names = {item.person.pk: item.name for item in view.people}
    shown = policy.visible(user, active_holds(case))
    return [HoldLine(hold, names.get(hold.person_id, "")) for hold in shown]


def _open_handover(user: Any, case: Case) -> Handover | None:
    # One open handover per case at most (``handovers``); shown as far as the policy lets the
    # reader see it.
    handovers = handover_queryset().filter(case=case, status=HandoverStatus.OPEN)
    return policy.visible(user, handovers).first()


def build_summary(user: Any, case: Case, *, recent: int = RECENT_EVENTS) -> CaseSummary:
    """The summary of ``case`` as ``user`` may see it. Call only for cases
    ``can(user, 'view')`` (``get_case_for_user``)."""
    view = present_case(user, case)
    plans = present_plans(user, case)
    # The timeline's own sources, fed with the views above: the summary's events are those
    # the timeline page shows this reader, without presenting the case twice.
    ctx = TimelineContext(user, case, view, plans=[p for p in plans if p.general_full])
    events = [event for source in SOURCES for event in source(ctx)]
    events.sort(key=lambda event: event.at)
    return CaseSummary(
        case=case,
        view=view,
        plans=plans,
        open_tasks=_open_tasks(user, case, plans),
        holds=_holds(user, case, view),
        open_handover=_open_handover(user, case),
        events=events[-recent:] if recent else [],
        generated_for=user,
    )


def render_pdf(html: str) -> bytes:
    """The PDF of the summary's self-contained HTML (WeasyPrint)."""
    # Imported here: loading Pango costs time, and only the PDF view needs it.
    from weasyprint import HTML, URLFetcher

    # The summary's HTML carries its CSS inline and no images or links to fetch: the renderer
    # may fetch nothing, so no text in a case or signal can make it read a file or a server.
    pdf: bytes = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()
    return pdf
