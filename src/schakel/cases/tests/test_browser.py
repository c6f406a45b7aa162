"""The case pages in Chromium: an axe check (no serious or critical violations) and the
keyboard, for the care coordinator's full view and the police's redacted one."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from schakel.cases import persons
from schakel.cases.models import Case, CasePerson
from schakel.cases.tests.helpers import municipality_signal, ngo_signal, open_case
from schakel.testing.browser import page_as
from schakel.testing.personas import World
from schakel.web.tests import test_browser

pytestmark = pytest.mark.browser
# The browser and the committed world come from the test plugin (schakel.testing.browser).
_serious_violations = test_browser._serious_violations
_check_keyboard = test_browser._check_keyboard


def case_with_possible_victim(world: World) -> tuple[Case, CasePerson]:
    """The municipality's and the NGO's signals as a case, its first victim recorded by the
    police as a possible victim."""
    case = open_case(world, [municipality_signal(world), ngo_signal(world)])
    victim = case.people.filter(role="possible_victim").first()
    assert victim is not None
    persons.record_trafficking_status(
        victim,
        "possible_victim",
        deciding_organisation=world.police_a,
        decided_on=date(2026, 11, 25),
        basis="Signalen van twee partners.",
        actor=world.users["care_coordinator"],
    )
    return case, victim


def test_the_case_pages_pass_axe_and_work_by_keyboard(
    live_world: World, browser: Any, live_server: Any
) -> None:
    case, victim = case_with_possible_victim(live_world)
    carla = live_world.users["care_coordinator"]
    persons.offer_reflection_period(
        victim, offered_on=date(2026, 11, 25), offered_by=live_world.police_a, actor=carla
    )
    pages = {
        "care_coordinator": [
            "/cases/",
            f"/cases/{case.pk}/",
            "/cases/new/",
            f"/cases/{case.pk}/status/",
            f"/cases/{case.pk}/people/{victim.pk}/trafficking-status/",
            f"/cases/{case.pk}/people/{victim.pk}/migration-status/",
            f"/cases/{case.pk}/people/{victim.pk}/reflection/",
        ],
        "police_analyst": ["/cases/", f"/cases/{case.pk}/"],
        "ngo_worker": [f"/cases/{case.pk}/"],
    }
    _check_pages_of_personas(browser, live_server, live_world, pages)


def test_the_plan_pages_pass_axe_and_work_by_keyboard(
    live_world: World, browser: Any, live_server: Any
) -> None:
    from schakel.cases import plans, referrals
    from schakel.cases.tests.plan_helpers import case_with_plan, minor_case, shelter

    case, plan = case_with_plan(live_world)
    carla = live_world.users["care_coordinator"]
    plans.add_objective(plan, "shelter", "Een veilige opvangplek.", actor=carla)
    plans.add_objective(plan, "safety", "Beveiliging van de opvang.", actor=carla)
    plans.add_action(
        plan,
        domain="shelter",
        description="Begeleiding",
        owner_organisation=live_world.ngo_a,
        actor=carla,
    )
    plans.record_review(plan, reviewed_on=date(2026, 11, 29), summary="Gesprek.", actor=carla)
    record = referrals.request_shelter_placement(plan, recipient=shelter(live_world), actor=carla)
    minor, minor_plan = minor_case(live_world)
    base = f"/cases/{case.pk}/plans/{plan.pk}/"
    pages = {
        "care_coordinator": [
            base,
            f"{base}objectives/new/",
            f"{base}actions/new/",
            f"{base}reviews/new/",
            f"{base}requests/shelter_placement/",
            f"{base}requests/comensha_registration/",
            f"/cases/requests/{record.pk}/",
            f"/cases/{minor.pk}/plans/{minor_plan.pk}/",
        ],
        "police_analyst": [base],
        "ngo_worker": [base],
    }
    _check_pages_of_personas(browser, live_server, live_world, pages)


def test_the_handover_and_transfer_hold_pages_pass_axe_and_work_by_keyboard(
    live_world: World, browser: Any, live_server: Any
) -> None:
    from schakel.cases import handovers, holds
    from schakel.partners.models import Organisation, OrganisationFunction
    from schakel.partners.services import create_user
    from schakel.partners.vocabulary import Function, Role, Sector

    carla = live_world.users["care_coordinator"]
    case = open_case(live_world, [municipality_signal(live_world)])
    victim = case.people.filter(role="possible_victim").first()
    assert victim is not None
    liaison_desk = Organisation.objects.create(
        name="IND Liaison Zuid", sector=Sector.IMMIGRATION_SERVICE, region=live_world.region_a
    )
    OrganisationFunction.objects.create(
        organisation=liaison_desk, function=Function.IMMIGRATION_LIAISON
    )
    persons.record_migration_status(victim, "dublin_claimant", actor=carla)
    hold = holds.active_hold(victim)
    assert hold is not None
    receiving = Organisation.objects.create(
        name="Gemeente Tilburg", sector=Sector.MUNICIPALITY, region=live_world.region_a
    )
    create_user(receiving, "rita", roles=[Role.COORDINATOR], email="rita@example.test")
    handover = handovers.request_handover(
        case, to_organisation=receiving, reason="Cliënt verhuist.", actor=carla
    )
    pages = {
        "care_coordinator": [
            f"/cases/{case.pk}/",
            f"/cases/{case.pk}/handovers/new/",
            f"/cases/handovers/{handover.pk}/",
            f"/cases/holds/{hold.pk}/",
        ],
        "police_analyst": [f"/cases/holds/{hold.pk}/"],
    }
    _check_pages_of_personas(browser, live_server, live_world, pages)


def test_the_case_timeline_passes_axe_and_works_by_keyboard(
    live_world: World, browser: Any, live_server: Any
) -> None:
    from schakel.cases import plans
    from schakel.cases.tests.plan_helpers import plan_of

    carla = live_world.users["care_coordinator"]
    case, _victim = case_with_possible_victim(live_world)
    plans.add_action(
        plan_of(case),
        domain="shelter",
        description="Begeleiding",
        owner_organisation=live_world.ngo_a,
        actor=carla,
    )
    timeline = f"/cases/{case.pk}/timeline/"
    pages = {
        "care_coordinator": [timeline, f"{timeline}?kind=task"],
        "police_analyst": [timeline],
        "ngo_worker": [timeline],
    }
    _check_pages_of_personas(browser, live_server, live_world, pages)


def _check_pages_of_personas(
    browser: Any, live_server: Any, world: World, pages: dict[str, list[str]]
) -> None:
    """Each persona's pages answer 200 with no serious axe violation; then the keyboard."""
    for persona, urls in pages.items():
        page = page_as(browser, live_server, world, persona)
        for url in urls:
            response = page.goto(url)
            assert response is not None and response.status == 200, (persona, url)
            assert _serious_violations(page) == [], (persona, url)
        _check_keyboard(page)
        page.context.close()


def test_the_national_view_passes_axe_and_works_by_keyboard(
    live_world: World, browser: Any, live_server: Any
) -> None:
    open_case(live_world, [municipality_signal(live_world)])
    pages = {"national_coordinator": ["/cases/national/"]}
    _check_pages_of_personas(browser, live_server, live_world, pages)
