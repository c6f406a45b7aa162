"""Reading and changing signals through the API, per persona: lists filter in the query,
hidden personal data never reaches the JSON, the outsider gets 404 on every object endpoint."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from schakel.audit.models import AuditEntry
from schakel.partners.models import User
from schakel.signals.models import Signal, TriageRecord
from schakel.signals.tests.factories import SUSPECT_NAME, VICTIM_NAME, make_signal
from schakel.testing.personas import World
from schakel.web.api_auth import issue_api_token

pytestmark = pytest.mark.django_db
TokenClient = Callable[[User], APIClient]


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    # The rate limit counts in the process's cache, by user id and (travelled) time: start
    # and leave each test with no requests counted, whatever ran before in this process.
    cache.clear()
    with time_machine.travel("2026-11-29 10:00", tick=True):
        yield
    cache.clear()


@pytest.fixture
def token_client() -> TokenClient:
    def make(user: User) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user)}")
        return client

    return make


@pytest.fixture
def amber(world: World) -> Signal:
    return make_signal(world.users["care_coordinator"], groups=[world.table_a])


@pytest.fixture
def green(world: World) -> Signal:
    return make_signal(world.users["care_coordinator"], groups=[world.table_a], tlp="GREEN")


def url(signal: Signal, suffix: str = "") -> str:
    return f"/api/v1/signals/{signal.reference}/{suffix}"


def _references(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["reference"] for row in response.json()["results"]]


def test_the_list_holds_what_the_policy_lets_the_user_see(
    world: World, amber: Signal, token_client: TokenClient
) -> None:
    theirs = make_signal(world.users["outsider"], groups=[world.table_b])
    for persona, expected in (
        ("care_coordinator", [amber.reference]),
        ("police_analyst", [amber.reference]),
        ("ngo_worker", []),  # AMBER does not reach civil society
        ("outsider", [theirs.reference]),
    ):
        listed = token_client(world.users[persona]).get("/api/v1/signals/")
        assert _references(listed) == expected, persona
    row = token_client(world.users["police_analyst"]).get("/api/v1/signals/").json()["results"][0]
    assert row["url"] == url(amber) and row["owner_organisation"]["name"] == "Gemeente Breda"
    assert "description" not in row and "persons" not in row


def test_the_list_filters_by_band_owner_and_date(world: World, token_client: TokenClient) -> None:
    police = world.users["police_analyst"]
    carla = world.users["care_coordinator"]
    urgent = make_signal(
        carla, groups=[world.table_a], indicator_ids=["ilo.physical_and_sexual_violence"]
    )
    with time_machine.travel(timezone.now() - timedelta(days=10)):
        older = make_signal(police, groups=[world.table_a], observed_on=None)
    assert urgent.band == "urgent" and older.band != "urgent"
    client = token_client(police)
    assert _references(client.get("/api/v1/signals/", {"owner": "mine"})) == [older.reference]
    assert _references(client.get("/api/v1/signals/", {"band": urgent.band})) == [urgent.reference]
    recent = client.get("/api/v1/signals/", {"received_after": "2026-11-25"})
    assert _references(recent) == [urgent.reference]
    page = client.get("/api/v1/signals/", {"limit": 1}).json()
    assert page["count"] == 2 and len(page["results"]) == 1 and page["next"]


def test_a_bad_filter_is_named(world: World, token_client: TokenClient) -> None:
    response = token_client(world.users["police_analyst"]).get(
        "/api/v1/signals/", {"band": "red", "owner": "yours", "received_after": "gisteren"}
    )
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"band", "owner", "received_after"}


@pytest.mark.parametrize(
    ("received_after", "listed"),
    [
        ("0001-01-01", True),
        ("0001-01-01T00:00:00+14:00", True),
        ("9999-12-31", False),
        ("9999-12-31T23:59:59-12:00", False),
    ],
)
def test_a_moment_beyond_what_utc_can_hold_filters_as_the_first_or_last(
    world: World, amber: Signal, token_client: TokenClient, received_after: str, listed: bool
) -> None:
    """A valid date at the edge of the calendar may fall before year 1 or after year 9999 once
    it is in UTC (as the database compares it): it lists everything or nothing, never a 500."""
    response = token_client(world.users["police_analyst"]).get(
        "/api/v1/signals/", {"received_after": received_after}
    )
    assert response.status_code == 200, response.content
    assert _references(response) == ([amber.reference] if listed else [])


def test_the_owner_sees_everything_and_the_read_is_audited_once(
    world: World, amber: Signal, token_client: TokenClient
) -> None:
    client = token_client(world.users["care_coordinator"])
    before = AuditEntry.objects.filter(action="read").count()
    response = client.get(url(amber))
    assert response.status_code == 200
    data = response.json()
    assert [p["family_name"] for p in data["persons"]] == [VICTIM_NAME[1], SUSPECT_NAME[1]]
    assert data["description"].startswith("Acht mensen")
    assert data["addresses"][0]["street"] == "Ginnekenweg"
    assert data["companies"][0]["name"] == "Nagelstudio Glans B.V."
    assert {i["kind"] for i in data["identifiers"]} == {"phone", "iban"}
    assert data["hits"] == [] and data["redacted"] is False
    assert data["triage"]["kind"] == "intake" and data["triage"]["band"] == amber.band
    assert data["sharing_groups"] == [{"id": world.table_a.pk, "name": world.table_a.name}]
    entries = AuditEntry.objects.filter(action="read").order_by("position")
    assert entries.count() == before + 1
    entry = entries.last()
    assert entry is not None and entry.object_ids["signals.signal"] == [amber.pk]
    assert entry.actor_id == world.users["care_coordinator"].pk  # the token's user
    assert len(entry.object_ids["signals.personmention"]) == 2
    assert entry.purpose == "signal_table_assessment"


def test_the_police_get_the_suspect_but_not_the_victim(
    world: World, amber: Signal, token_client: TokenClient
) -> None:
    response = token_client(world.users["police_analyst"]).get(url(amber))
    text = response.content.decode()
    assert SUSPECT_NAME[1] in text
    for hidden in (*VICTIM_NAME, "1999-03-04", "+31612345678", "0612345678", "06 1234 5678"):
        assert hidden not in text, hidden
    data = response.json()
    assert [p["role"] for p in data["persons"]] == ["suspect"]
    assert {
        "kind": "person:possible_victim",
        "contact_organisation": "Gemeente Breda",
        "contact_email": amber.owner_organisation.email,
    } in data["hits"]
    assert data["redacted"] is True


def test_civil_society_gets_hits_and_no_personal_data(
    world: World, green: Signal, token_client: TokenClient
) -> None:
    response = token_client(world.users["ngo_worker"]).get(url(green))
    assert response.status_code == 200
    text = response.content.decode()
    for hidden in (
        *VICTIM_NAME,
        *SUSPECT_NAME,
        "Ginnekenweg",
        "4818",
        "NL91",
        "ABNA",
        "paspoorten",
        "nagelstudio",
        "Glans",
        "12345678",
        "1999-03-04",
    ):
        assert hidden.lower() not in text.lower(), hidden
    data = response.json()
    for absent in ("description", "addresses", "companies", "reliability"):
        assert absent not in data, absent
    assert data["persons"] == [] and data["identifiers"] == []
    assert {h["kind"] for h in data["hits"]} >= {"description", "person:possible_victim"}
    assert {h["contact_organisation"] for h in data["hits"]} == {"Gemeente Breda"}


def test_a_withheld_reporter_is_left_out_outside_the_owner(
    world: World, token_client: TokenClient
) -> None:
    signal = make_signal(
        world.users["care_coordinator"], groups=[world.table_a], reporter_withheld=True
    )
    mine = token_client(world.users["org_admin"]).get(url(signal)).json()
    theirs = token_client(world.users["police_analyst"]).get(url(signal))
    assert mine["submitted_by"] == "Carla Zorg"
    assert "submitted_by" not in theirs.json() and "Carla" not in theirs.content.decode()


def test_it_checks_access(world: World, amber: Signal, token_client: TokenClient) -> None:
    outsider = token_client(world.users["outsider"])
    assert outsider.get(url(amber)).status_code == 404
    patched = outsider.patch(url(amber), {"description": "Overschreven"}, format="json")
    assert patched.status_code == 404
    assert patched.json()["errors"][0]["code"] == "not_found"
    assert outsider.post(url(amber, "retriage/")).status_code == 404
    assert outsider.get("/api/v1/signals/S-0000-999999/").status_code == 404
    amber.refresh_from_db()
    assert amber.description.startswith("Acht mensen")
    assert amber.triage_records.count() == 1


def test_the_owner_changes_what_may_change_and_the_change_is_audited(
    world: World, amber: Signal, token_client: TokenClient
) -> None:
    client = token_client(world.users["care_coordinator"])
    band = amber.band
    response = client.patch(
        url(amber),
        {
            "description": "Nieuwe beschrijving.",
            "indicator_ids": ["ilo.physical_and_sexual_violence"],
            "tlp": "AMBER",  # unchanged: not reported as a change
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["description"] == "Nieuwe beschrijving."
    assert response.json()["indicator_ids"] == ["ilo.physical_and_sexual_violence"]
    amber.refresh_from_db()
    assert amber.band == band and amber.triage_records.count() == 1  # no silent re-triage
    update = AuditEntry.objects.get(action="update")
    assert update.object_ids == [amber.pk]
    assert update.details == {"fields": ["description", "indicator_ids"]}

    retriaged = client.post(url(amber, "retriage/"))
    assert retriaged.status_code == 200
    assert retriaged.json()["triage"]["kind"] == "retriage"
    assert retriaged.json()["band"] == "urgent"  # immediate danger
    assert [r.kind for r in amber.triage_records.all()] == [
        TriageRecord.Kind.INTAKE,
        TriageRecord.Kind.RETRIAGE,
    ]


def test_an_update_refuses_fixed_and_unknown_fields(
    world: World, amber: Signal, token_client: TokenClient
) -> None:
    client = token_client(world.users["care_coordinator"])
    response = client.patch(url(amber), {"persons": [], "colour": "red"}, format="json")
    assert response.status_code == 400
    assert {(e["field"], e["code"]) for e in response.json()["errors"]} == {
        ("persons", "fixed_field"),
        ("colour", "unknown_field"),
    }


def test_an_update_is_validated_like_intake(
    world: World, amber: Signal, token_client: TokenClient
) -> None:
    client = token_client(world.users["care_coordinator"])
    response = client.patch(
        url(amber), {"tlp": "CLEAR", "sharing_groups": [world.table_b.pk]}, format="json"
    )
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"tlp", "sharing_groups"}
    amber.refresh_from_db()
    assert amber.tlp == "AMBER"


def test_a_partner_who_may_read_but_not_change_gets_403(
    world: World, amber: Signal, token_client: TokenClient
) -> None:
    police = token_client(world.users["police_analyst"])
    assert police.patch(url(amber), {"description": "x"}, format="json").status_code == 403
    assert police.post(url(amber, "retriage/")).status_code == 403
    assert AuditEntry.objects.filter(action__in=["update", "retriage"]).count() == 0


def test_an_update_to_red_is_for_its_named_recipients_only_as_at_intake(
    world: World, green: Signal, token_client: TokenClient
) -> None:
    """TLP:RED goes only to named recipients: an update to RED without any is refused, as
    intake refuses it, naming the recipients. The sharing groups are kept, which the access
    matrix gives nothing on RED. An update follows the same rules, and the same matrix."""
    owner = token_client(world.users["care_coordinator"])
    police = token_client(world.users["police_analyst"])
    ngo = token_client(world.users["ngo_worker"])
    assert police.get(url(green)).status_code == ngo.get(url(green)).status_code == 200

    alone = owner.patch(url(green), {"tlp": "RED"}, format="json")
    assert alone.status_code == 400
    assert [e["field"] for e in alone.json()["errors"]] == ["recipients"]
    assert "TLP:RED" in alone.json()["errors"][0]["message"]
    green.refresh_from_db()
    assert green.tlp == "GREEN"

    named = owner.patch(
        url(green), {"tlp": "RED", "recipients": [world.police_a.pk]}, format="json"
    )
    assert named.status_code == 200, named.content
    at_intake = make_signal(
        world.users["care_coordinator"],
        groups=[world.table_a],
        tlp="RED",
        recipient_ids=[world.police_a.pk],
    )
    for signal in (green, at_intake):
        assert police.get(url(signal)).status_code == 200
        assert ngo.get(url(signal)).status_code == 404  # still in the group, not named
        assert owner.get(url(signal)).status_code == 200
    green.refresh_from_db()
    assert list(green.sharing_groups.all()) == [world.table_a]

    # Every recipient taken off while the label stays RED: refused the same way.
    emptied = owner.patch(url(green), {"recipients": []}, format="json")
    assert emptied.status_code == 400
    assert {e["field"] for e in emptied.json()["errors"]} == {"recipients"}
    assert list(green.recipients.all()) == [world.police_a]

    # Back to a label for groups: the named recipients must go, as intake requires.
    back = owner.patch(url(green), {"tlp": "GREEN"}, format="json")
    assert back.status_code == 400
    assert {e["field"] for e in back.json()["errors"]} == {"recipients"}
