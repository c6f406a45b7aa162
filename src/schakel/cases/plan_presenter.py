"""What one viewer may see of a plan, decided by the policy per field category.

The plan's general details (status, reviews' dates, and of each action its domain, owner,
due date, priority and status) go to everyone who may see the plan in full general; who the
plan is for, the review notes and the requests' content are care details; objectives,
actions and results are care or justice details by their domain (``rules/plan_domains.yaml``).
An organisation sees its own actions in full: they are its tasks (``tasks.task``). Hidden
details never reach a template or a serializer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from schakel.access import policy
from schakel.access.matrix import Level
from schakel.cases import rules
from schakel.cases.models import ActionEscalation, Plan, PlanAction, PlanObjective, PlanRequest
from schakel.cases.plans import Blocker, blockers_of, is_minor


@dataclass
class ActionView:
    action: PlanAction
    shown: bool  # description and result shown to this viewer
    own: bool  # the viewer's organisation owns it

    @property
    def task(self) -> Any:
        return self.action.task

    @property
    def domain_label(self) -> str:
        return rules.domains().get(self.action.domain).label.get()

    @property
    def is_overdue(self) -> bool:
        return bool(self.action.task.is_overdue())


@dataclass
class RequestView:
    request: PlanRequest
    shown: bool  # its content


@dataclass
class PlanView:
    plan: Plan
    levels: dict[str, Level]
    person_name: str = ""
    minor: bool = False
    objectives: list[PlanObjective] = field(default_factory=list)
    hidden_objectives: int = 0
    actions: list[ActionView] = field(default_factory=list)
    reviews: list[Any] = field(default_factory=list)
    requests: list[RequestView] = field(default_factory=list)
    escalations: list[ActionEscalation] = field(default_factory=list)
    blockers: list[Blocker] = field(default_factory=list)
    can_change: bool = False

    def full(self, category: str) -> bool:
        return self.levels.get(category, Level.NONE) is Level.FULL

    @property
    def general_full(self) -> bool:
        return self.full("general")

    @property
    def care_full(self) -> bool:
        return self.full("care")

    @property
    def review_overdue(self) -> bool:
        due = self.plan.next_review_on
        return self.plan.status == "active" and due is not None and due < timezone.localdate()

    @property
    def personal_ids(self) -> dict[str, list[int]]:
        """What this view shows of personal data, for the audit log."""
        shown: dict[str, list[int]] = {}
        if self.person_name:
            shown["cases.caseperson"] = [self.plan.person_id]
            shown["entities.entity"] = [self.plan.entity_id]
        actions = [a.action.pk for a in self.actions if a.shown]
        if actions:
            shown["cases.planaction"] = actions
        requests = [r.request.pk for r in self.requests if r.shown]
        if requests:
            shown["cases.planrequest"] = requests
        return shown


def plan_queryset() -> QuerySet[Plan]:
    return Plan.objects.select_related(
        "case__lead_organisation", "case__care_coordinator", "case__region", "person__entity"
    )


def present_plan(user: Any, plan: Plan) -> PlanView:
    """The plan as ``user`` may see it. Call only for plans ``can(user, 'view')``."""
    levels = policy.decide(user, "view", plan).levels
    view = PlanView(plan, levels, can_change=policy.can(user, "change", plan))
    if not view.general_full:
        return view  # that it exists, its status and whom to ask
    domains = rules.domains()

    def shows(domain: str) -> bool:
        return view.full(domains.category(domain))

    if view.care_full:
        view.person_name = str(plan.person.entity)
        view.reviews = list(plan.reviews.select_related("recorded_by"))
    else:
        view.reviews = list(plan.reviews.all())  # dates only in the template
    view.minor = is_minor(plan.person)
    for objective in plan.objectives.all():
        if shows(objective.domain):
            view.objectives.append(objective)
        else:
            view.hidden_objectives += 1
    actions = plan.actions.select_related("task__owner_organisation", "task__owner_user")
    for action in actions:
        own = policy.decide(user, "view", action.task).is_full()
        view.actions.append(ActionView(action, shown=own or shows(action.domain), own=own))
    for record in plan.requests.select_related("recipient", "reporting_organisation"):
        seen = view.care_full or policy.can(user, "view", record)
        view.requests.append(RequestView(record, shown=seen))
    view.escalations = list(
        ActionEscalation.objects.filter(action__plan=plan).order_by("escalated_at", "pk")
    )
    if view.can_change:
        view.blockers = blockers_of(plan)
    return view


@dataclass
class PlanSummary:
    """A plan as the case page lists it."""

    plan: Plan
    person_name: str
    general_full: bool
    overdue: int
    escalations: list[ActionEscalation] = field(default_factory=list)


def plans_of_case(case: Any) -> QuerySet[Plan]:
    """The plans this case carries, and those of its people that another case carries (one
    plan per person, whichever case made it)."""
    return plan_queryset().filter(Q(case=case) | Q(entity_id__in=case.people.values("entity_id")))


def present_plans(user: Any, case: Any) -> list[PlanView]:
    """The case's plans (``plans_of_case``) that ``user`` may see, each as ``present_plan``
    lets them see it, oldest first."""
    queryset = plans_of_case(case).prefetch_related(
        Prefetch("objectives", queryset=PlanObjective.objects.select_related("created_by"))
    )
    views = []
    for plan in policy.visible(user, queryset).order_by("pk"):
        if plan.case_id == case.pk:
            plan.case = case  # its sharing groups are loaded already
        views.append(present_plan(user, plan))
    return views


def plans_on_case(user: Any, case: Any) -> list[PlanSummary]:
    """The plans of the case's people that ``user`` may see; their overdue actions and
    escalations read in one query each for all of them.

    A case's plans are few (one per person), so each is checked by the policy's object check
    rather than its list filter, whose query over every relation cost more than the checks."""
    seen = []
    for plan in plans_of_case(case).order_by("pk"):
        if plan.case_id == case.pk:
            plan.case = case  # its sharing groups are loaded already
        decision = policy.decide(user, "view", plan)
        if decision.allows():
            seen.append((plan, decision.levels))
    general = [plan.pk for plan, levels in seen if levels.get("general") is Level.FULL]
    overdue = dict(
        PlanAction.objects.filter(
            plan_id__in=general,
            task__status__in=("open", "in_progress"),
            task__due_date__lt=timezone.localdate(),
        )
        .values("plan_id")
        .annotate(n=Count("pk"))
        .values_list("plan_id", "n")
    )
    escalations: dict[int, list[ActionEscalation]] = {}
    for escalation in (
        ActionEscalation.objects.filter(action__plan_id__in=general)
        .select_related("action")
        .order_by("escalated_at", "pk")
    ):
        escalations.setdefault(escalation.action.plan_id, []).append(escalation)
    return [
        PlanSummary(
            plan,
            str(plan.person.entity) if levels.get("care") is Level.FULL else "",
            plan.pk in general,
            overdue.get(plan.pk, 0),
            escalations.get(plan.pk, []),
        )
        for plan, levels in seen
    ]
