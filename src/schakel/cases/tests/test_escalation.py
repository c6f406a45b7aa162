"""Overdue plan actions escalate: to the owner organisation the day after the due date, to
the case lead a week later; in-app and by e-mail through the worker, recorded on the case,
once per level however often the job runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from schakel.audit.models import AuditEntry
from schakel.cases import plans
from schakel.cases.escalation import escalate_overdue_actions
from schakel.cases.models import ActionEscalation, PlanAction
from schakel.cases.tests.helpers import SignIn
from schakel.cases.tests.plan_helpers import case_with_plan
from schakel.jobs.services import PERIODIC_JOBS, run_periodic_jobs
from schakel.notifications.models import Notification
from schakel.partners.services import create_user
from schakel.partners.vocabulary import Role
from schakel.signals.tests.factories import VICTIM_NAME
from schakel.tasks import services as tasks
from schakel.testing.personas import World, build_world

pytestmark = pytest.mark.django_db


def _police_action(world: World) -> PlanAction:
    """An action of the police (owner: Piet) in Carla's plan, due on 1 December."""
    _case, plan = case_with_plan(world)
    return plans.add_action(
        plan,
        domain="safety",
        description="Dreigingsinschatting voor de opvanglocatie.",
        owner_organisation=world.police_a,
        owner_user=world.users["police_analyst"],
        due_date=date(2026, 12, 1),
        actor=world.users["care_coordinator"],
    )


def _recipients(level: int) -> set[str]:
    return {
        n.recipient.username
        for n in Notification.objects.filter(kind=f"plan_escalation_{level}").select_related(
            "recipient"
        )
    }


def test_an_action_not_yet_overdue_does_not_escalate(world: World) -> None:
    _police_action(world)
    with time_machine.travel(date(2026, 12, 1)):
        assert escalate_overdue_actions() == 0


def test_the_owner_organisation_hears_first_then_the_case_lead_once_each(world: World) -> None:
    action = _police_action(world)
    with time_machine.travel(date(2026, 12, 2)):
        assert escalate_overdue_actions() == 1
        assert escalate_overdue_actions() == 0  # running twice escalates once
    assert _recipients(1) == {"piet"}
    assert _recipients(2) == set()
    with time_machine.travel(date(2026, 12, 8)):
        assert escalate_overdue_actions() == 0  # the lead hears after eight days
    with time_machine.travel(date(2026, 12, 9)):
        assert escalate_overdue_actions() == 1
        assert escalate_overdue_actions() == 0
    assert _recipients(2) == {"carla"}
    levels = list(action.escalations.values_list("level", "case_id"))
    assert levels == [(1, action.plan.case_id), (2, action.plan.case_id)]
    notification = Notification.objects.get(kind="plan_escalation_2")
    assert action.plan.case.reference in notification.title
    assert VICTIM_NAME[1] not in notification.title + notification.body
    assert AuditEntry.objects.filter(action="escalate").count() == 2


def test_a_job_that_did_not_run_sends_both_levels_at_once(world: World) -> None:
    _police_action(world)
    with time_machine.travel(date(2026, 12, 20)):
        assert escalate_overdue_actions() == 2
        assert escalate_overdue_actions() == 0


def test_a_done_action_does_not_escalate(world: World) -> None:
    action = _police_action(world)
    tasks.complete_task(action.task, actor=world.users["police_analyst"], result="Gedaan")
    with time_machine.travel(date(2026, 12, 20)):
        assert escalate_overdue_actions() == 0


def test_the_actions_of_a_closed_plan_do_not_escalate(world: World) -> None:
    action = _police_action(world)
    plans.set_plan_status(action.plan, "closed", actor=world.users["care_coordinator"])
    with time_machine.travel(date(2026, 12, 20)):
        assert escalate_overdue_actions() == 0


def test_an_organisation_without_coordinators_hears_through_its_professionals(
    world: World,
) -> None:
    _case, plan = case_with_plan(world)
    colleague = create_user(
        world.ngo_a, "nina", roles=[Role.PROFESSIONAL], email="nina@example.test"
    )
    plans.add_action(
        plan,
        domain="health",
        description="Begeleiding naar de huisarts.",
        owner_organisation=world.ngo_a,
        due_date=date(2026, 12, 1),
        actor=world.users["care_coordinator"],
    )
    with time_machine.travel(date(2026, 12, 2)):
        escalate_overdue_actions()
    assert _recipients(1) == {"noor", colleague.username}


def test_escalations_are_recorded_on_the_case_page(world: World, signed_in: SignIn) -> None:
    action = _police_action(world)
    with time_machine.travel(date(2026, 12, 9)):
        escalate_overdue_actions()
        page = (
            signed_in(world.users["care_coordinator"])
            .get(reverse("case_detail", args=[action.plan.case_id]))
            .content.decode()
        )
    assert 'data-testid="case-escalations"' in page and 'data-testid="plan-overdue"' in page


def test_the_escalation_is_a_periodic_job_that_runs_twice_safely(world: World) -> None:
    assert "plan-escalations" in PERIODIC_JOBS
    _police_action(world)
    with time_machine.travel(date(2026, 12, 2)):
        run_periodic_jobs(["plan-escalations"])
        run_periodic_jobs(["plan-escalations"])
    assert ActionEscalation.objects.count() == 1


@pytest.fixture
def live_world(transactional_db: None) -> Iterator[World]:
    with time_machine.travel("2026-11-29 10:00", tick=True):
        yield build_world()


def test_the_escalation_is_mailed_through_the_worker(
    live_world: World, mailoutbox: list[object]
) -> None:
    _police_action(live_world)
    call_command("schakel_worker", batch=True)  # the case's own jobs (entities)
    mailoutbox.clear()
    with time_machine.travel(date(2026, 12, 2)):
        call_command("schakel_periodic", "plan-escalations")
        call_command("schakel_periodic", "plan-escalations")
    assert not mailoutbox  # the job queues the mail; the worker sends it
    call_command("schakel_worker", batch=True)
    assert [m.to for m in mailoutbox] == [["piet@example.test"]]  # type: ignore[attr-defined]
