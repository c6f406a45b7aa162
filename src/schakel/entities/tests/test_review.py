"""The review queue and judgements: ordered by uncertainty times impact, only pairs the
analyst may see in full, judgements applied at once, append-only, surviving re-runs,
splitting a wrongly merged entity; the outsider gets 404."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from schakel.audit.models import AuditEntry
from schakel.entities import review
from schakel.entities.models import Judgement, LinkageRun, Mention
from schakel.entities.services import resolve_signals
from schakel.entities.tests.factories import suggest, suspect_mention
from schakel.partners.models import User
from schakel.signals.intake import AddressInput
from schakel.signals.tests.factories import make_signal
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db
SignIn = Callable[[User], Client]


@pytest.fixture
def run() -> LinkageRun:
    return LinkageRun.objects.create(
        kind=LinkageRun.Kind.BATCH,
        schema="Person",
        status=LinkageRun.Status.DONE,
        threshold=0.9,
        review_threshold=0.3,
    )


def _entity_of(mention: Mention) -> int | None:
    mention.refresh_from_db(fields=["entity"])
    return mention.entity_id


def test_the_queue_puts_the_most_uncertain_and_weighty_pair_first(
    world: World, run: LinkageRun, signed_in: SignIn
) -> None:
    a, b = suspect_mention(world, "Marius"), suspect_mention(world, "M.", author="police_analyst")
    c, d = suspect_mention(world, "Ion", "Popa"), suspect_mention(world, "Ioan", "Popa")
    sure = suggest(run, c, d, 0.85)  # one partner, nearly sure
    unsure = suggest(run, a, b, 0.5)  # two partners, a coin toss
    assert unsure.priority > sure.priority

    page = signed_in(world.users["police_analyst"]).get(reverse("entity_review"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("Marius Dragomir") < html.index("Ion Popa")
    assert 'data-testid="explanation"' in html and "Achternaam" in html


def test_the_queue_reads_a_chunk_of_pairs_with_a_few_queries(
    world: World, run: LinkageRun, signed_in: SignIn
) -> None:
    """Filling the queue reads the open pairs a chunk at a time, with their signals' sharing,
    whatever the number of pairs the analyst may not judge (it asked four queries a pair)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(world.users["police_analyst"])
    victims: list[Mention] = []
    counts = []
    for wanted in (3, 12):
        while len(victims) < wanted:
            signal = make_signal(world.users["care_coordinator"], groups=[world.table_a])
            resolve_signals([signal.pk])
            victims.append(Mention.objects.get(signal=signal, role="possible_victim"))
            if len(victims) > 1:
                suggest(run, victims[-2], victims[-1], 0.5)
        client.get(reverse("entity_review"))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("entity_review")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_it_checks_access(world: World, run: LinkageRun, signed_in: SignIn) -> None:
    a, b = suspect_mention(world, "Marius"), suspect_mention(world, "Mario")
    suggestion = suggest(run, a, b, 0.6)
    # The outsider is a care coordinator elsewhere: a queue of their own, without this pair.
    outsider = signed_in(world.users["outsider"])
    page = outsider.get(reverse("entity_review")).content.decode()
    assert "Dragomir" not in page and 'data-testid="queue-empty"' in page
    for name in ("outsider", "ngo_worker", "front_desk"):
        client = signed_in(world.users[name])
        if name != "outsider":  # judging is not their role at all
            assert client.get(reverse("entity_review")).status_code == 404
        response = client.post(
            reverse("entity_review_judge", args=[suggestion.pk]),
            {"verdict": "same", "reason": "x"},
        )
        assert response.status_code == 404
    assert not Judgement.objects.exists()


def test_a_pair_the_analyst_cannot_see_in_full_is_neither_shown_nor_judged(
    world: World, run: LinkageRun, signed_in: SignIn
) -> None:
    victims = []
    for _attempt in range(2):
        signal = make_signal(world.users["care_coordinator"], groups=[world.table_a])
        resolve_signals([signal.pk])
        victims.append(Mention.objects.get(signal=signal, role="possible_victim"))
    suggestion = suggest(run, victims[0], victims[1], 0.5)
    police = signed_in(world.users["police_analyst"])
    html = police.get(reverse("entity_review")).content.decode()
    assert "Popescu" not in html and 'data-testid="queue-empty"' in html
    response = police.post(
        reverse("entity_review_judge", args=[suggestion.pk]), {"verdict": "same", "reason": "x"}
    )
    assert response.status_code == 404
    # The care coordinator sees both in full and may judge.
    assert (
        "Popescu"
        in signed_in(world.users["care_coordinator"]).get(reverse("entity_review")).content.decode()
    )


