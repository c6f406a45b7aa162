"""The cases API per persona: lists filter in the query, hidden personal data never reaches
the JSON, the outsider gets 404, and coordinators open cases."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from schakel.audit.models import AuditEntry
from schakel.cases.models import Case
from schakel.cases.tests.helpers import (
    NGO_VICTIM,
    TokenClient,
    municipality_signal,
    ngo_signal,
    open_case,
)
from schakel.signals.models import Signal
from schakel.signals.tests.factories import SUSPECT_NAME, VICTIM_NAME
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db
LIST = "/api/v1/cases/"


@pytest.fixture
def signals(world: World) -> tuple[Signal, Signal]:
    return municipality_signal(world), ngo_signal(world)


@pytest.fixture
def case(world: World, signals: tuple[Signal, Signal]) -> Case:
    return open_case(world, list(signals))


def _detail(client: APIClient, case: Case, status: int = 200) -> str:
    response = client.get(f"{LIST}{case.pk}/")
    assert response.status_code == status, response.content
    return response.content.decode()


def test_the_care_coordinator_gets_the_whole_case(
    world: World, case: Case, token_client: TokenClient
) -> None:
    body = _detail(token_client(world.users["care_coordinator"]), case)
    data = json.loads(body)
    assert data["reference"] == case.reference and data["htcds_status"] == "Active"
    assert {p["role"] for p in data["people"]} == {"possible_victim", "suspect"}
    assert VICTIM_NAME[1] in body and SUSPECT_NAME[1] in body and NGO_VICTIM[1] in body
    assert data["hits"] == [] and data["redacted"] is False
    assert data["care_coordinator"] and [h["status"] for h in data["history"]] == ["active"]


def test_the_police_get_justice_details_and_hits_for_care_details(
    world: World, case: Case, token_client: TokenClient
) -> None:
    body = _detail(token_client(world.users["police_analyst"]), case)
    data = json.loads(body)
    assert SUSPECT_NAME[1] in body
    assert VICTIM_NAME[1] not in body and NGO_VICTIM[1] not in body
    assert {h["kind"]: h["count"] for h in data["hits"]} == {"person:possible_victim": 2}


def test_the_police_get_only_a_redacted_care_referral_and_no_red_case(
    world: World, signals: tuple[Signal, Signal], token_client: TokenClient
) -> None:
    referral = open_case(world, [signals[0]], purpose="care_referral")
    red = open_case(world, [signals[0]], tlp="RED")
    client = token_client(world.users["police_analyst"])
    body = _detail(client, referral)
    data = json.loads(body)
    assert data["people"] == [] and data["redacted"] is True
    assert "care_coordinator" not in data and "history" not in data
    assert SUSPECT_NAME[1] not in body
    _detail(client, red, 404)
    listed = [row["id"] for row in client.get(LIST).json()["results"]]
    assert referral.pk in listed and red.pk not in listed


def test_the_ngo_sees_its_own_signal_and_no_one(
    world: World, case: Case, signals: tuple[Signal, Signal], token_client: TokenClient
) -> None:
    body = _detail(token_client(world.users["ngo_worker"]), case)
    data = json.loads(body)
    assert data["signals"] == [signals[1].reference]
    assert data["people"] == []
    assert NGO_VICTIM[1] not in body and VICTIM_NAME[1] not in body


@pytest.mark.parametrize("persona", ["outsider", "front_desk", "national_coordinator"])
def test_it_checks_access(
    world: World, case: Case, token_client: TokenClient, persona: str
) -> None:
    client = token_client(world.users[persona])
    _detail(client, case, 404)
    assert client.get(LIST).json()["results"] == []
    assert client.get(f"{LIST}999999/").status_code == 404


def test_the_list_filters_by_status(world: World, case: Case, token_client: TokenClient) -> None:
    client = token_client(world.users["care_coordinator"])
    assert [r["id"] for r in client.get(LIST).json()["results"]] == [case.pk]
    assert client.get(LIST + "?status=closed").json()["results"] == []
    assert client.get(LIST + "?status=nonsense").status_code == 400


def test_reading_a_case_is_audited_with_its_purpose(
    world: World, case: Case, token_client: TokenClient
) -> None:
    client = token_client(world.users["care_coordinator"])  # issuing a token is audited too
    before = AuditEntry.objects.count()
    _detail(client, case)
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.order_by("-position").first()
    assert entry is not None and entry.object_ids["cases.case"] == [case.pk]
    assert entry.purpose == "victim_protection"


def test_a_coordinator_opens_a_case_through_the_api(
    world: World, signals: tuple[Signal, Signal], token_client: TokenClient
) -> None:
    client = token_client(world.users["care_coordinator"])
    response = client.post(
        LIST,
        {
            "signals": [s.reference for s in signals],
            "region": world.region_a.code,
            "care_coordinator": world.users["care_coordinator"].pk,
            "tlp": "AMBER+STRICT",
            "purpose": "victim_protection",
            "sharing_groups": [world.table_a.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert response["Location"].endswith(f"{LIST}{case.pk}/")
    assert response.json()["tlp"] == "AMBER+STRICT"
    assert case.signal_links.count() == 2


def test_opening_through_the_api_names_every_problem_and_hides_what_is_not_yours(
    world: World, token_client: TokenClient
) -> None:
    hidden = ngo_signal(world, tlp="RED", sharing_group_ids=[], recipient_ids=[world.ngo_a.pk])
    client = token_client(world.users["care_coordinator"])
    response = client.post(
        LIST,
        {"signals": [hidden.reference], "region": "XX", "care_coordinator": 999999},
        format="json",
    )
    assert response.status_code == 400
    fields = {p["field"] for p in response.json()["errors"]}
    assert fields == {"signals", "region", "care_coordinator"}
    response = client.post(
        LIST, {"signals": [], "region": world.region_a.code, "tlp": "CLEAR"}, format="json"
    )
    assert response.status_code == 400
    forbidden = token_client(world.users["police_analyst"]).post(
        LIST, {"signals": [], "region": world.region_a.code}, format="json"
    )
    assert forbidden.status_code == 403
    assert not Case.objects.exists()


def test_the_openapi_document_describes_the_case_endpoints(
    world: World, token_client: TokenClient
) -> None:
    response = token_client(world.users["care_coordinator"]).get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    assert set(paths["/api/v1/cases/"]) >= {"get", "post"}
    assert "get" in paths["/api/v1/cases/{id}/"]
