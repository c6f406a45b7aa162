"""The plan pages per persona: the care coordinator sees the care details, the police what
label and purpose allow (the justice domains, not the care details), the NGO its own
contributions, the outsider 404 everywhere."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from schakel.audit.models import AuditEntry
from schakel.cases import plans
from schakel.cases.models import Case, Plan
from schakel.cases.tests.helpers import SignIn, municipality_signal, open_case
from schakel.cases.tests.plan_helpers import (
    MINOR_NAME,
    case_with_plan,
    minor_case,
    plan_of,
    youth_care,
)
from schakel.signals.tests.factories import VICTIM_NAME
from schakel.tasks.models import Task
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db

CARE_OBJECTIVE = "Een veilige opvangplek binnen twee weken."
JUSTICE_OBJECTIVE = "Dreigingsinschatting rond de opvang."
NGO_ACTION = "Begeleiding naar de opvang en de huisarts."
POLICE_ACTION = "Dreigingsinschatting maken met het AVIM."


@pytest.fixture
def plan(world: World) -> Plan:
    _case, plan = case_with_plan(world)
    carla = world.users["care_coordinator"]
    plans.add_objective(plan, "shelter", CARE_OBJECTIVE, actor=carla)
    plans.add_objective(plan, "safety", JUSTICE_OBJECTIVE, actor=carla)
    plans.add_action(
        plan, domain="shelter", description=NGO_ACTION, owner_organisation=world.ngo_a, actor=carla
    )
    plans.add_action(
        plan,
        domain="safety",
        description=POLICE_ACTION,
        owner_organisation=world.police_a,
        actor=carla,
    )
    plans.record_review(
        plan, reviewed_on=date(2026, 11, 29), summary="Rustig gesprek gehad.", actor=carla
    )
    return plan


def _url(plan: Plan, name: str = "plan_detail", *extra: str) -> str:
    return reverse(name, args=[plan.case_id, plan.pk, *extra])


def _get(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def test_the_care_coordinator_sees_the_whole_plan(
    world: World, plan: Plan, signed_in: SignIn
) -> None:
    page = _get(signed_in(world.users["care_coordinator"]), _url(plan))
    assert VICTIM_NAME[1] in page
    assert all(text in page for text in (CARE_OBJECTIVE, JUSTICE_OBJECTIVE, NGO_ACTION))
    assert POLICE_ACTION in page and "Rustig gesprek gehad." in page
    assert _url(plan, "plan_action") in page and _url(plan, "plan_status") in page
    entry = AuditEntry.objects.filter(action="read").latest("pk")
    assert len(entry.object_ids["cases.planaction"]) == 2
    assert entry.object_ids["cases.caseperson"] == [plan.person_id]


def test_the_case_page_lists_the_plans(world: World, plan: Plan, signed_in: SignIn) -> None:
    page = _get(
        signed_in(world.users["care_coordinator"]), reverse("case_detail", args=[plan.case_id])
    )
    assert _url(plan) in page and 'data-testid="plans"' in page


def test_a_second_case_about_the_same_person_links_her_one_plan(
    world: World, plan: Plan, signed_in: SignIn
) -> None:
    second = open_case(world, [plan.case.signal_links.first().signal])  # type: ignore[union-attr]
    assert not second.plans.exists()
    page = _get(
        signed_in(world.users["care_coordinator"]), reverse("case_detail", args=[second.pk])
    )
    assert _url(plan) in page and plan.case.reference in page


def test_the_police_see_the_justice_details_and_no_care_details(
    world: World, plan: Plan, signed_in: SignIn
) -> None:
    client = signed_in(world.users["police_analyst"])
    page = _get(client, _url(plan))
    assert JUSTICE_OBJECTIVE in page and POLICE_ACTION in page
    assert VICTIM_NAME[1] not in page and CARE_OBJECTIVE not in page and NGO_ACTION not in page
    assert "Rustig gesprek gehad." not in page
    assert 'data-testid="hidden-objectives"' in page
    assert _url(plan, "plan_action") not in page
    for name in ("plan_action", "plan_objective", "plan_review"):
        _get(client, _url(plan, name), 403)
    assert client.post(_url(plan, "plan_status"), {"status": "active"}).status_code == 403


def test_the_police_see_only_that_a_plan_exists_for_a_care_referral(
    world: World, signed_in: SignIn
) -> None:
    _case, plan = case_with_plan(world, purpose="care_referral")
    page = _get(signed_in(world.users["police_analyst"]), _url(plan))
    assert 'data-testid="plan-redacted"' in page and VICTIM_NAME[1] not in page


def test_the_ngo_sees_its_own_action_and_nothing_personal(
    world: World, plan: Plan, signed_in: SignIn
) -> None:
    page = _get(signed_in(world.users["ngo_worker"]), _url(plan))
    assert NGO_ACTION in page
    assert POLICE_ACTION not in page and CARE_OBJECTIVE not in page
    assert JUSTICE_OBJECTIVE not in page and VICTIM_NAME[1] not in page
    task = Task.objects.get(plan_action__description=NGO_ACTION)
    assert reverse("task_detail", args=[task.pk]) in page


def test_an_organisation_given_an_action_sees_the_plan_but_not_the_case(
    world: World, signed_in: SignIn
) -> None:
    case = open_case(world, [municipality_signal(world)])  # the NGO contributed nothing
    plan = plan_of(case)
    client = signed_in(world.users["ngo_worker"])
    _get(client, _url(plan), 404)
    plans.add_action(
        plan,
        domain="health",
        description=NGO_ACTION,
        owner_organisation=world.ngo_a,
        actor=world.users["care_coordinator"],
    )
    page = _get(client, _url(plan))
    assert NGO_ACTION in page and VICTIM_NAME[1] not in page
    _get(client, reverse("case_detail", args=[case.pk]), 404)


@pytest.mark.parametrize("persona", ["outsider", "front_desk", "national_coordinator"])
def test_it_checks_access(world: World, plan: Plan, signed_in: SignIn, persona: str) -> None:
    client = signed_in(world.users[persona])
    for url in (
        _url(plan),
        _url(plan, "plan_objective"),
        _url(plan, "plan_action"),
        _url(plan, "plan_review"),
        _url(plan, "plan_request", "shelter_placement"),
    ):
        _get(client, url, 404)
    assert client.post(_url(plan, "plan_status"), {"status": "active"}).status_code == 404
    other: Case = open_case(world, [municipality_signal(world)])
    # A plan asked for under another case's number does not exist either.
    _get(
        signed_in(world.users["care_coordinator"]),
        reverse("plan_detail", args=[other.pk, plan.pk]),
        404,
    )


def test_the_case_team_adds_an_action_by_the_form(
    world: World, plan: Plan, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    response = client.post(
        _url(plan, "plan_action"),
        {
            "domain": "income",
            "description": "Bijstand aanvragen",
            "owner_organisation": world.municipality_a.pk,
            "priority": "urgent",
        },
    )
    assert response.status_code == 302, response.content.decode()
    task = Task.objects.get(plan_action__description="Bijstand aanvragen")
    assert task.due_date == date(2026, 12, 1) and task.reference == plan.case.reference
    refused = client.post(
        _url(plan, "plan_action"),
        {
            "domain": "income",
            "description": "x",
            "owner_organisation": world.municipality_a.pk,
            "priority": "normal",
            "due_date": "2020-01-01",
        },
    )
    assert refused.status_code == 200 and "due_date" in refused.context["form"].errors


def test_an_active_plan_past_its_review_date_says_so(
    world: World, plan: Plan, signed_in: SignIn
) -> None:
    plans.set_plan_status(plan, "active", actor=world.users["care_coordinator"])
    client = signed_in(world.users["care_coordinator"])
    assert 'data-testid="review-overdue"' not in _get(client, _url(plan))
    with time_machine.travel(date(2027, 2, 1)):
        client = signed_in(world.users["care_coordinator"])  # the old session has expired
        assert 'data-testid="review-overdue"' in _get(client, _url(plan))


def test_our_tasks_filter_by_case(world: World, plan: Plan, signed_in: SignIn) -> None:
    page = _get(
        signed_in(world.users["police_analyst"]),
        reverse("task_list") + f"?reference={plan.case.reference}",
    )
    police_task = Task.objects.get(plan_action__description=POLICE_ACTION)
    assert reverse("task_detail", args=[police_task.pk]) in page
    empty = _get(
        signed_in(world.users["police_analyst"]), reverse("task_list") + "?reference=Z-99999"
    )
    assert 'data-testid="no-tasks"' in empty


def test_a_minors_plan_shows_its_blocking_condition_until_youth_care_is_involved(
    world: World, signed_in: SignIn
) -> None:
    _case, plan = minor_case(world)
    client = signed_in(world.users["care_coordinator"])
    page = _get(client, _url(plan))
    assert 'data-testid="blockers"' in page and 'data-field="youth_care"' in page
    assert MINOR_NAME[1] in page and "Veilig Thuis" in page
    client.post(_url(plan, "plan_status"), {"status": "active"})
    plan.refresh_from_db()
    assert plan.status == "draft"
    plans.add_action(
        plan,
        domain="safety",
        description="Jeugdbescherming betrekken",
        owner_organisation=youth_care(world),
        actor=world.users["care_coordinator"],
    )
    assert 'data-testid="blockers"' not in _get(client, _url(plan))
    client.post(_url(plan, "plan_status"), {"status": "active"})
    plan.refresh_from_db()
    assert plan.status == "active"


def test_the_action_form_names_each_objective_by_its_domain_and_whole_text(
    world: World, plan: Plan, signed_in: SignIn
) -> None:
    carla = world.users["care_coordinator"]
    text = "Inkomen en een bankrekening op eigen naam, zonder schulden van de werkgever."
    plans.add_objective(plan, "income", text, actor=carla)
    url = reverse("plan_action", args=[plan.case_id, plan.pk])
    page = signed_in(carla).get(url).content.decode()
    assert f"Inkomen: {text}" in page
    assert "income:" not in page


def test_a_status_the_plan_cannot_take_is_refused_with_a_reason(
    world: World, plan: Plan, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    before = Plan.objects.get(pk=plan.pk).status
    url = reverse("plan_status", args=[plan.case_id, plan.pk])
    page = client.post(url, {"status": "bogus"}, follow=True).content.decode()
    assert "De status is niet gewijzigd: Selecteer een geldige keuze." in page
    assert Plan.objects.get(pk=plan.pk).status == before
