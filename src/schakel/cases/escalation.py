"""Overdue plan actions escalate: first to the owner organisation, then to the case lead, at
the days after the due date that ``rules/plan_deadlines.yaml`` gives.

Each step notifies in-app and by e-mail (``schakel.notifications``; the worker sends the
e-mail), is recorded on the case (``ActionEscalation``) and in the audit log. The periodic
job ``plan-escalations`` runs it; it is idempotent: an action escalates once per level and
due date (a database constraint), however often and however concurrently the job runs.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from schakel.audit import services as audit
from schakel.cases import rules
from schakel.cases.models import ActionEscalation, Case, PlanAction
from schakel.cases.rules import EscalationLevel
from schakel.cases.vocabulary import OPEN_STATUSES, PlanStatus
from schakel.constraints import violates_unique
from schakel.notifications.services import notify
from schakel.partners.models import Organisation, User
from schakel.partners.vocabulary import Role
from schakel.tasks.models import OPEN_STATUSES as OPEN_TASK_STATUSES

__all__ = ["escalate_overdue_actions", "run_plan_escalations"]

COORDINATING = (Role.COORDINATOR, Role.CARE_COORDINATOR)


def _coordinators(organisation: Organisation) -> list[User]:
    return list(
        User.objects.filter(
            organisation=organisation, is_active=True, role_set__role__in=COORDINATING
        ).distinct()
    )


def recipients_for(action: PlanAction, level: EscalationLevel) -> list[User]:
    """Who hears of an overdue action at ``level``."""
    task = action.task
    case: Case = action.plan.case
    if level.notify == "owner_organisation":
        users = _coordinators(task.owner_organisation)
        if task.owner_user is not None and task.owner_user.is_active:
            users.append(task.owner_user)
        if not users:
            # An organisation without coordinators: everyone who works its task list.
            users = list(
                User.objects.filter(organisation=task.owner_organisation, is_active=True)
                .exclude(role_set__role=Role.FRONT_DESK)
                .distinct()
            )
        return users
    users = _coordinators(case.lead_organisation)
    if case.care_coordinator is not None:
        users.append(case.care_coordinator)
    return users


def _overdue(today: date, after_days: int) -> list[PlanAction]:
    return list(
        PlanAction.objects.filter(
            task__status__in=OPEN_TASK_STATUSES,
            task__due_date__lte=today - timedelta(days=after_days),
            plan__case__status__in=OPEN_STATUSES,
        )
        # A closed plan's leftovers are for its case team to tidy, not to chase.
        .exclude(plan__status=PlanStatus.CLOSED)
        .select_related(
            "task__owner_organisation",
            "task__owner_user",
            "plan__case__lead_organisation",
            "plan__case__care_coordinator",
        )
        .order_by("task__due_date", "pk")
    )


def _escalate(action: PlanAction, level: EscalationLevel) -> ActionEscalation | None:
    task = action.task
    case = action.plan.case
    assert task.due_date is not None
    users = recipients_for(action, level)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = ActionEscalation.objects.create(
                    action=action,
                    case=case,
                    level=level.level,
                    notify=level.notify,
                    due_date=task.due_date,
                    recipients=sorted({u.pk for u in users}),
                )
        except IntegrityError as exc:
            if not violates_unique(exc, ActionEscalation, "escalation_once_per_level"):
                raise
            return None  # this level was reached before (or by a run at the same moment)
        _send(action, level, record, users)
    return record


def _send(
    action: PlanAction, level: EscalationLevel, record: ActionEscalation, users: list[User]
) -> None:
    task = action.task
    case = action.plan.case
    assert task.due_date is not None
    # Messages name the case and the due date only: an e-mail leaves our hands.
    with translation.override("nl"):
        due = task.due_date.strftime("%d-%m-%Y")
        if level.notify == "owner_organisation":
            title = _("Overdue plan action (case %(case)s)") % {"case": case.reference}
            body = _(
                "An action of the plan in case %(case)s for %(organisation)s was due on "
                "%(date)s and is not done. Complete it or agree a new date with the case lead."
            ) % {"case": case.reference, "organisation": task.owner_organisation.name, "date": due}
        else:
            title = _("Plan action still overdue (case %(case)s)") % {"case": case.reference}
            body = _(
                "An action of %(organisation)s in the plan of case %(case)s was due on "
                "%(date)s and is still not done. As the case lead, contact the organisation."
            ) % {"case": case.reference, "organisation": task.owner_organisation.name, "date": due}
    link = (
        reverse("task_detail", args=[task.pk])
        if level.level == 1
        else reverse("case_detail", args=[case.pk])
    )
    notify(
        users,
        kind=f"plan_escalation_{level.level}",
        title=title,
        body=body,
        link=link,
        source_type="cases.actionescalation",
        source_id=str(record.pk),
    )
    audit.record_change(
        None,
        "escalate",
        "cases.planaction",
        [action.pk],
        purpose=case.purpose,
        details={"case": case.pk, "level": level.level, "users": record.recipients},
    )


def escalate_overdue_actions(today: date | None = None) -> int:
    """Escalate every open action of an open case that is overdue past a level; returns how
    many escalations were made (a second run the same day makes none)."""
    today = today or timezone.localdate()
    made = 0
    for level in rules.deadlines().escalation:
        for action in _overdue(today, level.after_days):
            if _escalate(action, level) is not None:
                made += 1
    return made


def run_plan_escalations() -> str:
    """The periodic job's entry point."""
    return f"{escalate_overdue_actions()} overdue plan actions escalated"
