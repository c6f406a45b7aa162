"""The national view (issue 5, point 10): per region, how many cases and plans there are by
status, how many plan actions are overdue, how many Dublin transfer holds are in place and how
many handovers are open.

Counts only. The aggregates carry no personal data — no names, no case references, no
details of a person or a plan — so they are not a read of any record, and they are not
audited as one. Who may see them is the access matrix's ``oversee`` action on ``cases.case``
(national coordinators, whatever their organisation's sector); the cases below the figures
are still only those the user may *view* under the matrix (``services.visible_cases``).

Each figure is one aggregate query grouped by region (and status): the number of queries is
the same for two regions or twenty-five, for ten cases or ten thousand.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from schakel.access import policy
from schakel.cases.models import Case, Handover, Plan, PlanAction, TransferHold
from schakel.cases.vocabulary import OPEN_STATUSES, CaseStatus, HandoverStatus, PlanStatus
from schakel.partners.models import Region
from schakel.partners.vocabulary import RegionKind
from schakel.tasks.models import OPEN_STATUSES as OPEN_TASK_STATUSES

__all__ = ["NationalOverview", "RegionFigures", "may_oversee", "national_overview"]

#: The matrix's action for the national figures (``cases.case``, relation ``authenticated``).
OVERSEE = "oversee"


@dataclass(frozen=True)
class RegionFigures:
    """The counts of one region (``region`` is None for the national totals)."""

    region: Region | None
    cases: dict[str, int] = field(default_factory=dict)
    plans: dict[str, int] = field(default_factory=dict)
    overdue_actions: int = 0
    active_holds: int = 0
    open_handovers: int = 0

    @property
    def cases_total(self) -> int:
        return sum(self.cases.values())

    @property
    def open_cases(self) -> int:
        return sum(self.cases.get(status, 0) for status in OPEN_STATUSES)

    @property
    def plans_total(self) -> int:
        return sum(self.plans.values())

    @property
    def case_counts(self) -> list[int]:
        """The case counts in the order of ``CaseStatus`` (for a table's columns)."""
        return [self.cases.get(status, 0) for status in CaseStatus.values]

    @property
    def plan_counts(self) -> list[int]:
        return [self.plans.get(status, 0) for status in PlanStatus.values]


@dataclass(frozen=True)
class NationalOverview:
    today: date
    regions: list[RegionFigures]
    totals: RegionFigures


def may_oversee(user: Any) -> bool:
    """Whether the matrix lets the user see the national figures at all."""
    return policy.can(user, OVERSEE, Case())


def _grouped(queryset: QuerySet[Any], region: str, *by: str) -> Counter[tuple[Any, ...]]:
    """``{(region_id, *by): count}`` in one query."""
    rows = queryset.order_by().values(region, *by).annotate(n=Count("pk", distinct=True))
    return Counter({tuple(row[key] for key in (region, *by)): row["n"] for row in rows})


def national_overview(user: Any, today: date | None = None) -> NationalOverview:
    """The figures per region over the cases the user may oversee. Callers check
    ``may_oversee`` first (the page answers 403, the API its 403 error)."""
    today = today or timezone.localdate()
    scope = policy.visible(user, Case.objects.all(), OVERSEE).values("pk")
    cases = _grouped(Case.objects.filter(pk__in=scope), "region_id", "status")
    plans = _grouped(Plan.objects.filter(case__in=scope), "case__region_id", "status")
    # Overdue as the escalation job sees it: an open task past its due date, of a plan that
    # is not closed, in an open case.
    overdue = _grouped(
        PlanAction.objects.filter(
            plan__case__in=scope,
            plan__case__status__in=OPEN_STATUSES,
            task__status__in=OPEN_TASK_STATUSES,
            task__due_date__lt=today,
        ).exclude(plan__status=PlanStatus.CLOSED),
        "plan__case__region_id",
    )
    holds = _grouped(
        TransferHold.objects.filter(case__in=scope, lifted_at__isnull=True), "case__region_id"
    )
    handovers = _grouped(
        Handover.objects.filter(case__in=scope, status=HandoverStatus.OPEN), "case__region_id"
    )
    seen = {key[0] for counter in (cases, plans, overdue, holds, handovers) for key in counter}
    # Every region of the country level below it shows, also with nothing in it: a region
    # without cases is a finding too.
    regions = Region.objects.filter(Q(kind=RegionKind.REGION) | Q(pk__in=seen)).order_by(
        "name", "pk"
    )
    cases_of, plans_of = _by_region(cases), _by_region(plans)
    rows = [
        RegionFigures(
            region=region,
            cases=cases_of.get(region.pk, {}),
            plans=plans_of.get(region.pk, {}),
            overdue_actions=overdue[(region.pk,)],
            active_holds=holds[(region.pk,)],
            open_handovers=handovers[(region.pk,)],
        )
        for region in regions
    ]
    totals = RegionFigures(
        region=None,
        cases=_by_status(cases),
        plans=_by_status(plans),
        overdue_actions=sum(overdue.values()),
        active_holds=sum(holds.values()),
        open_handovers=sum(handovers.values()),
    )
    return NationalOverview(today=today, regions=rows, totals=totals)


def _by_region(counts: Counter[tuple[Any, ...]]) -> dict[int, dict[str, int]]:
    regions: dict[int, dict[str, int]] = {}
    for (region, status), n in counts.items():
        regions.setdefault(region, {})[status] = n
    return regions


def _by_status(counts: Counter[tuple[Any, ...]]) -> dict[str, int]:
    totals: Counter[str] = Counter()
    for (_region, status), n in counts.items():
        totals[status] += n
    return dict(totals)
