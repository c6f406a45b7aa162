"""Structured requests from the plan: generated from what the case holds (no second data
entry), with a status; seen by the recipient and the case team only; the recipient answers."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from schakel.cases import persons, referrals
from schakel.cases.models import Plan, PlanRequest
from schakel.cases.tests.helpers import SignIn, absorbed_by_linkage
from schakel.cases.tests.plan_helpers import case_with_plan, police_obliged_to_report, shelter
from schakel.errors import Conflict, InvalidFields, NotAllowed
from schakel.partners.services import create_user
from schakel.partners.vocabulary import Role
from schakel.signals.tests.factories import VICTIM_NAME
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(world: World) -> Plan:
    _case, plan = case_with_plan(world)
    carla = world.users["care_coordinator"]
    persons.record_trafficking_status(
        plan.person,
        "possible_victim",
        deciding_organisation=world.municipality_a,
        decided_on=date(2026, 11, 25),
        basis="Signalen van uitbuiting",
        actor=carla,
    )
    persons.offer_reflection_period(
        plan.person, offered_on=date(2026, 11, 26), offered_by=world.municipality_a, actor=carla
    )
    return plan


def test_a_shelter_request_is_generated_from_the_case(world: World, plan: Plan) -> None:
    record = referrals.request_shelter_placement(
        plan, recipient=shelter(world), actor=world.users["care_coordinator"]
    )
    content = record.content
    assert content["case"] == plan.case.reference
    assert VICTIM_NAME[1] in content["person"]["name"]
    assert content["person"]["date_of_birth"] == "1999-03-04"
    assert content["person"]["nationality"] == "RO" and content["person"]["minor"] is False
    assert content["trafficking_status"]["htcds"] == "PossibleVictimOfTrafficking"
    assert content["reflection_period"] == {"offered_on": "2026-11-26", "ends_on": "2027-02-26"}
    assert content["forms_of_exploitation"] == ["labour"]
    assert content["care_coordinator"]["email"] == "carla@example.test"
    assert record.status == "sent"
    with pytest.raises(Conflict):
        referrals.request_shelter_placement(
            plan, recipient=shelter(world), actor=world.users["care_coordinator"]
        )


def test_requests_go_only_to_partners_that_act_on_them(world: World, plan: Plan) -> None:
    carla = world.users["care_coordinator"]
    with pytest.raises(InvalidFields) as not_a_shelter:
        referrals.request_shelter_placement(plan, recipient=world.ngo_a, actor=carla)
    assert not_a_shelter.value.field == "recipient"
    with pytest.raises(InvalidFields) as not_obliged:
        referrals.register_with_comensha(plan, reporting_organisation=world.ngo_a, actor=carla)
    assert not_obliged.value.field == "reporting_organisation"
    with pytest.raises(NotAllowed):
        referrals.request_shelter_placement(
            plan, recipient=shelter(world), actor=world.users["police_analyst"]
        )


def test_the_comensha_registration_goes_to_the_national_centre(world: World, plan: Plan) -> None:
    record = referrals.register_with_comensha(
        plan,
        reporting_organisation=police_obliged_to_report(world),
        actor=world.users["care_coordinator"],
    )
    assert record.recipient == world.national
    assert record.reporting_organisation == world.police_a
    assert record.content["trafficking_status"]["decided_by"] == world.municipality_a.name


def test_a_request_keeps_what_the_signals_say_when_linkage_merges_the_person(
    world: World, plan: Plan
) -> None:
    before = referrals.request_content(plan, "comensha_registration")
    absorbed_by_linkage(world, plan.person, VICTIM_NAME)
    plan.person.refresh_from_db()
    after = referrals.request_content(plan, "comensha_registration")
    assert after["person"]["date_of_birth"] and after["person"] == before["person"]


def test_the_recipient_answers_and_only_the_recipient(world: World, plan: Plan) -> None:
    record = referrals.register_with_comensha(
        plan,
        reporting_organisation=police_obliged_to_report(world),
        actor=world.users["care_coordinator"],
    )
    with pytest.raises(NotAllowed):
        referrals.respond(record, accepted=True, actor=world.users["care_coordinator"])
    with pytest.raises(InvalidFields) as why:
        referrals.respond(record, accepted=False, actor=world.users["national_coordinator"])
    assert why.value.field == "note"
    record = referrals.respond(record, accepted=True, actor=world.users["national_coordinator"])
    assert record.status == "accepted"
    with pytest.raises(Conflict):
        referrals.withdraw(record, actor=world.users["care_coordinator"])


def test_the_request_page_per_persona(world: World, plan: Plan, signed_in: SignIn) -> None:
    worker = create_user(shelter(world), "sam", roles=[Role.PROFESSIONAL])
    record = referrals.request_shelter_placement(
        plan, recipient=shelter(world), actor=world.users["care_coordinator"]
    )
    url = reverse("plan_request_detail", args=[record.pk])
    client = signed_in(worker)
    page = client.get(url).content.decode()
    # Dates, countries and codes as the reader reads them, not as stored.
    assert VICTIM_NAME[1] in page and "4 maart 1999" in page and "1999-03-04" not in page
    assert "Roemenië" in page
    response = client.post(url, {"answer": "accept", "note": "Plek per 3 december"})
    assert response.status_code == 302
    assert PlanRequest.objects.get(pk=record.pk).status == "accepted"
    for persona in ("police_analyst", "ngo_worker", "outsider"):
        assert signed_in(world.users[persona]).get(url).status_code == 404
    carla_page = signed_in(world.users["care_coordinator"]).get(url).content.decode()
    assert "Plek per 3 december" in carla_page


def test_the_plan_shows_requests_as_the_matrix_allows(
    world: World, plan: Plan, signed_in: SignIn
) -> None:
    record = referrals.request_shelter_placement(
        plan, recipient=shelter(world), actor=world.users["care_coordinator"]
    )
    detail = reverse("plan_request_detail", args=[record.pk])
    plan_url = reverse("plan_detail", args=[plan.case_id, plan.pk])
    carla = signed_in(world.users["care_coordinator"]).get(plan_url).content.decode()
    assert detail in carla and 'data-testid="requests"' in carla
    police = signed_in(world.users["police_analyst"]).get(plan_url).content.decode()
    assert 'data-testid="requests"' in police and detail not in police  # that it exists only


def test_the_case_team_sends_a_request_by_the_form(
    world: World, plan: Plan, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    url = reverse("plan_request", args=[plan.case_id, plan.pk, "comensha_registration"])
    refused = client.post(url, {"reporting_organisation": world.ngo_a.pk})
    assert refused.status_code == 200  # the NGO is not among the choices
    police_obliged_to_report(world)
    assert client.post(url, {"reporting_organisation": world.police_a.pk}).status_code == 302
    assert PlanRequest.objects.get(plan=plan).kind == "comensha_registration"
    assert (
        client.get(reverse("plan_request", args=[plan.case_id, plan.pk, "holiday"])).status_code
        == 404
    )