def test_judging_same_joins_the_entities_at_once_and_is_audited(
    world: World, run: LinkageRun, signed_in: SignIn
) -> None:
    a, b = suspect_mention(world, "Marius"), suspect_mention(world, "Marious")
    suggestion = suggest(run, a, b, 0.55)
    assert _entity_of(a) != _entity_of(b)
    client = signed_in(world.users["police_analyst"])
    response = client.post(
        reverse("entity_review_judge", args=[suggestion.pk]),
        {"verdict": "same", "reason": "Same date of entry and employer in both files."},
    )
    assert response.status_code == 302
    assert _entity_of(a) == _entity_of(b)
    suggestion.refresh_from_db()
    assert not suggestion.is_open
    judgement = Judgement.objects.get()
    assert (judgement.verdict, judgement.score, judgement.judged_by) == (
        "same",
        0.55,
        world.users["police_analyst"],
    )
    assert AuditEntry.objects.filter(action="judge", object_ids=[judgement.pk]).exists()
    # The queue is empty now.
    assert 'data-testid="queue-empty"' in client.get(reverse("entity_review")).content.decode()


def test_a_judgement_needs_a_reason(world: World, run: LinkageRun, signed_in: SignIn) -> None:
    a, b = suspect_mention(world, "Marius"), suspect_mention(world, "Marious")
    suggestion = suggest(run, a, b, 0.55)
    client = signed_in(world.users["police_analyst"])
    client.post(reverse("entity_review_judge", args=[suggestion.pk]), {"verdict": "same"})
    assert not Judgement.objects.exists()
    assert _entity_of(a) != _entity_of(b)


def test_not_the_same_splits_and_holds_against_the_model_until_withdrawn(
    world: World, run: LinkageRun, signed_in: SignIn
) -> None:
    a, b = (
        suspect_mention(world, "Marius"),
        suspect_mention(world, "Marius", author="police_analyst"),
    )
    suggest(run, a, b, 0.99)
    review.resolve_around([a, b])  # the model joins them
    entity = _entity_of(a)
    assert entity == _entity_of(b)

    client = signed_in(world.users["police_analyst"])
    page = client.get(reverse("entity_detail", args=[entity]))
    assert reverse("entity_split", args=[entity]) in page.content.decode()
    response = client.post(
        reverse("entity_split", args=[entity]),
        {"mention": b.pk, "reason": "Different fathers' names in the two files."},
    )
    assert response.status_code == 302
    assert _entity_of(a) != _entity_of(b)
    assert _entity_of(a) == entity  # the entity stays with what remains

    # A later run scores them as sure as ever: the judgement still holds.
    review.resolve_around([a, b])
    assert _entity_of(a) != _entity_of(b)

    judgement = Judgement.objects.get(verdict="not_same")
    review.withdraw(world.users["police_analyst"], judgement, reason="Wrong file opened.")
    assert _entity_of(a) == _entity_of(b)
    assert list(Judgement.objects.values_list("verdict", flat=True)) == ["not_same", "withdrawn"]


@pytest.mark.parametrize("split", [0, 1, 2], ids=["first", "middle", "last"])
def test_splitting_one_person_off_keeps_the_rest_together(
    world: World, run: LinkageRun, signed_in: SignIn, split: int
) -> None:
    """Three records the model joins, each pair at 0.99: splitting one off leaves the other
    two one person, in the entity they had. (Applied one judgement at a time, the first
    regrouping kept the split record with one of the others and the second split that one
    off too: three entities, the split record keeping the id.)"""
    records = [
        suspect_mention(world, "Marius"),
        suspect_mention(world, "Mario", author="police_analyst"),
        suspect_mention(world, "Mario", author="ngo_worker"),
    ]
    for left, right in ((0, 1), (0, 2), (1, 2)):
        suggest(run, records[left], records[right], 0.99)
    review.resolve_around(records)
    entity = _entity_of(records[0])
    assert {_entity_of(r) for r in records} == {entity}

    response = signed_in(world.users["police_analyst"]).post(
        reverse("entity_split", args=[entity]),
        {"mention": records[split].pk, "reason": "Another man of the same family."},
    )
    assert response.status_code == 302
    rest = [r for i, r in enumerate(records) if i != split]
    assert _entity_of(rest[0]) == _entity_of(rest[1]) == entity
    assert _entity_of(records[split]) != entity
    assert Judgement.objects.filter(verdict="not_same").count() == 2


