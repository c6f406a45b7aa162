"""The agenda bundles by entities: people as linkage and judgements resolved them, exact
keys only for signals the worker has not resolved yet, phones and e-mails by equality."""

from __future__ import annotations

from datetime import date

import pytest

from schakel.entities.clustering import write_groups
from schakel.entities.models import Mention
from schakel.entities.services import resolve_signals
from schakel.signals.intake import PersonInput
from schakel.signals.models import Signal
from schakel.signals.tests.factories import make_signal
from schakel.signaltable.bundling import EntityBundler, ExactKeyBundler
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db


def _signal(world: World, author: str, **person: object) -> Signal:
    values = {"role": "possible_victim", "given_names": "Ioana", "family_name": "Popescu"}
    values.update(person)
    return make_signal(
        world.users[author],
        groups=[world.table_a],
        persons=[PersonInput(**values)],  # type: ignore[arg-type]
        companies=[],
        addresses=[],
        ibans=[],
    )


def _kinds(links: list[object]) -> set[tuple[int, int, str]]:
    return {(link.signal_a, link.signal_b, link.kind) for link in links}  # type: ignore[attr-defined]


def test_unresolved_signals_are_bundled_by_exact_keys_meanwhile(world: World) -> None:
    born = date(1999, 3, 4)
    a = _signal(world, "care_coordinator", date_of_birth=born)
    b = _signal(world, "police_analyst", date_of_birth=born)
    assert _kinds(EntityBundler().links([a.pk, b.pk])) == {(a.pk, b.pk, "person")}


def test_resolved_people_are_bundled_by_their_entities(world: World) -> None:
    a = _signal(world, "care_coordinator", date_of_birth=date(1999, 3, 4))
    # A typo in the name and no date of birth: no exact key in common.
    b = _signal(world, "police_analyst", given_names="Ioanna")
    c = _signal(world, "police_analyst", given_names="Mihai")
    resolve_signals([a.pk, b.pk, c.pk])
    ids = [a.pk, b.pk, c.pk]
    assert ExactKeyBundler().links(ids) == []
    assert EntityBundler().links(ids) == []

    # Linkage (or an analyst) says a and b are one person.
    mention_a, mention_b, mention_c = (Mention.objects.get(signal=s) for s in (a, b, c))
    write_groups("Person", [[mention_a.pk, mention_b.pk], [mention_c.pk]])
    links = EntityBundler().links(ids)
    assert _kinds(links) == {(a.pk, b.pk, "person")}
    assert links[0].categories_a == frozenset({"care"})


def test_an_analysts_not_the_same_holds_on_the_agenda(world: World) -> None:
    born = date(1999, 3, 4)
    a = _signal(world, "care_coordinator", date_of_birth=born)
    b = _signal(world, "police_analyst", date_of_birth=born)
    resolve_signals([a.pk, b.pk])
    # Same name and date of birth, but resolved as two people: not bundled.
    assert _kinds(ExactKeyBundler().links([a.pk, b.pk])) == {(a.pk, b.pk, "person")}
    assert EntityBundler().links([a.pk, b.pk]) == []


def test_shared_phone_numbers_still_bundle(world: World) -> None:
    a = _signal(world, "care_coordinator", phones=["06 1234 5678"])
    b = _signal(world, "police_analyst", given_names="Maria", phones=["+31612345678"])
    resolve_signals([a.pk, b.pk])
    assert _kinds(EntityBundler().links([a.pk, b.pk])) == {(a.pk, b.pk, "phone")}


def test_resolved_and_unresolved_signals_are_bundled_together(world: World) -> None:
    born = date(1999, 3, 4)
    a = _signal(world, "care_coordinator", date_of_birth=born)
    b = _signal(world, "police_analyst", given_names="Ioanna")
    c = _signal(world, "police_analyst", date_of_birth=born)
    resolve_signals([a.pk, b.pk])
    mention_a, mention_b = (Mention.objects.get(signal=s) for s in (a, b))
    write_groups("Person", [[mention_a.pk, mention_b.pk]])
    # a and b by their entity (named as the first of them names it); c, not resolved yet, by
    # the exact key it shares with a.
    links = EntityBundler().links([c.pk, b.pk, a.pk])
    assert _kinds(links) == {(a.pk, b.pk, "person"), (a.pk, c.pk, "person")}
    (by_entity,) = (link for link in links if link.signal_b == b.pk)
    assert by_entity.value_label == mention_a.caption
