"""The national view (issue 5, point 10): per region, cases and plans by status, overdue plan
actions, Dublin transfer holds and open handovers — counts computed in the database, the same
number of queries for two regions as for six — and below them the cases the national
coordinator may see under the matrix. Persona tests for the page and the endpoint: the
national coordinator sees them; the care coordinator, the police analyst and the outsider get
403; an anonymous visitor is sent to log in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from schakel.cases import handovers, holds, national, persons, plans, services
from schakel.cases.models import Case, Plan
from schakel.cases.tests.helpers import SignIn, TokenClient, municipality_signal, open_case
from schakel.cases.tests.plan_helpers import case_with_plan
from schakel.partners.models import Organisation, Region, User
from schakel.partners.services import create_user
from schakel.partners.vocabulary import RegionKind, Role, Sector
from schakel.signals.tests.factories import VICTIM_NAME, make_signal
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db

URL = "/cases/national/"
API = "/api/v1/cases/national/"
#: The plan action agreed for this day is overdue from the day after.
DUE = date(2026, 12, 1)
LATER = "2026-12-03 10:00"


@dataclass
class Figures:
    plan_case: Case
    closed: Case
    case_b: Case
    national_case: Case


def _case_in_region_b(world: World) -> Case:
    """Otto's case, led by the municipality of region B."""
    otto = world.users["outsider"]
    signal = make_signal(otto, groups=[world.table_b])
    return services.open_case(
        lead_organisation=world.municipality_b,
        region=world.region_b,
        signals=[signal],
        care_coordinator=otto,
        sharing_groups=[world.table_b],
        actor=otto,
    )


def _national_case(world: World) -> Case:
    """A case the national coordination centre leads (in region B): the one case Nadia may
    see under the matrix's view rules."""
    kees = create_user(world.national, "kees", roles=[Role.COORDINATOR], email="kees@example.test")
    signal = make_signal(kees, groups=[])
    return services.open_case(
        lead_organisation=world.national, region=world.region_b, signals=[signal], actor=kees
    )


def _build(world: World) -> Figures:
    carla = world.users["care_coordinator"]
    # Region A: a case with two plans (two possible victims), an overdue action, a Dublin
    # hold and an open handover; a second case closed.
    plan_case, plan = case_with_plan(world)
    plans.add_action(
        plan,
        domain="shelter",
        description="Opvangplek zoeken",
        owner_organisation=world.ngo_a,
        due_date=DUE,
        actor=carla,
    )
    victim = plan_case.people.get(entity__caption__contains=VICTIM_NAME[1])
    persons.record_migration_status(victim, "dublin_claimant", actor=carla)
    assert holds.active_hold(victim) is not None
    handovers.request_handover(
        plan_case, to_organisation=world.municipality_b, reason="Cliënt verhuist.", actor=carla
    )
    closed = open_case(world, [municipality_signal(world, indicator_ids=[])])
    services.change_status(closed, "closed", reason="Afgerond.", actor=carla)
    # Region B: Otto's case in follow-up, and the case the national centre leads.
    case_b = _case_in_region_b(world)
    services.change_status(case_b, "follow_up", actor=world.users["outsider"])
    return Figures(plan_case, closed, case_b, _national_case(world))


def _row(overview: national.NationalOverview, region: Region) -> national.RegionFigures:
    (row,) = [r for r in overview.regions if r.region == region]
    return row


def test_the_figures_per_region_count_cases_plans_overdue_actions_holds_and_handovers(
    world: World,
) -> None:
    _build(world)
    nadia = world.users["national_coordinator"]
    plans_a = Plan.objects.filter(case__region=world.region_a).count()
    assert plans_a >= 2

    overview = national.national_overview(nadia, today=date(2026, 11, 29))
    a, b = _row(overview, world.region_a), _row(overview, world.region_b)
    assert a.cases == {"active": 1, "closed": 1}
    assert a.plans_total == plans_a and a.plans.get("draft") == plans_a
    assert (a.overdue_actions, a.active_holds, a.open_handovers) == (0, 1, 1)
    assert b.cases == {"active": 1, "follow_up": 1}
    assert (b.overdue_actions, b.active_holds, b.open_handovers) == (0, 0, 0)
    assert overview.totals.cases_total == 4 and overview.totals.open_cases == 3
    assert overview.totals.active_holds == 1 and overview.totals.open_handovers == 1
    # Only regions (and places that hold a case): no municipality, no country row.
    assert {r.region for r in overview.regions} == {world.region_a, world.region_b}

    with time_machine.travel(LATER, tick=False):
        later = national.national_overview(nadia)
    assert _row(later, world.region_a).overdue_actions == 1
    assert _row(later, world.region_b).overdue_actions == 0
    assert later.totals.overdue_actions == 1


def test_an_overdue_action_of_a_closed_case_is_not_counted(world: World) -> None:
    figures = _build(world)
    carla = world.users["care_coordinator"]
    # A case is not closed under a Dublin transfer hold; here its conditions end first.
    victim = figures.plan_case.people.get(entity__caption__contains=VICTIM_NAME[1])
    persons.record_migration_status(victim, "refugee", actor=carla)
    services.change_status(figures.plan_case, "closed", reason="Afgerond.", actor=carla)
    with time_machine.travel(LATER, tick=False):
        overview = national.national_overview(world.users["national_coordinator"])
    assert _row(overview, world.region_a).overdue_actions == 0