#: One thing three partners report with the same exact key, as each would write it.
SAME_KEY = {
    "BankAccount": [
        {"ibans": [iban]}
        for iban in ("NL91ABNA0417164300", "nl91 abna 0417 1643 00", "NL91 ABNA 0417 1643 00")
    ],
    "Vehicle": [{"plates": [plate]} for plate in ("GH-123-K", "gh123k", "GH 123 K")],
    "Address": [
        {"addresses": [AddressInput(street=street, house_number="12a", postcode=postcode)]}
        for street, postcode in (
            ("Ginnekenweg", "4818 JA"),
            ("Ginnekenwg.", "4818ja"),
            ("Ginneken weg", "4818 JA"),
        )
    ],
}


@pytest.mark.parametrize("split", [0, 1, 2], ids=["first", "middle", "last"])
@pytest.mark.parametrize("schema", sorted(SAME_KEY))
def test_splitting_one_record_off_an_exact_key_keeps_the_rest_together(
    world: World, signed_in: SignIn, schema: str, split: int
) -> None:
    """An IBAN, a plate or a Dutch postcode with house number joins its records without a
    scored pair: an analyst who splits one of them off leaves the others one entity (it used
    to leave every record an entity of its own), and the next run keeps it so."""
    signals = [
        make_signal(
            world.users[author],
            groups=[world.table_a],
            **{"persons": [], "companies": [], "addresses": [], "ibans": [], **values},
        )
        for author, values in zip(
            ("care_coordinator", "ngo_worker", "police_analyst"), SAME_KEY[schema], strict=True
        )
    ]
    resolve_signals([s.pk for s in signals])
    records = list(Mention.objects.filter(schema=schema).order_by("pk"))
    assert len(records) == 3
    (entity,) = {r.entity_id for r in records}

    client = signed_in(world.users["police_analyst"])
    response = client.post(
        reverse("entity_split", args=[entity]),
        {"mention": records[split].pk, "reason": "The partner typed another client's number."},
    )
    assert response.status_code == 302
    rest = [r for i, r in enumerate(records) if i != split]
    assert _entity_of(rest[0]) == _entity_of(rest[1])
    assert _entity_of(records[split]) != _entity_of(rest[0])

    # Grouping again (as a run, a later judgement or forgetting does) keeps to both.
    review.resolve_around(records)
    assert _entity_of(rest[0]) == _entity_of(rest[1]) != _entity_of(records[split])

    # A fourth report of the key joins the two, not the one put apart.
    fourth = make_signal(
        world.users["care_coordinator"],
        groups=[world.table_a],
        **{"persons": [], "companies": [], "addresses": [], "ibans": [], **SAME_KEY[schema][0]},
    )
    resolve_signals([fourth.pk])
    assert _entity_of(Mention.objects.get(signal=fourth, schema=schema)) == _entity_of(rest[0])


def test_the_entity_page_explains_why_its_records_are_one(
    world: World, run: LinkageRun, signed_in: SignIn
) -> None:
    a, b = (
        suspect_mention(world, "Marius"),
        suspect_mention(world, "Marius", author="police_analyst"),
    )
    suggest(run, a, b, 0.995)
    review.resolve_around([a, b])
    entity = _entity_of(a)
    page = signed_in(world.users["police_analyst"]).get(reverse("entity_detail", args=[entity]))
    html = page.content.decode()
    assert 'data-testid="evidence"' in html
    assert "Achternaam" in html and "4.20" in html.replace(",", ".")
    assert a.signal.reference in html and b.signal.reference in html
