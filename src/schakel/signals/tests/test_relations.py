"""Relations and payments a signal states between what it mentions: validation naming each
field, storage in batches, the API round trip, and redaction as for the persons they name."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import Prefetch
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from schakel.errors import InvalidFields
from schakel.signals.intake import PaymentInput, RelationInput, validate_signal
from schakel.signals.models import (
    Channel,
    IdentifierMention,
    PaymentMention,
    RelationMention,
    Signal,
)
from schakel.signals.presenter import present
from schakel.signals.services import create_signal
from schakel.signals.tests.conftest import TokenClient
from schakel.signals.tests.factories import (
    PURPOSE,
    SUSPECT_NAME,
    VICTIM_IBAN,
    VICTIM_NAME,
    signal_input,
)
from schakel.signals.tests.factories import signal_input_with_ties as tied
from schakel.signals.writer import ToWrite, write_signals
from schakel.signaltable.agenda import signals_for_presenting
from schakel.testing.personas import World

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("world", "api_clock")]


def test_relations_and_payments_are_stored_with_their_persons_and_companies(
    world: World,
) -> None:
    signal = create_signal(
        tied(), submitted_by=world.users["care_coordinator"], channel=Channel.FULL_FORM
    )
    victim, suspect = signal.persons.order_by("pk")
    company = signal.companies.get()
    rows = [
        (r.kind, r.person_id, r.other_person_id, r.company_id, r.relationship)
        for r in RelationMention.objects.filter(signal=signal).order_by("pk")
    ]
    assert rows == [
        ("family", victim.pk, suspect.pk, None, "partner"),
        ("director", suspect.pk, None, company.pk, ""),
        ("employee", victim.pk, None, company.pk, ""),
    ]
    rent, wage = PaymentMention.objects.filter(signal=signal).order_by("pk")
    assert (rent.payer_iban, rent.beneficiary_person_id) == ("NL02ABNA0123456789", suspect.pk)
    assert (rent.amount, rent.currency, rent.paid_on) == (
        Decimal("450.00"),
        "EUR",
        date(2026, 11, 1),
    )
    assert rent.purpose == PURPOSE
    assert (wage.payer_company_id, wage.beneficiary_person_id) == (company.pk, victim.pk)
    # The payer's account is one of the signal's accounts, beside the one it listed.
    ibans = IdentifierMention.objects.filter(signal=signal, kind="iban")
    assert sorted(i.normalised for i in ibans) == ["NL02ABNA0123456789", "NL91ABNA0417164300"]


def test_a_batch_writes_each_signals_relations_to_its_own_rows(world: World) -> None:
    user = world.users["care_coordinator"]
    owner = user.organisation
    assert owner is not None
    plain = validate_signal(signal_input(), owner=owner, channel=Channel.API)
    first = validate_signal(tied(), owner=owner, channel=Channel.API)
    second = validate_signal(
        tied(payments=[], relations=[RelationInput(kind="associate", person=1, other_person=0)]),
        owner=owner,
        channel=Channel.API,
    )
    written = write_signals(
        [ToWrite(plain), ToWrite(first), ToWrite(second)], submitted_by=user, channel="api"
    )
    for signal in written:
        persons = set(signal.persons.values_list("pk", flat=True))
        companies = set(signal.companies.values_list("pk", flat=True))
        for relation in RelationMention.objects.filter(signal=signal):
            assert {relation.person_id, relation.other_person_id} - {None} <= persons
            assert relation.company_id is None or relation.company_id in companies
        for payment in PaymentMention.objects.filter(signal=signal):
            assert {payment.payer_person_id, payment.beneficiary_person_id} - {None} <= persons
    counts = [RelationMention.objects.filter(signal=s).count() for s in written]
    assert counts == [0, 3, 1]
    assert [PaymentMention.objects.filter(signal=s).count() for s in written] == [0, 2, 0]


R, P = RelationInput, PaymentInput
BAD_TIES: list[tuple[list[RelationInput], list[PaymentInput], str, str]] = [
    ([R("cousin", 0, 1)], [], "relations[0].kind", "cousin"),
    ([R("family", 0, 5)], [], "relations[0].other_person", "5"),
    ([R("director", 7, company=0)], [], "relations[0].person", "7"),
    ([R("owner", 0, company=3)], [], "relations[0].company", "3"),
    ([R("owner", 0)], [], "relations[0].company", "company"),
    ([R("family", 0, 0)], [], "relations[0].other_person", "different"),
    ([R("family", 0, 1, relationship="aunt")], [], "relations[0].relationship", "aunt"),
    ([R("associate", 0, 1, relationship="parent")], [], "relations[0].relationship", "family"),
    ([], [P(0, beneficiary_person=1, amount="1.500,00")], "payments[0].amount", "digits"),
    ([], [P(0, beneficiary_person=1, amount="-5")], "payments[0].amount", "digits"),
    ([], [P(0, beneficiary_person=1, amount="0")], "payments[0].amount", "more than zero"),
    ([], [P(0, beneficiary_person=1, amount="9", currency="euro")], "payments[0].currency", "4217"),
    ([], [P(4, beneficiary_person=1)], "payments[0].payer_person", "4"),
    ([], [P(beneficiary_person=1)], "payments[0].payer_person", "exactly one"),
    (
        [],
        [P(0, payer_iban="NL91ABNA0417164300", beneficiary_person=1)],
        "payments[0].payer_person",
        "exactly one",
    ),
    ([], [P(0, beneficiary_iban="NL91ABNA0417164301")], "payments[0].beneficiary_iban", "IBAN"),
    (
        [],
        [P(0, beneficiary_company=0, paid_on=date(2027, 1, 1))],
        "payments[0].paid_on",
        "future",
    ),
]


@pytest.mark.parametrize(("relations", "payments", "field", "words"), BAD_TIES)
def test_bad_relations_and_payments_are_named_by_field(
    world: World,
    relations: list[RelationInput],
    payments: list[PaymentInput],
    field: str,
    words: str,
) -> None:
    with pytest.raises(InvalidFields) as exc:
        create_signal(
            signal_input(relations=relations, payments=payments),
            submitted_by=world.users["care_coordinator"],
            channel=Channel.API,
        )
    problems = exc.value.problems
    assert field in problems, problems
    with translation.override("en"):  # the words checked are the English ones
        assert words.lower() in " ".join(str(m) for m in problems[field]).lower()
    assert not RelationMention.objects.exists() and not PaymentMention.objects.exists()


API_BODY: dict[str, Any] = {
    "description": "Twee mensen wonen boven de nagelstudio; de huur gaat naar de baas.",
    "forms_of_exploitation": ["labour"],
    "tlp": "AMBER",
    "persons": [
        {"role": "possible_victim", "given_names": VICTIM_NAME[0], "family_name": VICTIM_NAME[1]},
        {"role": "suspect", "given_names": SUSPECT_NAME[0], "family_name": SUSPECT_NAME[1]},
    ],
    "companies": [{"name": "Nagelstudio Glans B.V."}],
    "relations": [
        {"kind": "family", "person": 0, "other_person": 1, "relationship": "partner"},
        {"kind": "owner", "person": 1, "company": 0},
    ],
    "payments": [
        {
            "payer_iban": VICTIM_IBAN,
            "beneficiary_person": 1,
            "amount": "450.00",
            "currency": "EUR",
            "paid_on": "2026-11-01",
            "purpose": PURPOSE,
        }
    ],
}


def test_the_api_takes_relations_and_payments_and_gives_them_back(
    world: World, token_client: TokenClient
) -> None:
    client = token_client(world.users["care_coordinator"])
    body = {**API_BODY, "sharing_groups": [world.table_a.pk]}
    response = client.post("/api/v1/signals/", body, format="json")
    assert response.status_code == 201, response.content
    data = client.get(response.json()["url"]).json()
    persons = {p["family_name"]: p["id"] for p in data["persons"]}
    (company,) = data["companies"]
    victim, suspect = persons[VICTIM_NAME[1]], persons[SUSPECT_NAME[1]]
    assert data["relations"] == [
        {
            "kind": "family",
            "person": victim,
            "other_person": suspect,
            "company": None,
            "relationship": "partner",
        },
        {
            "kind": "owner",
            "person": suspect,
            "other_person": None,
            "company": company["id"],
            "relationship": "",
        },
    ]
    assert data["payments"] == [
        {
            "payer_person": None,
            "payer_company": None,
            "payer_iban": "NL02ABNA0123456789",
            "beneficiary_person": suspect,
            "beneficiary_company": None,
            "beneficiary_iban": "",
            "amount": "450.00",
            "currency": "EUR",
            "paid_on": "2026-11-01",
            "purpose": PURPOSE,
        }
    ]


def test_the_api_names_bad_relations_and_refuses_unknown_fields(
    world: World, token_client: TokenClient
) -> None:
    client = token_client(world.users["care_coordinator"])
    body = {
        **API_BODY,
        "relations": [{"kind": "cousin", "person": 0, "other_person": 9}],
        "payments": [{"payer_person": 0, "beneficiary_person": 1, "amount": "12,345.6"}],
    }
    response = client.post("/api/v1/signals/", body, format="json")
    assert response.status_code == 400
    fields = {problem["field"] for problem in response.json()["errors"]}
    assert {"relations[0].kind", "payments[0].amount"} <= fields
    strict = {**API_BODY, "relations": [{"kind": "family", "person": "0", "spouse": True}]}
    response = client.post("/api/v1/signals/", strict, format="json")
    assert response.status_code == 400
    text = response.content.decode()
    assert "spouse" in text and "person" in text


def test_a_viewer_who_sees_the_victim_redacted_learns_no_name_through_a_relation(
    world: World, token_client: TokenClient
) -> None:
    created = token_client(world.users["care_coordinator"]).post(
        "/api/v1/signals/", {**API_BODY, "sharing_groups": [world.table_a.pk]}, format="json"
    )
    assert created.status_code == 201, created.content
    url = created.json()["url"]
    # The police see the suspect in full, the possible victim only as a hit.
    police = token_client(world.users["police_analyst"]).get(url)
    assert police.status_code == 200
    data = police.json()
    assert [p["role"] for p in data["persons"]] == ["suspect"]
    suspect = data["persons"][0]["id"]
    kinds = [r["kind"] for r in data["relations"]]
    assert kinds == ["owner"]  # the family tie names the victim: left out
    assert data["relations"][0]["person"] == suspect
    # The rent is paid from the victim's account to the suspect: the account is general
    # data, but the payment's other side is shown only because it is the suspect.
    assert [p["beneficiary_person"] for p in data["payments"]] == [suspect]
    hits = {h["kind"] for h in data["hits"]}
    assert "relations" in hits
    text = police.content.decode()
    for hidden in VICTIM_NAME:
        assert hidden not in text
    # A partner who sees no persons at all sees no relation or payment, only hits.
    ngo = token_client(world.users["ngo_worker"]).get(url)
    if ngo.status_code == 200:
        body = ngo.json()
        assert body.get("relations", []) == [] and body.get("payments", []) == []
        text = ngo.content.decode()
        for hidden in (*VICTIM_NAME, *SUSPECT_NAME, "NL02", PURPOSE):
            assert hidden not in text


FORM: dict[str, Any] = {
    "persons-TOTAL_FORMS": "2",
    "persons-INITIAL_FORMS": "0",
    "companies-TOTAL_FORMS": "1",
    "companies-INITIAL_FORMS": "0",
    "addresses-TOTAL_FORMS": "1",
    "addresses-INITIAL_FORMS": "0",
    "relations-TOTAL_FORMS": "2",
    "relations-INITIAL_FORMS": "0",
    "payments-TOTAL_FORMS": "1",
    "payments-INITIAL_FORMS": "0",
    "description": "Vrouw werkt in de nagelstudio van haar vriend en betaalt hem huur.",
    "tlp": "AMBER",
    "purpose": "signal_table_assessment",
    "persons-0-role": "possible_victim",
    "persons-0-given_names": VICTIM_NAME[0],
    "persons-0-family_name": VICTIM_NAME[1],
    "persons-1-role": "suspect",
    "persons-1-given_names": SUSPECT_NAME[0],
    "persons-1-family_name": SUSPECT_NAME[1],
    "companies-0-name": "Nagelstudio Glans B.V.",
    "relations-0-person": "person-0",
    "relations-0-kind": "family",
    "relations-0-other": "person-1",
    "relations-0-relationship": "partner",
    "relations-1-person": "person-1",
    "relations-1-kind": "director",
    "relations-1-other": "company-0",
    "payments-0-payer": "person-0",
    "payments-0-beneficiary": "person-1",
    "payments-0-amount": "450,00",
    "payments-0-currency": "EUR",
    "payments-0-paid_on": "2026-11-01",
    "payments-0-purpose": PURPOSE,
}


def test_the_full_form_adds_rows_and_saves_relations_and_payments(
    world: World, signed_in: Any
) -> None:
    client = signed_in(world.users["care_coordinator"])
    page = client.get(reverse("signal_create")).content.decode()
    assert 'name="relations-0-kind"' in page and 'name="payments-0-amount"' in page
    more = client.post(reverse("signal_create"), {**FORM, "add": "persons"})
    assert more.status_code == 200 and not PaymentMention.objects.exists()
    assert len(more.context["persons"].forms) == 3
    # The choices name the people typed so far.
    assert f"Persoon 1: {VICTIM_NAME[0]} {VICTIM_NAME[1]}" in more.content.decode()
    body = {**FORM, "sharing_groups": [world.table_a.pk]}
    saved = client.post(reverse("signal_create"), body)
    assert saved.status_code == 302, saved.context and saved.context["relations"].errors
    relations = RelationMention.objects.order_by("pk")
    assert [(r.kind, r.person.family_name) for r in relations] == [
        ("family", VICTIM_NAME[1]),
        ("director", SUSPECT_NAME[1]),
    ]
    payment = PaymentMention.objects.get()
    assert payment.amount == Decimal("450.00") and payment.purpose == PURPOSE
    page = client.get(saved["Location"]).content.decode()
    assert 'data-testid="relations"' in page and 'data-testid="payments"' in page
    assert PURPOSE in page


def test_the_full_form_puts_problems_of_relations_on_their_rows(
    world: World, signed_in: Any
) -> None:
    client = signed_in(world.users["care_coordinator"])
    bad = {
        **FORM,
        "relations-1-other": "person-1",  # a director of a person
        "payments-0-amount": "veel",
        "payments-0-payer": "company-0",
        "companies-0-name": "",  # ... of a company that is not filled in
    }
    response = client.post(reverse("signal_create"), bad)
    assert response.status_code == 200 and not RelationMention.objects.exists()
    payment = response.context["payments"].forms[0]
    assert payment.errors["payer"]
    good_payer = {**bad, "companies-0-name": "Nagelstudio Glans B.V."}
    response = client.post(reverse("signal_create"), good_payer)
    assert response.status_code == 200
    relation = response.context["relations"].forms[1]
    assert relation.errors["other"]
    assert response.context["payments"].forms[0].errors["amount"]


def test_the_signal_page_shows_no_relation_that_names_a_hidden_person(
    world: World, signed_in: Any
) -> None:
    signal = create_signal(
        tied(sharing_group_ids=[world.table_a.pk]),
        submitted_by=world.users["care_coordinator"],
        channel=Channel.FULL_FORM,
    )
    url = reverse("signal_detail", args=[signal.reference])
    owner = signed_in(world.users["care_coordinator"]).get(url).content.decode()
    assert 'data-testid="relations"' in owner and PURPOSE in owner
    response = signed_in(world.users["police_analyst"]).get(url)
    police = response.content.decode()
    assert SUSPECT_NAME[1] in police
    for hidden in VICTIM_NAME:
        assert hidden not in police, hidden
    view = response.context["view"]
    assert [r.kind for r in view.relations] == ["director"]
    assert [p.purpose for p in view.payments] == [PURPOSE]
    # The director relation names only the suspect and the company: shown.
    assert 'data-testid="relations"' in police
    # The rent from the victim's account to the suspect names no hidden person: shown; the
    # wage from the company to the victim names her: left out.
    assert PURPOSE in police


def test_presenting_prefetched_signals_reads_no_relation_or_payment_again(world: World) -> None:
    carla = world.users["care_coordinator"]
    signal = create_signal(tied(), submitted_by=carla, channel=Channel.API)
    prefetched = (
        Signal.objects.filter(pk=signal.pk)
        .select_related("owner_organisation")
        .prefetch_related(
            "sharing_groups",
            "recipients",
            "persons",
            "companies",
            "addresses",
            "attachments",
            "identifiers",
            Prefetch(
                "relations",
                queryset=RelationMention.objects.select_related(
                    "person", "other_person", "company"
                ),
            ),
            Prefetch("payments", queryset=PaymentMention.objects.all()),
        )
        .get()
    )
    present(carla, prefetched)  # the policy's own lookups, cached from here on
    with CaptureQueriesContext(connection) as queries:
        view = present(carla, prefetched)
    assert len(view.relations) == 3 and len(view.payments) == 2
    tables = " ".join(q["sql"] for q in queries.captured_queries)
    assert "relationmention" not in tables and "paymentmention" not in tables

    # As the agenda loads them: every relation a plain list, none read again, the same view.
    (loaded,) = signals_for_presenting([signal.pk]).values()
    present(carla, loaded)
    with CaptureQueriesContext(connection) as queries:
        again = present(carla, loaded)
    assert "mention" not in " ".join(q["sql"] for q in queries.captured_queries)
    assert again.personal_ids == view.personal_ids and again.hits == view.hits
    assert [r.pk for r in again.relations] == [r.pk for r in view.relations]