def test_the_national_coordinator_sees_the_figures_and_only_the_cases_the_matrix_allows(
    world: World, signed_in: SignIn
) -> None:
    figures = _build(world)
    with time_machine.travel(LATER, tick=False):
        # Signed in on that day: a session does not last four days.
        response = signed_in(world.users["national_coordinator"]).get(URL)
    assert response.status_code == 200
    overview = response.context["overview"]
    assert _row(overview, world.region_a).overdue_actions == 1
    html = response.content.decode()
    assert 'data-region="PR-ZWB"' in html and 'data-region="PR-NN"' in html
    assert '<th scope="row"' in html and "<caption" in html
    # The list below: the case the national centre leads; none of the regions' own cases.
    assert [c.pk for c in response.context["page"]] == [figures.national_case.pk]
    assert figures.national_case.reference in html
    for hidden in (figures.plan_case, figures.closed, figures.case_b):
        assert hidden.reference not in html
    # The figures carry no personal data.
    assert VICTIM_NAME[1] not in html
    assert 'data-testid="nav-national"' in html


@pytest.mark.parametrize("persona", ["care_coordinator", "police_analyst", "outsider"])
def test_it_refuses_the_page_and_the_endpoint_to_everyone_else(
    world: World, signed_in: SignIn, token_client: TokenClient, persona: str
) -> None:
    _build(world)
    user = world.users[persona]
    page = signed_in(user).get(URL)
    assert page.status_code == 403
    assert 'data-testid="nav-national"' not in signed_in(user).get("/cases/").content.decode()
    answer = token_client(user).get(API)
    assert answer.status_code == 403
    assert answer.json()["errors"][0]["code"] == "not_allowed"


def test_an_anonymous_visitor_is_sent_to_log_in(world: World, client: object) -> None:
    from django.test import Client

    assert isinstance(client, Client)
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]
    assert APIClient().get(API).status_code in (401, 403)


def test_the_endpoint_gives_the_same_figures(world: World, token_client: TokenClient) -> None:
    _build(world)
    with time_machine.travel(LATER, tick=False):
        data = token_client(world.users["national_coordinator"]).get(API).json()
    assert data["date"] == "2026-12-03"
    regions = {r["region"]["code"]: r for r in data["regions"]}
    a, b = regions["PR-ZWB"], regions["PR-NN"]
    assert a["cases"] == {"active": 1, "follow_up": 0, "closed": 1, "closed_referred": 0}
    assert (a["overdue_actions"], a["active_holds"], a["open_handovers"]) == (1, 1, 1)
    assert a["plans_total"] == a["plans"]["draft"] >= 2
    assert b["cases_total"] == 2 and b["cases"]["follow_up"] == 1
    assert data["totals"]["region"] is None and data["totals"]["cases_total"] == 4
    assert data["totals"]["overdue_actions"] == 1


def test_the_openapi_document_describes_the_national_endpoint(
    world: World, token_client: TokenClient
) -> None:
    paths = (
        token_client(world.users["care_coordinator"]).get("/api/v1/openapi.json").json()["paths"]
    )
    operation = paths[API]["get"]
    assert set(operation["responses"]) >= {"200", "403"}


def _more_regions(world: World, count: int) -> None:
    """``count`` more regions, each with an active case (and its plan), a closed one and a
    hold, all led by the municipality of region B."""
    otto = world.users["outsider"]
    for index in range(count):
        region = Region.objects.create(
            code=f"PR-X{index}",
            name=f"Regio {index}",
            kind=RegionKind.REGION,
            parent=world.netherlands,
            country_code="NL",
        )
        for status in ("active", "closed"):
            signal = make_signal(otto, groups=[world.table_b])
            case = services.open_case(
                lead_organisation=world.municipality_b,
                region=region,
                signals=[signal],
                care_coordinator=otto,
                actor=otto,
            )
            if status == "closed":
                services.change_status(case, "closed", reason="Klaar.", actor=otto)
            else:
                victim = case.people.get(entity__caption__contains=VICTIM_NAME[1])
                persons.record_migration_status(victim, "dublin_claimant", actor=otto)


def _queries_for_page(client: object) -> int:
    from django.test import Client

    assert isinstance(client, Client)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    return len(queries)


def test_the_page_makes_as_many_queries_for_many_regions_and_cases_as_for_few(
    world: World, signed_in: SignIn
) -> None:
    _build(world)
    client = signed_in(world.users["national_coordinator"])
    client.get(URL)  # warm caches (the matrix, the vocabularies)
    few = _queries_for_page(client)
    _more_regions(world, 4)
    # and more cases Nadia may see in the list below
    _national_case_more(world, 3)
    many = _queries_for_page(client)
    assert many == few
    assert len(national.national_overview(world.users["national_coordinator"]).regions) == 6


def _national_case_more(world: World, count: int) -> None:
    kees = User.objects.get(username="kees")
    for _ in range(count):
        services.open_case(
            lead_organisation=world.national,
            region=world.region_a,
            signals=[make_signal(kees, groups=[])],
            actor=kees,
        )


def test_only_the_matrix_rule_lets_a_user_oversee(world: World) -> None:
    assert national.may_oversee(world.users["national_coordinator"])
    for persona in ("care_coordinator", "police_analyst", "ngo_worker", "org_admin", "outsider"):
        assert not national.may_oversee(world.users[persona]), persona
    # A national coordinator's role is what counts, not the organisation's sector.
    elsewhere = Organisation.objects.create(
        name="Politie Landelijk", sector=Sector.POLICE, region=world.netherlands
    )
    other = create_user(
        elsewhere, "lotte", roles=[Role.NATIONAL_COORDINATOR], email="lotte@example.test"
    )
    assert national.may_oversee(other)
