"""Minutes of a meeting as one viewer may read them, as a page and as a PDF.

The minutes are never stored as a document: they are put together for each reader from the
append-only decisions, and each signal in them is shown under the access policy, so a PDF
holds no more than its reader may see on the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from schakel.access import policy
from schakel.partners.models import Organisation
from schakel.signals.models import Signal
from schakel.signals.presenter import SignalView, present
from schakel.signaltable.agenda import BundleView, bundle_view, signals_for_presenting
from schakel.signaltable.bundling import Bundler, default_bundler
from schakel.signaltable.models import Decision, DecisionAction, Meeting
from schakel.signaltable.services import decisions_with_details
from schakel.tasks.models import Task


@dataclass
class ActionLine:
    action: DecisionAction
    task: Task | None  # None when the reader may not see the task (another organisation's)


@dataclass
class MinutesEntry:
    decision: Decision
    bundle: BundleView
    actions: list[ActionLine]


@dataclass
class Minutes:
    meeting: Meeting
    present: list[Organisation]
    entries: list[MinutesEntry]
    generated_at: datetime

    @property
    def signal_views(self) -> list[SignalView]:
        return [view for entry in self.entries for view in entry.bundle.signals]

    @property
    def decision_ids(self) -> list[int]:
        return [entry.decision.pk for entry in self.entries]


def build_minutes(user: Any, meeting: Meeting, *, bundler: Bundler | None = None) -> Minutes:
    """The minutes of ``meeting`` as ``user`` may read them."""
    bundler = bundler or default_bundler()
    decisions = list(decisions_with_details().filter(meeting=meeting).order_by("decided_at", "pk"))
    mentioned = {
        link.signal_id
        for decision in decisions
        for link in decision.signal_links.all()
        if link.signal_id is not None
    }
    # Signals the reader may not see at all are left out: their existence is not revealed.
    visible = set(
        policy.visible(user, Signal.objects.filter(pk__in=mentioned)).values_list("pk", flat=True)
    )
    signals = signals_for_presenting(visible)
    views = {pk: present(user, signal) for pk, signal in signals.items()}
    entries = []
    for decision in decisions:
        ids = [
            link.signal_id
            for link in decision.signal_links.all()
            if link.signal_id is not None and link.signal_id in views
        ]
        links = bundler.links(ids) if len(ids) > 1 else []
        entries.append(
            MinutesEntry(
                decision,
                bundle_view([views[pk] for pk in ids], links),
                [
                    ActionLine(
                        action,
                        action.task
                        if action.task is not None and policy.can(user, "view", action.task)
                        else None,
                    )
                    for action in decision.actions.all()
                ],
            )
        )
    return Minutes(
        meeting=meeting,
        present=list(meeting.present_organisations.order_by("name")),
        entries=entries,
        generated_at=timezone.now(),
    )


def render_pdf(html: str) -> bytes:
    """A PDF of self-contained HTML (WeasyPrint)."""
    # Imported here: loading Pango costs time, and only this view needs it.
    from weasyprint import HTML, URLFetcher

    # The minutes are self-contained (inline CSS, no images): the renderer may fetch nothing,
    # so text in a signal can never make it read a file or call a server.
    fetch_nothing = URLFetcher(allowed_protocols=())
    pdf: bytes = HTML(string=html, url_fetcher=fetch_nothing).write_pdf()
    return pdf
