"""Retention reaches the entities: what a signal said leaves the mentions, keys, pairs and
entity names made from it when the signal is anonymised or deleted."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from django.test import TestCase

from schakel.entities.events import entity_split
from schakel.entities.models import (
    BlockingKey,
    Entity,
    Judgement,
    Mention,
    Relation,
    Suggestion,
    TermFrequency,
)
from schakel.entities.review import resolve_around
from schakel.entities.services import resolve_signals, search_entities
from schakel.entities.tests.factories import finished_batch_run
from schakel.signals import retention
from schakel.signals.intake import AddressInput, CompanyInput, PersonInput
from schakel.signals.models import Signal
from schakel.signals.tests.factories import make_signal
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db

IBAN = "NL91 ABNA 0417 1643 00"
VICTIM = PersonInput(role="possible_victim", given_names="Oksana", family_name="Melnyk")
SUSPECT = PersonInput(role="suspect", given_names="Marius", family_name="Dragomir")


def _signal(world: World, author: str, *persons: PersonInput) -> Signal:
    with time_machine.travel("2026-01-10 10:00", tick=True):
        return make_signal(
            world.users[author],
            groups=[world.table_a],
            persons=list(persons),
            companies=[],
            addresses=[],
            ibans=[IBAN],
            observed_on=date(2026, 1, 5),
        )


def test_an_anonymised_or_deleted_signal_leaves_no_trace_in_the_entities(world: World) -> None:
    anonymised = _signal(
        world,
        "care_coordinator",
        VICTIM,
        SUSPECT,
    )
    deleted = _signal(
        world,
        "ngo_worker",
        PersonInput(role="possible_victim", given_names="Radu", family_name="Stoica"),
    )
    kept = _signal(
        world,
        "police_analyst",
        SUSPECT,
    )
    resolve_signals([anonymised.pk, deleted.pk, kept.pk])
    gone = list(Mention.objects.filter(signal__in=[anonymised, deleted]))
    person_entities = {m.entity_id for m in gone if m.schema == "Person"}
    # The same account in all three signals: one entity, named after the first mention.
    account = Mention.objects.get(signal=anonymised, schema="BankAccount").entity
    assert account is not None
    assert set(Mention.objects.filter(entity=account).values_list("signal", flat=True)) == {
        anonymised.pk,
        deleted.pk,
        kept.pk,
    }
    Entity.objects.filter(pk=account.pk).update(caption="NL91ABNA0417164300 (Melnyk)")
    left, right = sorted(m.pk for m in gone if m.schema == "Person" and m.role == "possible_victim")
    Suggestion.objects.create(
        left_id=left, right_id=right, run_id=0, probability=0.6, match_weight=1
    )
    assert Relation.objects.filter(signal__in=[anonymised, deleted]).exists()
    analyst = world.users["police_analyst"]
    judged = Judgement.objects.create(
        left_id=left, right_id=right, verdict="not_same", reason="Andere moeder", judged_by=analyst
    )
    Judgement.objects.create(
        left_id=left,
        right_id=right,
        verdict="withdrawn",
        reason="Vergissing",
        withdraws=judged,
        judged_by=analyst,
    )

    with time_machine.travel("2026-02-01", tick=True):
        retention.record_outcome(anonymised, "monitor", since=date(2023, 1, 1))
        retention.record_outcome(deleted, "no_action", since=date(2023, 1, 1))
    with time_machine.travel("2026-09-01", tick=True):
        done = retention.apply_retention(dry_run=False)
    assert (done.anonymised, done.deleted) == ([anonymised.pk], [deleted.pk])

    assert not Mention.objects.filter(pk__in=[m.pk for m in gone]).exists()
    assert not BlockingKey.objects.filter(mention_id__in=[m.pk for m in gone]).exists()
    assert not Relation.objects.filter(signal_id__in=[anonymised.pk, deleted.pk]).exists()
    assert not Suggestion.objects.filter(left_id=left).exists()
    assert not Judgement.objects.filter(left_id=left).exists()
    # The people's entities stay for what refers to them (a case), without a name.
    assert set(Entity.objects.filter(pk__in=person_entities).values_list("caption", flat=True)) == {
        ""
    }
    # The account keeps the one mention left, and is named after it.
    account.refresh_from_db()
    assert list(Mention.objects.filter(entity=account).values_list("signal", flat=True)) == [
        kept.pk
    ]
    assert account.caption == Mention.objects.get(signal=kept, schema="BankAccount").caption
    # Nobody finds them any more, not even the partner that reported them.
    assert search_entities(world.users["care_coordinator"], "Melnyk") == []
    assert search_entities(world.users["ngo_worker"], "Stoica") == []
    # The suspect the kept signal names is still known, by that signal alone.
    found = search_entities(world.users["police_analyst"], "Dragomir")
    assert [m.signal_id for _entity, mentions in found for m in mentions] == [kept.pk]


def test_the_people_of_a_forgotten_signal_leave_the_term_frequencies(world: World) -> None:
    """A batch run keeps how many records held each name and phone number that at least two
    held; a forgotten signal's people are taken off those counts, and a value fewer than
    two records hold goes: it would name someone."""
    from schakel.entities.linkage import clean_record, normalise_name_part

    forgotten = _signal(world, "care_coordinator", VICTIM, SUSPECT)
    kept = _signal(world, "police_analyst", SUSPECT)
    resolve_signals([forgotten.pk, kept.pk])

    def value(column: str, person: PersonInput) -> str:
        # As the run has it: the name as linkage compares it (lower case, in Latin letters).
        name = {"given_name": person.given_names, "family_name": person.family_name}[column]
        return str(clean_record("person", {column: normalise_name_part(name)})[column])

    run = finished_batch_run(0.9)
    run.term_frequency_totals = {"given_name": 40, "family_name": 40}
    run.save()
    for column, person, records in (
        ("family_name", VICTIM, 2),  # Melnyk: this signal's and one other
        ("family_name", SUSPECT, 3),  # Dragomir: both signals' and one other
        ("given_name", SUSPECT, 5),
    ):
        TermFrequency.objects.create(
            run=run, column=column, value=value(column, person), records=records
        )

    with time_machine.travel("2026-02-01", tick=True):
        retention.record_outcome(forgotten, "monitor", since=date(2023, 1, 1))
    with time_machine.travel("2026-09-01", tick=True):
        assert retention.apply_retention(dry_run=False).anonymised == [forgotten.pk]

    left = {(f.column, f.value): f.records for f in TermFrequency.objects.filter(run=run)}
    assert left == {
        ("family_name", value("family_name", SUSPECT)): 2,
        ("given_name", value("given_name", SUSPECT)): 4,
    }
    run.refresh_from_db()
    assert run.term_frequency_totals == {"given_name": 38, "family_name": 38}


def test_a_dry_run_leaves_the_entities_alone(world: World) -> None:
    signal = _signal(
        world,
        "care_coordinator",
        VICTIM,
    )
    resolve_signals([signal.pk])
    with time_machine.travel("2026-02-01", tick=True):
        retention.record_outcome(signal, "monitor", since=date(2023, 1, 1))
    with time_machine.travel("2026-09-01", tick=True):
        assert retention.apply_retention().anonymised == [signal.pk]
    assert Mention.objects.filter(signal=signal).count() == 2
    assert Entity.objects.filter(caption="Oksana Melnyk").exists()


def test_the_migration_forgets_what_earlier_anonymisations_left(world: World) -> None:
    from importlib import import_module

    from django.apps import apps

    signal = _signal(
        world,
        "care_coordinator",
        VICTIM,
    )
    kept = _signal(
        world,
        "police_analyst",
        SUSPECT,
    )
    resolve_signals([signal.pk, kept.pk])
    person = Mention.objects.get(signal=signal, schema="Person").entity
    # As retention left them before it reached the entities: the signal's own rows gone,
    # its mentions and the names of entities of deleted signals still there.
    retention._anonymise(signal)
    orphan = Entity.objects.create(schema="Person", caption="Radu Stoica")
    absorbed = Entity.objects.create(schema="Person", caption="Ana Pop", merged_into=person)
    assert Mention.objects.filter(signal=signal).exists()
    migration = import_module("schakel.entities.migrations.0012_forget_anonymised_signals")
    migration.forget(apps, None)
    assert not Mention.objects.filter(signal=signal).exists()
    assert Mention.objects.filter(signal=kept).count() == 2
    person.refresh_from_db()
    orphan.refresh_from_db()
    absorbed.refresh_from_db()
    assert (person.caption, orphan.caption) == ("", "")
    # Merged away, it lost its mentions to another: nothing tells where its name came from.
    assert absorbed.caption == "Ana Pop"


#: Three reports of one person, company or address, each as one partner wrote it (the
#: addresses' spellings give each its own exact key).
REPORTED = {
    "Person": [{"persons": [PersonInput(role="witness", given_names="Ana", family_name="Lungu")]}]
    * 3,
    "Company": [{"companies": [CompanyInput(name="Schoonmaakbedrijf Lungu")]}] * 3,
    "Address": [
        {"addresses": [AddressInput(street=street, house_number="12", city=city)]}
        for street, city in (
            ("Ginnekenweg", "Breda"),
            ("Ginnekenwg", "Breda"),
            ("Ginnekenweg", "Breeda"),
        )
    ],
}


@pytest.mark.parametrize("schema", sorted(REPORTED))
def test_records_joined_only_through_a_forgotten_mention_are_two_again(
    world: World, schema: str
) -> None:
    """Three reports of one name, joined by a batch run along first and second and
    second and third: when the second signal is anonymised, the first and the third have no
    evidence left between them, and the entity splits as after a judgement — people,
    companies and addresses alike."""
    reports = []
    for author, values in zip(
        ("care_coordinator", "ngo_worker", "police_analyst"), REPORTED[schema], strict=True
    ):
        with time_machine.travel("2026-01-10 10:00", tick=True):
            reports.append(
                make_signal(
                    world.users[author],
                    groups=[world.table_a],
                    **{"persons": [], "companies": [], "addresses": [], **values},
                    ibans=[],
                    observed_on=date(2026, 1, 5),
                )
            )
    resolve_signals([signal.pk for signal in reports])
    first, second, third = (Mention.objects.get(signal=s, schema=schema) for s in reports)
    run = finished_batch_run(0.9, schema)
    for left, right in ((first, second), (second, third)):
        Suggestion.objects.create(
            left=left, right=right, run=run, probability=0.99, match_weight=9, links=True
        )
    resolve_around([first, second, third])
    first.refresh_from_db()
    assert Mention.objects.filter(entity_id=first.entity_id).count() == 3
    split: list[tuple[int, list[int]]] = []

    def on_split(sender: Any, original: Entity, parts: list[Entity], **kwargs: Any) -> None:
        split.append((original.pk, [e.pk for e in parts]))

    entity_split.connect(on_split, sender=Entity)
    try:
        with time_machine.travel("2026-02-01", tick=True):
            retention.record_outcome(reports[1], "monitor", since=date(2023, 1, 1))
        with (
            time_machine.travel("2026-09-01", tick=True),
            TestCase.captureOnCommitCallbacks(execute=True),
        ):
            assert retention.apply_retention(dry_run=False).anonymised == [reports[1].pk]
    finally:
        entity_split.disconnect(on_split, sender=Entity)
    first.refresh_from_db()
    third.refresh_from_db()
    assert first.entity_id != third.entity_id
    assert len(split) == 1 and split[0][0] in (first.entity_id, third.entity_id)
