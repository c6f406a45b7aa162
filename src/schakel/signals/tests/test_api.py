"""Signal intake through the API: 201 with a reference, bad input named per field, retries
with an Idempotency-Key answered once, an external id accepted once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from schakel.audit.models import AuditEntry
from schakel.jobs.services import PERIODIC_JOBS
from schakel.partners.models import User
from schakel.rows import described
from schakel.signals.api import ReceiptSerializer, receipt_for
from schakel.signals.models import (
    AddressMention,
    CompanyMention,
    IdentifierMention,
    PersonMention,
    Signal,
)
from schakel.signals.services import search_signals
from schakel.signaltable.bundling import ExactKeyBundler
from schakel.testing.personas import World
from schakel.web.api_auth import issue_api_token
from schakel.web.idempotency import forget_expired_keys
from schakel.web.models import IdempotencyRecord

pytestmark = pytest.mark.django_db
URL = "/api/v1/signals/"
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


def body(world: World, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "external_id": "crm-4711",
        "description": "Acht mensen wonen boven een nagelstudio; de baas houdt paspoorten in.",
        "observed_on": "2026-11-20",
        "municipality": "GM0758",
        "forms_of_exploitation": ["labour"],
        "indicator_ids": ["ilo.retention_of_identity_documents", "labour.lives_at_workplace"],
        "tlp": "AMBER",
        "purpose": "signal_table_assessment",
        "sharing_groups": [world.table_a.pk],
        "persons": [
            {
                "role": "possible_victim",
                "given_names": "Ioana",
                "family_name": "Popescu",
                "date_of_birth": "1999-03-04",
                "nationality": "RO",
                "phones": ["06 1234 5678"],
                "identity_numbers": [{"kind": "passport", "number": "X1234567"}],
            },
            {"role": "suspect", "given_names": "Marius", "family_name": "Dragomir"},
        ],
        "companies": [{"name": "Nagelstudio Glans B.V.", "registration_number": "12345678"}],
        "addresses": [
            {
                "street": "Ginnekenweg",
                "house_number": "12a",
                "postcode": "4818 JA",
                "city": "Breda",
                "is_place_of_observation": True,
            }
        ],
        "ibans": ["NL91 ABNA 0417 1643 00"],
    }
    values.update(overrides)
    return values


def _fields(response: Any) -> dict[str, str]:
    return {e.get("field", ""): e["code"] for e in response.json()["errors"]}


def test_creating_a_signal_answers_201_with_its_reference(
    world: World, token_client: TokenClient
) -> None:
    carla = world.users["care_coordinator"]
    response = token_client(carla).post(URL, body(world), format="json")
    assert response.status_code == 201, response.content
    receipt = response.json()
    signal = Signal.objects.get()
    assert receipt["reference"] == signal.reference and receipt["external_id"] == "crm-4711"
    assert receipt["url"] == f"/api/v1/signals/{signal.reference}/"
    assert response["Location"].endswith(receipt["url"])
    assert receipt["band"] == signal.band
    assert signal.channel == "api" and signal.submitted_by == carla
    assert signal.source_key == "crm-4711"
    assert [p.family_name for p in signal.persons.all()] == ["Popescu", "Dragomir"]
    assert set(signal.identifiers.values_list("kind", flat=True)) == {"phone", "identity", "iban"}
    assert list(signal.sharing_groups.all()) == [world.table_a]
    created = AuditEntry.objects.filter(action="create", object_type="signals.signal").get()
    assert created.object_ids == [signal.pk] and created.actor_id == carla.pk


def test_a_signal_keeps_its_tags_websites_languages_and_reliability_grades(
    world: World, token_client: TokenClient
) -> None:
    client = token_client(world.users["care_coordinator"])
    values = body(
        world,
        tags=["sexual_violence_and_dependency"],
        websites=["https://advertenties.example/massage/4711/"],
        source_reliability="B",
        information_reliability="2",
    )
    values["persons"][0]["languages"] = ["ro", "en"]
    response = client.post(URL, values, format="json")
    assert response.status_code == 201, response.content
    signal = Signal.objects.get()
    assert signal.tags == ["sexual_violence_and_dependency"]
    assert (signal.source_reliability, signal.information_reliability) == ("B", "2")
    website = signal.identifiers.get(kind="website")
    assert website.value == "https://advertenties.example/massage/4711/"
    assert signal.persons.get(role="possible_victim").languages == ["ro", "en"]
    # Codes outside the vocabulary are refused by name, and nothing is written.
    wrong = body(
        world,
        external_id="crm-4712",
        tags=["made_up"],
        source_reliability="Q",
        information_reliability="7",
    )
    refused = client.post(URL, wrong, format="json")
    assert refused.status_code == 400
    assert {"tags[0]", "source_reliability", "information_reliability"} <= set(_fields(refused))
    assert Signal.objects.count() == 1


def test_the_answer_to_a_new_signal_holds_no_personal_data(
    world: World, token_client: TokenClient
) -> None:
    response = token_client(world.users["care_coordinator"]).post(URL, body(world), format="json")
    text = response.content.decode()
    for personal in ("Ioana", "Popescu", "Dragomir", "Ginnekenweg", "NL91", "paspoorten"):
        assert personal not in text


def test_wrong_types_and_unknown_fields_are_refused_by_name(
    world: World, token_client: TokenClient
) -> None:
    client = token_client(world.users["care_coordinator"])
    bad = body(
        world,
        description=42,
        phones="0612345678",
        identity_withheld="yes",
        sharing_groups=["1"],
        shoe_size=43,
    )
    bad["persons"][0]["date_of_birth"] = "4 maart 1999"
    bad["persons"][1]["hair"] = "dark"
    response = client.post(URL, bad, format="json")
    assert response.status_code == 400
    assert _fields(response) == {
        "description": "invalid",
        "phones": "not_a_list",
        "identity_withheld": "invalid",
        "sharing_groups[0]": "invalid",
        "shoe_size": "unknown_field",
        "persons[0].date_of_birth": "invalid",
        "persons[1].hair": "unknown_field",
    }
    assert Signal.objects.count() == 0


def test_intake_problems_are_named_with_their_path(world: World, token_client: TokenClient) -> None:
    client = token_client(world.users["care_coordinator"])
    bad = body(
        world,
        indicator_ids=["ilo.no_such_thing"],
        ibans=["NL00 WRONG"],
        sharing_groups=[world.table_b.pk],
        observed_on="2026-12-24",
    )
    bad["persons"][0]["date_of_birth"] = "2027-01-01"
    response = client.post(URL, bad, format="json")
    assert response.status_code == 400
    fields = _fields(response)
    assert {
        "indicator_ids[0]",
        "ibans[0]",
        "sharing_groups",
        "observed_on",
        "persons[0].date_of_birth",
    } <= set(fields)
    assert set(fields.values()) == {"invalid"}
    assert Signal.objects.count() == 0


def test_messages_follow_the_requested_language(world: World, token_client: TokenClient) -> None:
    client = token_client(world.users["care_coordinator"])
    bad = body(world, shoe_size=43, sharing_groups=[True])
    english = client.post(URL, bad, format="json", headers={"Accept-Language": "en"}).json()
    dutch = client.post(URL, bad, format="json", headers={"Accept-Language": "nl"}).json()
    assert {e["message"] for e in english["errors"]} == {
        "Unknown field.",
        "A valid integer is required.",
    }
    assert {e["message"] for e in dutch["errors"]} == {
        "Onbekend veld.",
        "Een geldig getal is vereist.",
    }


def test_the_domain_problems_are_named_in_the_requested_language(
    world: World, token_client: TokenClient
) -> None:
    # A wrong IBAN, a number that is no phone number, a date in the future and an unknown
    # indicator: each named by its field, in English or in Dutch as the reader asks.
    client = token_client(world.users["care_coordinator"])
    bad = body(
        world,
        ibans=["NL00 ABNA 0417 1643 00"],
        observed_on="2099-01-01",
        indicator_ids=["made.up"],
    )
    bad["persons"][0]["phones"] = ["12"]

    def messages(language: str) -> dict[str, str]:
        answer = client.post(URL, bad, format="json", headers={"Accept-Language": language})
        assert answer.status_code == 400
        return {e["field"]: e["message"] for e in answer.json()["errors"]}

    english, dutch = messages("en"), messages("nl")
    fields = {"ibans[0]", "observed_on", "indicator_ids[0]", "persons[0].phones[0]"}
    assert fields <= set(english) and set(english) == set(dutch)
    for field in fields:
        assert dutch[field] and dutch[field] != english[field], (field, dutch[field])
    assert Signal.objects.count() == 0


def test_a_body_that_is_not_an_object_or_not_json_is_refused(
    world: World, token_client: TokenClient
) -> None:
    client = token_client(world.users["care_coordinator"])
    listed = client.post(URL, [1, 2], format="json")
    assert listed.status_code == 400 and listed.json()["errors"][0]["code"] == "invalid"
    broken = client.post(URL, "{not json", content_type="application/json")
    assert broken.status_code == 400 and broken.json()["errors"][0]["code"] == "parse_error"
    form = client.post(URL, {"description": "x"})  # multipart, not JSON
    assert form.status_code == 415


def test_an_oversized_body_is_refused_before_it_is_read(
    world: World, token_client: TokenClient, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = token_client(world.users["care_coordinator"])
    response = client.post(URL, body(world, description="x" * 2000), format="json")
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "too_large"


def test_a_retry_with_the_same_key_gets_the_original_answer(
    world: World, token_client: TokenClient
) -> None:
    client = token_client(world.users["care_coordinator"])
    key = {"Idempotency-Key": "d9a1c0de-0001"}
    first = client.post(URL, body(world), format="json", headers=key)
    again = client.post(URL, body(world), format="json", headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Signal.objects.count() == 1


def test_the_answer_to_a_key_is_written_with_the_signal_before_its_rows(
    world: World, token_client: TokenClient
) -> None:
    """The key's record is inserted once, with its answer, ahead of the signal's rows and
    (on PostgreSQL) in the same round trip: nothing is sent for it before or after. A
    concurrent retry collides with the key before anything else (see ``test_races``)."""
    client = token_client(world.users["care_coordinator"])
    key = {"Idempotency-Key": "d9a1c0de-0007"}
    with CaptureQueriesContext(connection) as queries:
        first = client.post(URL, body(world), format="json", headers=key)
    assert first.status_code == 201
    sent = [described(q["sql"]) for q in queries]
    writes = [sql for sql in sent if '"web_idempotencyrecord"' in sql]
    assert len(writes) == 1 and 'INSERT INTO "web_idempotencyrecord"' in writes[0]
    assert not any('UPDATE "web_idempotencyrecord"' in sql for sql in sent)
    (record_at,) = (i for i, sql in enumerate(sent) if '"web_idempotencyrecord"' in sql)
    signal_at = next(i for i, sql in enumerate(sent) if 'INTO "signals_signal"' in sql)
    if connection.vendor == "postgresql":
        text = sent[signal_at]
        assert record_at == signal_at
        assert text.index('"web_idempotencyrecord"') < text.index('INTO "signals_signal"')
    else:
        assert record_at < signal_at
    record = IdempotencyRecord.objects.get(key="d9a1c0de-0007")
    assert (record.status_code, record.response_body) == (201, first.json())
    assert record.location == first["Location"]


def test_the_same_key_for_another_request_is_422(world: World, token_client: TokenClient) -> None:
    client = token_client(world.users["care_coordinator"])
    key = {"Idempotency-Key": "d9a1c0de-0002"}
    client.post(URL, body(world), format="json", headers=key)
    other = client.post(URL, body(world, external_id="crm-4712"), format="json", headers=key)
    assert other.status_code == 422
    assert other.json()["errors"] == [
        {
            "code": "idempotency_key_reused",
            "field": "Idempotency-Key",
            "message": other.json()["errors"][0]["message"],
        }
    ]
    assert Signal.objects.count() == 1


def test_a_used_key_is_422_even_for_a_request_with_problems_of_its_own(
    world: World, token_client: TokenClient
) -> None:
    client = token_client(world.users["care_coordinator"])
    key = {"Idempotency-Key": "d9a1c0de-0008"}
    assert client.post(URL, body(world), format="json", headers=key).status_code == 201
    broken = body(world, external_id="crm-4713", observed_on="2031-01-01", surprise=1)
    other = client.post(URL, broken, format="json", headers=key)
    assert other.status_code == 422
    assert other.json()["errors"][0]["code"] == "idempotency_key_reused"
    assert Signal.objects.count() == 1


def test_a_retry_gets_the_original_answer_even_if_the_request_would_fail_now(
    world: World, token_client: TokenClient
) -> None:
    """The record of a key is written with the work, so the work of a retry runs before the
    key is found taken. If it fails where the first attempt succeeded (here: the
    organisation has left the sharing group since), the retry still gets the first
    answer."""
    from schakel.partners.models import SharingGroupMembership

    client = token_client(world.users["care_coordinator"])
    key = {"Idempotency-Key": "d9a1c0de-0009"}
    first = client.post(URL, body(world), format="json", headers=key)
    assert first.status_code == 201
    SharingGroupMembership.objects.filter(
        group=world.table_a, organisation=world.municipality_a
    ).delete()
    assert client.post(URL, body(world, external_id="crm-4714"), format="json").status_code == 400
    again = client.post(URL, body(world), format="json", headers=key)
    assert again.status_code == 201 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Signal.objects.count() == 1


def test_keys_belong_to_their_user(world: World, token_client: TokenClient) -> None:
    key = {"Idempotency-Key": "shared-by-accident"}
    carla = token_client(world.users["care_coordinator"])
    arie = token_client(world.users["org_admin"])
    assert carla.post(URL, body(world), format="json", headers=key).status_code == 201
    mine = arie.post(URL, body(world, external_id="arie-1"), format="json", headers=key)
    assert mine.status_code == 201 and "Idempotent-Replayed" not in mine
    assert Signal.objects.count() == 2


def test_an_error_is_not_remembered_so_the_key_can_be_used_again(
    world: World, token_client: TokenClient
) -> None:
    client = token_client(world.users["care_coordinator"])
    key = {"Idempotency-Key": "d9a1c0de-0003"}
    bad = client.post(URL, body(world, ibans=["NL00"]), format="json", headers=key)
    assert bad.status_code == 400 and IdempotencyRecord.objects.count() == 0
    good = client.post(URL, body(world), format="json", headers=key)
    assert good.status_code == 201 and Signal.objects.count() == 1


def test_a_malformed_key_is_refused(world: World, token_client: TokenClient) -> None:
    client = token_client(world.users["care_coordinator"])
    response = client.post(URL, body(world), format="json", headers={"Idempotency-Key": "ä" * 3})
    assert response.status_code == 400 and _fields(response) == {"Idempotency-Key": "invalid"}


def test_keys_expire_after_a_day(world: World, token_client: TokenClient) -> None:
    client = token_client(world.users["care_coordinator"])
    key = {"Idempotency-Key": "d9a1c0de-0004"}
    client.post(URL, body(world, external_id=""), format="json", headers=key)
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        again = client.post(URL, body(world, external_id=""), format="json", headers=key)
        assert again.status_code == 201 and "Idempotent-Replayed" not in again
        assert Signal.objects.count() == 2
        assert PERIODIC_JOBS["expire-idempotency-keys"] is forget_expired_keys
    with time_machine.travel(timezone.now() + timedelta(hours=50)):
        assert forget_expired_keys() == "1 expired idempotency keys removed"
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_create_one_signal(world: World) -> None:
    """Four copies of one request at once, as a client that timed out and retried might send:
    one signal, four identical answers."""
    key = issue_api_token(world.users["care_coordinator"])
    clients = [APIClient(HTTP_AUTHORIZATION=f"Token {key}") for _ in range(4)]
    payload = body(world)
    answers: list[Any] = []
    start = threading.Barrier(len(clients))

    def send(client: APIClient) -> None:
        try:
            start.wait()
            answers.append(
                client.post(URL, payload, format="json", headers={"Idempotency-Key": "same-one"})
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [a.status_code for a in answers] == [201] * 4
    assert len({a.json()["reference"] for a in answers}) == 1
    assert sum(a.has_header("Idempotent-Replayed") for a in answers) == 3
    assert Signal.objects.count() == 1


def test_an_external_id_is_accepted_once_per_organisation(
    world: World, token_client: TokenClient
) -> None:
    carla = token_client(world.users["care_coordinator"])
    first = carla.post(URL, body(world), format="json").json()
    again = carla.post(URL, body(world, description="Tweede melding"), format="json")
    assert again.status_code == 409
    assert again.json()["errors"] == [
        {
            "code": "duplicate_external_id",
            "field": "external_id",
            "message": again.json()["errors"][0]["message"],
            "reference": first["reference"],
        }
    ]
    police = token_client(world.users["police_analyst"])
    theirs = police.post(URL, body(world, sharing_groups=[]), format="json")
    assert theirs.status_code == 201
    assert Signal.objects.count() == 2


def test_a_colleague_who_may_not_see_the_signal_learns_no_reference(
    world: World, token_client: TokenClient
) -> None:
    token_client(world.users["care_coordinator"]).post(URL, body(world), format="json")
    desk = token_client(world.users["front_desk"])
    again = desk.post(URL, body(world), format="json")
    assert again.status_code == 409 and "reference" not in again.json()["errors"][0]
    assert "S-" not in again.content.decode()


def test_an_outsider_without_a_group_cannot_share_into_region_a(
    world: World, token_client: TokenClient
) -> None:
    response = token_client(world.users["outsider"]).post(URL, body(world), format="json")
    assert response.status_code == 400 and "sharing_groups" in _fields(response)


def test_the_receipt_is_what_its_serializer_describes(
    world: World, token_client: TokenClient
) -> None:
    response = token_client(world.users["care_coordinator"]).post(URL, body(world), format="json")
    assert response.status_code == 201
    signal = Signal.objects.get()
    url = f"/api/v1/signals/{signal.reference}/"
    for external_id in ("crm-4711", None):
        described = dict(
            ReceiptSerializer(
                {
                    "reference": signal.reference,
                    "url": url,
                    "band": signal.band,
                    "received_at": signal.received_at,
                    "external_id": external_id,
                }
            ).data
        )
        assert receipt_for(signal, url, external_id) == described
    assert response.json() == receipt_for(signal, url, "crm-4711")


@pytest.mark.parametrize("prefix", ["/", "/schakel/"])
@pytest.mark.parametrize("reference", ["S-2026-000051", "S-ë-1", "S 2026"])
def test_a_signals_address_is_what_reverse_gives(prefix: str, reference: str) -> None:
    """Under any script prefix (a server mounted below the site's root), and for a
    reference that needs quoting too."""
    from django.urls import reverse, set_script_prefix

    from schakel.signals.api import V1_NAMESPACE, signal_url

    set_script_prefix(prefix)
    try:
        expected = reverse(f"{V1_NAMESPACE}:signal-detail", kwargs={"reference": reference})
        assert signal_url(Signal(reference=reference)) == expected
        assert expected.startswith(prefix)
    finally:
        set_script_prefix("/")


#: One more than the largest id a database row can have (a signed 64-bit integer).
TOO_LARGE_ID = 2**63


def test_an_id_too_large_for_the_database_is_refused_by_name(
    world: World, token_client: TokenClient
) -> None:
    """An id beyond 64 bits names no row; it is refused beside the field, not a 500 from the
    database driver that cannot pass it in a query."""
    client = token_client(world.users["care_coordinator"])
    groups = client.post(URL, body(world, sharing_groups=[TOO_LARGE_ID]), format="json")
    assert groups.status_code == 400, groups.content
    assert "sharing_groups[0]" in _fields(groups)
    recipients = client.post(
        URL,
        body(world, external_id="crm-4712", tlp="RED", recipients=[TOO_LARGE_ID]),
        format="json",
    )
    assert recipients.status_code == 400, recipients.content
    assert "recipients[0]" in _fields(recipients)
    assert Signal.objects.count() == 0

    created = client.post(URL, body(world, external_id="crm-4713"), format="json")
    assert created.status_code == 201
    patched = client.patch(created.json()["url"], {"sharing_groups": [TOO_LARGE_ID]}, format="json")
    assert patched.status_code == 400, patched.content
    assert "sharing_groups[0]" in _fields(patched)
    assert list(Signal.objects.get().sharing_groups.all()) == [world.table_a]


def test_a_post_without_the_trailing_slash_is_refused_not_redirected(
    world: World, token_client: TokenClient
) -> None:
    # A redirect would be followed as a GET by most clients: they would see the list with
    # 200 and believe the signal was handed in.
    client = token_client(world.users["care_coordinator"])
    response = client.post(URL.rstrip("/"), body(world), format="json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    [problem] = response.json()["errors"]
    assert problem["code"] == "not_found" and URL in problem["message"]
    assert not Signal.objects.exists()
    assert client.get(URL.rstrip("/")).status_code == 404
    assert client.post(URL, body(world), format="json").status_code == 201


#: Fits its column as typed, but Щ is "shch" in Latin letters: the name's key is four times as
#: long. The street and city fit theirs, the address key (with country and number) does not;
#: "İ" is two characters in lower case.
LONG_NAME = "Щ" * 200
LONG_COMPANY = "Щ" * 300
LONG_ADDRESS = {"street": "a" * 200, "house_number": "5", "city": "b" * 120, "country": "DE"}
LONG_WEBSITE = "https://advertenties.example/" + "İ" * 470


def _long(world: World, external_id: str, given_names: str = LONG_NAME) -> dict[str, Any]:
    return body(
        world,
        external_id=external_id,
        persons=[
            {
                "role": "possible_victim",
                "given_names": given_names,
                "family_name": LONG_NAME,
                "date_of_birth": "1999-03-04",
            }
        ],
        companies=[{"name": LONG_COMPANY}],
        addresses=[LONG_ADDRESS],
        websites=[LONG_WEBSITE],
    )


def test_long_foreign_names_and_addresses_are_stored_with_keys_that_fit_their_columns(
    world: World, token_client: TokenClient
) -> None:
    """PostgreSQL refuses a value longer than its column (SQLite stores it): a key that
    outgrows its column is kept to it, never a 500."""
    response = token_client(world.users["care_coordinator"]).post(
        URL, _long(world, "crm-1"), format="json"
    )
    assert response.status_code == 201, response.content
    for model, column in (
        (PersonMention, "name_key"),
        (CompanyMention, "name_key"),
        (AddressMention, "address_key"),
        (IdentifierMention, "normalised"),
    ):
        limit = model._meta.get_field(column).max_length
        keys = list(model.objects.values_list(column, flat=True))
        assert keys and all(0 < len(key) <= limit for key in keys), (model, column)


def test_signals_with_the_same_long_name_are_found_and_bundled_together(
    world: World, token_client: TokenClient
) -> None:
    carla = world.users["care_coordinator"]
    client = token_client(carla)
    first, second, other = (
        client.post(URL, values, format="json")
        for values in (
            _long(world, "crm-1"),
            _long(world, "crm-2"),
            # A name that differs only at its end, past the part a bounded key keeps.
            _long(world, "crm-3", given_names=LONG_NAME[:-1] + "Ж"),
        )
    )
    assert (first.status_code, second.status_code, other.status_code) == (201, 201, 201)
    same = {Signal.objects.get(reference=r.json()["reference"]) for r in (first, second)}
    differs = Signal.objects.get(reference=other.json()["reference"])

    assert set(search_signals(carla, f"{LONG_NAME} {LONG_NAME}")) == same
    assert set(search_signals(carla, LONG_COMPANY)) == {*same, differs}
    links = ExactKeyBundler().links([s.pk for s in (*same, differs)])
    linked = {(link.kind, frozenset({link.signal_a, link.signal_b})) for link in links}
    assert ("person", frozenset(s.pk for s in same)) in linked
    assert not any(kind == "person" and differs.pk in pair for kind, pair in linked)
    assert ("address", frozenset(s.pk for s in same)) in linked


def test_an_unknown_nationality_is_refused_by_name(world: World, token_client: TokenClient) -> None:
    values = body(world)
    values["persons"][0]["nationality"] = "ÅÅ"
    response = token_client(world.users["care_coordinator"]).post(URL, values, format="json")
    assert response.status_code == 400, response.content
    assert _fields(response) == {"persons[0].nationality": "invalid"}
    assert Signal.objects.count() == 0


def test_red_without_recipients_is_refused_naming_the_recipients_in_the_readers_language(
    world: World, token_client: TokenClient
) -> None:
    client = token_client(world.users["care_coordinator"])
    red = body(world, tlp="RED", sharing_groups=[])

    def problems(language: str) -> dict[str, str]:
        answer = client.post(URL, red, format="json", headers={"Accept-Language": language})
        assert answer.status_code == 400, answer.content
        return {e["field"]: e["message"] for e in answer.json()["errors"]}

    english, dutch = problems("en"), problems("nl")
    assert english == {
        "recipients": "TLP:RED goes only to named recipients: name at least one organisation."
    }
    assert set(dutch) == {"recipients"} and dutch["recipients"] != english["recipients"]
    assert Signal.objects.count() == 0

    named = client.post(URL, {**red, "recipients": [world.police_a.pk]}, format="json")
    assert named.status_code == 201, named.content
    assert list(Signal.objects.get().recipients.all()) == [world.police_a]


def test_uk_and_el_are_taken_for_nationalities_and_address_countries_as_gb_and_gr(
    world: World, token_client: TokenClient
) -> None:
    values = body(world)
    values["persons"][0]["nationality"] = "UK"
    values["persons"][1]["nationality"] = "el"
    values["addresses"] = [
        {"street": "Baker Street", "house_number": "221b", "city": "London", "country": "uk"},
        {"street": "Odos Ermou", "house_number": "10", "city": "Athina", "country": "EL"},
    ]
    client = token_client(world.users["care_coordinator"])
    response = client.post(URL, values, format="json")
    assert response.status_code == 201, response.content
    signal = Signal.objects.get()
    assert [p.nationality for p in signal.persons.all()] == ["GB", "GR"]
    assert [a.country for a in signal.addresses.all()] == ["GB", "GR"]
    assert [a.address_key[:3] for a in signal.addresses.all()] == ["GB:", "GR:"]
    detail = client.get(response.json()["url"]).json()
    assert [p["nationality"] for p in detail["persons"]] == ["GB", "GR"]
    assert [a["country"] for a in detail["addresses"]] == ["GB", "GR"]


def test_an_address_country_that_is_no_country_is_refused_by_name(
    world: World, token_client: TokenClient
) -> None:
    values = body(world)
    values["addresses"].append({"street": "Hauptstraße", "city": "Berlin", "country": "QQ"})
    client = token_client(world.users["care_coordinator"])
    response = client.post(URL, values, format="json", headers={"Accept-Language": "en"})
    assert response.status_code == 400, response.content
    assert _fields(response) == {"addresses[1].country": "invalid"}
    assert response.json()["errors"][0]["message"] == (
        "Unknown country code “QQ”: use a two-letter code such as RO or NG."
    )
    assert Signal.objects.count() == 0


def test_the_openapi_document_says_red_needs_recipients_and_what_a_country_takes(
    world: World, token_client: TokenClient
) -> None:
    document = token_client(world.users["care_coordinator"]).get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]
    for name in ("SignalInput", "PatchedSignalChange"):
        recipients = schemas[name]["properties"]["recipients"]["description"]
        assert "TLP:RED" in recipients and "at least one" in recipients, name
    assert "RED needs recipients" in schemas["SignalInput"]["properties"]["tlp"]["description"]
    for name, field in (("PersonInput", "nationality"), ("AddressInput", "country")):
        described = schemas[name]["properties"][field]["description"]
        assert "ISO 3166-1" in described and "UK" in described, name
