"""The relations and payments signals state, as FollowTheMoney links: one schema each, with
the signal's provenance, on the entity page, and in the export that the library reads back —
as far as the user may see both ends."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from followthemoney import model as ftm_model
from rest_framework.test import APIClient

from schakel.entities.ftm import write_jsonl
from schakel.entities.models import Mention, Relation
from schakel.entities.services import resolve_signals
from schakel.partners.models import User
from schakel.signals.intake import PaymentInput, PersonInput, RelationInput
from schakel.signals.models import Signal
from schakel.signals.services import create_signal
from schakel.signals.tests.factories import PURPOSE, SUSPECT_NAME, VICTIM_NAME, signal_input
from schakel.signals.tests.factories import signal_input_with_ties as tied
from schakel.testing.personas import World
from schakel.web.api_auth import issue_api_token

pytestmark = pytest.mark.django_db
SignIn = Callable[[User], Client]


@pytest.fixture(autouse=True)
def _today() -> Any:
    with time_machine.travel("2026-11-29 10:00", tick=True):
        yield


def _resolved(world: World, **overrides: Any) -> Signal:
    data = tied(sharing_group_ids=[world.table_a.pk], **overrides)
    signal = create_signal(data, submitted_by=world.users["care_coordinator"], channel="api")
    resolve_signals([signal.pk])
    return signal


#: The tied signal with a recruiter as the suspect's associate and the suspect as owner too:
#: every kind of relation at once.
ALL_KINDS: dict[str, Any] = {
    "persons": [
        *signal_input().persons,
        PersonInput(role="recruiter", given_names="Ana", family_name="Lungu"),
    ],
    "relations": [
        *tied().relations,
        RelationInput(kind="owner", person=1, company=0),
        RelationInput(kind="associate", person=1, other_person=2),
    ],
}


def _end(mention: Mention) -> str:
    return mention.role or mention.schema


def test_each_stated_relation_and_payment_becomes_its_followthemoney_link(world: World) -> None:
    signal = _resolved(world, **ALL_KINDS)

    links = sorted(
        (r.schema, _end(r.source), _end(r.target), r.role)
        for r in Relation.objects.filter(signal=signal)
        .exclude(schema__in=["UnknownLink", "addressEntity"])
        .select_related("source", "target")
    )
    assert links == [
        ("Associate", "suspect", "recruiter", ""),
        ("Directorship", "suspect", "Company", ""),
        ("Employment", "Company", "possible_victim", ""),
        ("Family", "possible_victim", "suspect", "partner"),
        ("Ownership", "suspect", "Company", ""),
        ("Payment", "BankAccount", "suspect", ""),
        ("Payment", "Company", "possible_victim", ""),
    ]
    family = Relation.objects.get(signal=signal, schema="Family")
    assert family.properties == {"relationship": ["partner"]}
    rent = Relation.objects.get(signal=signal, schema="Payment", target__role="suspect")
    assert rent.properties == {
        "amount": ["450.00"],
        "currency": ["EUR"],
        "date": ["2026-11-01"],
        "purpose": [PURPOSE],
    }
    # The account paid from is the victim's IBAN, a bank account of the signal's own.
    assert rent.source.properties["iban"] == ["NL02ABNA0123456789"]
    assert rent.signal_id == signal.pk and rent.source.organisation_id == world.municipality_a.pk


def test_a_link_stated_and_derived_is_made_once_and_payments_each_count(world: World) -> None:
    company = signal_input().companies[0]
    company.role = "employer"  # derives Employment of the victim, also stated
    twice = PaymentInput(payer_company=0, beneficiary_person=0, amount="120")
    signal = _resolved(world, companies=[company], payments=[twice, PaymentInput(**vars(twice))])
    assert Relation.objects.filter(signal=signal, schema="Employment").count() == 1
    assert Relation.objects.filter(signal=signal, schema="Payment").count() == 2


def _export(user: Any) -> list[dict[str, Any]]:
    stream = io.StringIO()
    write_jsonl(user, stream)
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_the_export_holds_every_link_schema_and_reads_back(world: World) -> None:
    _resolved(world, **ALL_KINDS)

    proxies = [ftm_model.get_proxy(line) for line in _export(world.users["care_coordinator"])]
    by_schema: dict[str, list[Any]] = {}
    for proxy in proxies:
        by_schema.setdefault(proxy.schema.name, []).append(proxy)
        assert ftm_model.get_proxy(proxy.to_dict()).to_dict() == proxy.to_dict()
    assert {
        "Family",
        "Associate",
        "Directorship",
        "Ownership",
        "Employment",
        "Payment",
    } <= set(by_schema)
    ids = {p.id for p in proxies}
    for proxy in proxies:
        for prop, value in proxy.itervalues():
            if prop.type.name == "entity":
                assert value in ids, f"{proxy.schema.name}.{prop.name} points outside"
    (family,) = by_schema["Family"]
    assert family.get("relationship") == ["partner"]
    rent = next(p for p in by_schema["Payment"] if p.get("payerAccount"))
    assert rent.get("payer") == [] and rent.get("beneficiary")
    assert rent.get("amount") == ["450.00"] and rent.get("currency") == ["EUR"]
    assert rent.get("date") == ["2026-11-01"] and rent.get("purpose") == [PURPOSE]
    wage = next(p for p in by_schema["Payment"] if p.get("payer"))
    payer = next(p for p in proxies if p.id == wage.get("payer")[0])
    assert payer.schema.name == "Company"


def test_the_export_leaves_out_links_to_what_the_user_may_not_see(world: World) -> None:
    _resolved(world)
    police = _export(world.users["police_analyst"])
    schemata = {line["schema"] for line in police}
    # The suspect's directorship is justice and general data; the family tie and the
    # company's payment to the victim name her (care data, hidden from the police).
    assert "Directorship" in schemata and "Family" not in schemata
    text = json.dumps(police)
    assert SUSPECT_NAME[1] in text
    for hidden in VICTIM_NAME:
        assert hidden not in text


def test_the_entity_page_shows_the_links_with_payment_details(
    world: World, signed_in: SignIn
) -> None:
    signal = _resolved(world)
    suspect = Mention.objects.get(signal=signal, role="suspect").entity
    assert suspect is not None
    url = reverse("entity_detail", args=[suspect.pk])
    owner = signed_in(world.users["care_coordinator"]).get(url).content.decode()
    assert VICTIM_NAME[1] in owner  # the family tie, to the victim
    assert PURPOSE in owner and "EUR 450.00" in owner
    police = signed_in(world.users["police_analyst"]).get(url)
    assert police.status_code == 200
    text = police.content.decode()
    assert VICTIM_NAME[1] not in text
    assert [link.schema for link in police.context["view"].links if link.schema == "Family"] == []


def test_the_entity_api_gives_a_links_own_properties(world: World) -> None:
    cache.clear()  # the API's rate limit counts in the process's cache
    signal = _resolved(world)
    suspect = Mention.objects.get(signal=signal, role="suspect").entity
    assert suspect is not None
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {issue_api_token(world.users['care_coordinator'])}"
    )
    response = client.get(f"/api/v1/entities/{suspect.pk}/")
    assert response.status_code == 200, response.content
    links = {link["schema"]: link for link in response.json()["links"]}
    assert links["Family"]["properties"] == {"relationship": ["partner"]}
    assert links["Payment"]["outgoing"] is False
    assert links["Payment"]["properties"]["amount"] == ["450.00"]
    cache.clear()


def test_making_mentions_costs_the_same_queries_for_one_signal_as_for_many(
    world: World,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def signals(count: int) -> list[int]:
        return [
            create_signal(
                tied(sharing_group_ids=[world.table_a.pk]),
                submitted_by=world.users["care_coordinator"],
                channel="api",
            ).pk
            for _ in range(count)
        ]

    one, several = signals(1), signals(4)
    with CaptureQueriesContext(connection) as first:
        resolve_signals(one)
    with CaptureQueriesContext(connection) as second:
        resolve_signals(several)
    assert Relation.objects.filter(source__signal_id__in=several).exists()
    assert len(second.captured_queries) == len(first.captured_queries), [
        q["sql"][:200] for q in second.captured_queries
    ]


def test_the_entity_page_and_api_audit_the_linked_names_they_show(
    world: World, signed_in: SignIn
) -> None:
    """A link shows the name of the mention at its other end (the suspect's partner, his
    company, the address): the one read entry of the page and of the API lists those
    mentions beside the entity's own. A link to a mention the user may not see in full is
    neither shown nor audited."""
    from schakel.audit.models import AuditEntry

    signal = _resolved(world)
    suspect = Mention.objects.get(signal=signal, role="suspect")
    victim = Mention.objects.get(signal=signal, role="possible_victim")
    company = Mention.objects.get(signal=signal, schema="Company")
    assert suspect.entity is not None
    url = reverse("entity_detail", args=[suspect.entity.pk])
    api_url = reverse("v1:api_entity_detail", args=[suspect.entity.pk])

    def read_ids() -> list[int]:
        entry = AuditEntry.objects.filter(action="read", purpose="entity").latest("position")
        return list(entry.object_ids["entities.mention"])

    cache.clear()  # the API's rate limit counts in the process's cache
    owner = signed_in(world.users["care_coordinator"]).get(url).content.decode()
    assert VICTIM_NAME[1] in owner
    assert {suspect.pk, victim.pk, company.pk} <= set(read_ids())
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {issue_api_token(world.users['care_coordinator'])}"
    )
    names = {link["name"] for link in client.get(api_url).json()["links"]}
    assert " ".join(VICTIM_NAME) in names
    assert {suspect.pk, victim.pk, company.pk} <= set(read_ids())

    # The police may see the suspect (justice) but not his partner (care): no link to her,
    # and no audit of her record.
    police = signed_in(world.users["police_analyst"]).get(url).content.decode()
    assert VICTIM_NAME[1] not in police
    assert company.pk in read_ids() and victim.pk not in read_ids()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(world.users['police_analyst'])}")
    text = client.get(api_url).content.decode()
    assert VICTIM_NAME[1] not in text
    assert company.pk in read_ids() and victim.pk not in read_ids()
    cache.clear()
