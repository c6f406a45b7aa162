"""The plan API per persona: /api/v1/cases/{id}/plans/... shows what the presenter allows,
the case team changes the plan, the recipient answers a request, the outsider gets 404."""

from __future__ import annotations

import json

import pytest

from schakel.cases import plans, referrals
from schakel.cases.models import Plan
from schakel.cases.tests.helpers import TokenClient
from schakel.cases.tests.plan_helpers import case_with_plan, minor_case, shelter, youth_care
from schakel.signals.tests.factories import VICTIM_NAME
from schakel.tasks.models import Task
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db
CARE = "Een veilige opvangplek."
JUSTICE = "Beveiliging van de opvanglocatie."


@pytest.fixture
def plan(world: World) -> Plan:
    _case, plan = case_with_plan(world)
    carla = world.users["care_coordinator"]
    plans.add_objective(plan, "shelter", CARE, actor=carla)
    plans.add_objective(plan, "safety", JUSTICE, actor=carla)
    return plan


def _base(plan: Plan) -> str:
    return f"/api/v1/cases/{plan.case_id}/plans/"


def _detail(plan: Plan) -> str:
    return f"{_base(plan)}{plan.pk}/"


def test_the_care_coordinator_reads_and_changes_the_plan(
    world: World, plan: Plan, token_client: TokenClient
) -> None:
    client = token_client(world.users["care_coordinator"])
    assert [p["id"] for p in client.get(_base(plan)).json()] == list(
        plan.case.plans.order_by("pk").values_list("pk", flat=True)
    )
    body = client.get(_detail(plan)).json()
    assert VICTIM_NAME[1] in body["person"]
    assert {o["text"] for o in body["objectives"]} == {CARE, JUSTICE}
    assert {o["htcds_type"] for o in body["objectives"]} == {"SocialCare"}
    created = client.post(
        f"{_detail(plan)}actions/",
        {
            "domain": "health",
            "description": "Afspraak bij de huisarts.",
            "owner_organisation": world.ngo_a.pk,
            "priority": "low",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    action = created.json()["actions"][0]
    assert action["description"] == "Afspraak bij de huisarts." and action["htcds_type"] == "Health"
    assert Task.objects.get(pk=action["task"]).owner_organisation == world.ngo_a
    review = client.post(
        f"{_detail(plan)}reviews/",
        {"reviewed_on": "2026-11-29", "summary": "Goed gesprek."},
        format="json",
    )
    assert review.status_code == 201 and review.json()["next_review_on"] == "2027-01-10"
    active = client.post(f"{_detail(plan)}status/", {"status": "active"}, format="json")
    assert active.status_code == 200 and active.json()["status"] == "active"


def test_bad_input_is_refused_naming_the_fields(
    world: World, plan: Plan, token_client: TokenClient
) -> None:
    client = token_client(world.users["care_coordinator"])
    response = client.post(
        f"{_detail(plan)}actions/",
        {"domain": "holidays", "description": "", "owner_organisation": 999999, "colour": "red"},
        format="json",
    )
    assert response.status_code == 400
    assert "colour" in json.dumps(response.json())
    response = client.post(
        f"{_detail(plan)}actions/",
        {"domain": "holidays", "description": "", "owner_organisation": 999999},
        format="json",
    )
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"owner_organisation"}


def test_a_minors_plan_is_refused_active_naming_the_condition(
    world: World, token_client: TokenClient
) -> None:
    _case, plan = minor_case(world)
    client = token_client(world.users["care_coordinator"])
    body = client.get(_detail(plan)).json()
    assert [b["field"] for b in body["blockers"]] == ["youth_care"] and body["minor"] is True
    refused = client.post(f"{_detail(plan)}status/", {"status": "active"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "youth_care"
    plans.add_action(
        plan,
        domain="shelter",
        description="Beschermde opvang",
        owner_organisation=youth_care(world),
        actor=world.users["care_coordinator"],
    )
    assert (
        client.post(f"{_detail(plan)}status/", {"status": "active"}, format="json").status_code
        == 200
    )


def test_the_police_read_the_justice_details_only(
    world: World, plan: Plan, token_client: TokenClient
) -> None:
    client = token_client(world.users["police_analyst"])
    body = client.get(_detail(plan)).json()
    assert "person" not in body and body["redacted"] is True
    assert [o["text"] for o in body["objectives"]] == [JUSTICE] and body["hidden_objectives"] == 1
    assert "blockers" not in body
    change = client.post(f"{_detail(plan)}status/", {"status": "active"}, format="json")
    assert change.status_code == 403


def test_the_ngo_reads_its_own_action(world: World, plan: Plan, token_client: TokenClient) -> None:
    plans.add_action(
        plan,
        domain="shelter",
        description="Begeleiding",
        owner_organisation=world.ngo_a,
        actor=world.users["care_coordinator"],
    )
    body = token_client(world.users["ngo_worker"]).get(_detail(plan)).json()
    assert "person" not in body and body["objectives"] == []
    assert [a.get("description") for a in body["actions"]] == ["Begeleiding"]


def test_requests_through_the_api(world: World, plan: Plan, token_client: TokenClient) -> None:
    client = token_client(world.users["care_coordinator"])
    sent = client.post(
        f"{_detail(plan)}requests/",
        {"kind": "shelter_placement", "recipient": shelter(world).pk},
        format="json",
    )
    assert sent.status_code == 201, sent.content
    assert VICTIM_NAME[1] in sent.json()["content"]["person"]["name"]
    again = client.post(
        f"{_detail(plan)}requests/",
        {"kind": "shelter_placement", "recipient": shelter(world).pk},
        format="json",
    )
    assert again.status_code == 409
    pk = sent.json()["id"]
    assert (
        token_client(world.users["police_analyst"]).get(f"/api/v1/plan-requests/{pk}/").status_code
        == 404
    )
    withdrawn = client.post(
        f"/api/v1/plan-requests/{pk}/answer/", {"answer": "withdraw", "note": ""}, format="json"
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"


def test_the_recipient_answers_through_the_api(
    world: World, plan: Plan, token_client: TokenClient
) -> None:
    from schakel.cases.tests.plan_helpers import police_obliged_to_report

    record = referrals.register_with_comensha(
        plan,
        reporting_organisation=police_obliged_to_report(world),
        actor=world.users["care_coordinator"],
    )
    client = token_client(world.users["national_coordinator"])
    assert [r["id"] for r in client.get("/api/v1/plan-requests/").json()["results"]] == [record.pk]
    answer = client.post(
        f"/api/v1/plan-requests/{record.pk}/answer/", {"answer": "accept"}, format="json"
    )
    assert answer.status_code == 200 and answer.json()["status"] == "accepted"


@pytest.mark.parametrize("persona", ["outsider", "front_desk"])
def test_it_checks_access(
    world: World, plan: Plan, token_client: TokenClient, persona: str
) -> None:
    client = token_client(world.users[persona])
    record = referrals.request_shelter_placement(
        plan, recipient=shelter(world), actor=world.users["care_coordinator"]
    )
    # The case does not exist for them: not even an empty list of its plans.
    assert client.get(_base(plan)).status_code == 404
    assert client.get(_detail(plan)).status_code == 404
    for path, body in (
        ("objectives/", {"domain": "health", "text": "x"}),
        ("actions/", {"domain": "health", "description": "x", "owner_organisation": 1}),
        ("reviews/", {"reviewed_on": "2026-11-29", "summary": "x"}),
        ("status/", {"status": "active"}),
        ("requests/", {"kind": "shelter_placement", "recipient": shelter(world).pk}),
    ):
        assert client.post(f"{_detail(plan)}{path}", body, format="json").status_code == 404
    assert client.get(f"/api/v1/plan-requests/{record.pk}/").status_code == 404
    assert (
        client.post(
            f"/api/v1/plan-requests/{record.pk}/answer/", {"answer": "accept"}, format="json"
        ).status_code
        == 404
    )


def test_the_openapi_document_describes_the_plan_endpoints(
    world: World, token_client: TokenClient
) -> None:
    paths = (
        token_client(world.users["care_coordinator"]).get("/api/v1/openapi.json").json()["paths"]
    )
    base = "/api/v1/cases/{case_pk}/plans/{id}/"
    assert "get" in paths["/api/v1/cases/{case_pk}/plans/"] and "get" in paths[base]
    for action in ("objectives", "actions", "reviews", "status", "requests"):
        assert "post" in paths[f"{base}{action}/"]
    assert "post" in paths["/api/v1/plan-requests/{id}/answer/"]


def test_the_openapi_document_is_valid() -> None:
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
