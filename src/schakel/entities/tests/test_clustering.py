"""Scored pairs and judgements to entities: the threshold, "not the same" as a constraint
the model cannot break, withdrawals, stable entity ids, merges and splits as events."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from schakel.entities.clustering import (
    ATTACH_MARGIN,
    SeenWith,
    StandingJudgements,
    group_mentions,
    key_pairs,
    standing_among,
    standing_judgements,
    write_groups,
)
from schakel.entities.events import entities_merged, entities_regrouped, entity_split
from schakel.entities.models import Entity, Judgement, LinkageRun, Mention, Suggestion
from schakel.entities.review import resolve_around
from schakel.entities.services import resolve_signals
from schakel.entities.tests.factories import finished_batch_run
from schakel.signals.intake import PersonInput
from schakel.signals.tests.factories import make_signal
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db


def _people(world: World, *names: str) -> list[int]:
    signal = make_signal(
        world.users["care_coordinator"],
        groups=[world.table_a],
        persons=[PersonInput(role="witness", given_names=n, family_name="Test") for n in names],
        companies=[],
        addresses=[],
        ibans=[],
    )
    resolve_signals([signal.pk])
    return list(Mention.objects.filter(signal=signal).order_by("pk").values_list("pk", flat=True))


def _judge(world: World, a: int, b: int, verdict: str, **extra: Any) -> Judgement:
    return Judgement.objects.create(
        left_id=a,
        right_id=b,
        verdict=verdict,
        reason="checked the passport copies",
        judged_by=world.users["police_analyst"],
        **extra,
    )


def _entities(ids: list[int]) -> list[int | None]:
    entity_of = dict(Mention.objects.filter(pk__in=ids).values_list("pk", "entity_id"))
    return [entity_of[i] for i in ids]


def test_pairs_at_or_above_the_threshold_join_transitively(world: World) -> None:
    a, b, c, d = _people(world, "A", "B", "C", "D")
    none = standing_judgements()
    groups, refused = group_mentions(
        [a, b, c, d], [(a, b, 0.99), (b, c, 0.95), (c, d, 0.2)], 0.9, none
    )
    assert sorted(groups) == [[a, b, c], [d]]
    assert refused == []


def test_not_the_same_holds_against_the_model_and_same_joins_without_it(world: World) -> None:
    a, b, c, d = _people(world, "A", "B", "C", "D")
    _judge(world, a, c, Judgement.Verdict.NOT_SAME)
    _judge(world, c, d, Judgement.Verdict.SAME)
    judgements = standing_judgements()
    groups, refused = group_mentions([a, b, c, d], [(a, b, 0.99), (b, c, 0.98)], 0.9, judgements)
    # b-c would put a and c together: refused; c-d joined by the analyst at probability 0.
    assert sorted(groups) == [[a, b], [c, d]]
    assert refused == [(b, c)]


@pytest.mark.parametrize("apart", [0, 1, 2, 3], ids=["first", "second", "third", "last"])
def test_the_holders_of_one_exact_key_stay_together_when_one_is_judged_apart(
    world: World, apart: int
) -> None:
    """A batch run joins the records of one IBAN, plate or Dutch address along pairs of its
    exact key; one that an analyst put apart goes, the rest stay one (chained to the first
    holder, they all fell apart when the first was the one)."""
    holders = _people(world, "A", "B", "C", "D")
    for other in holders:
        if other != holders[apart]:
            _judge(world, holders[apart], other, Judgement.Verdict.NOT_SAME)
    judgements = standing_judgements()
    pairs = key_pairs(holders, judgements.not_same)
    assert len(pairs) <= len(holders)
    groups, _refused = group_mentions(holders, pairs, 0.9, judgements)
    rest = [h for h in holders if h != holders[apart]]
    assert sorted(groups) == sorted([rest, [holders[apart]]])
    # Without a judgement, one chain: a pair fewer than holders.
    assert key_pairs(holders, frozenset()) == [(holders[0], h, 1.0) for h in holders[1:]]


def test_a_record_without_a_date_of_birth_does_not_bridge_two_dates(world: World) -> None:
    # b has no date of birth and matches both a and c on the name alone: without the rule,
    # b would bridge two people born years apart.
    a, b, c, d = _people(world, "A", "B", "C", "D")
    born = {a: "1996-11-06", b: None, c: "1971-07-04", d: "1996"}
    pairs = [(a, b, 0.999), (b, c, 0.998), (a, d, 0.997)]
    groups, refused = group_mentions([a, b, c, d], pairs, 0.99, standing_judgements(), born)
    # a, b and d (a year fits a full date) are one; c's date differs from the group's.
    assert sorted(groups) == [[a, b, d], [c]]
    assert refused == []  # no analyst refused anything
    # Without dates, the same pairs chain all four.
    groups, _refused = group_mentions([a, b, c, d], pairs, 0.99, standing_judgements())
    assert groups == [[a, b, c, d]]
    # Directly, on the name, neither; a pair that more than the name ties together (the
    # same identity number: a date mistyped beyond recognition) joins.
    none = standing_judgements()
    groups, _refused = group_mentions([a, c], [(a, c, 0.999)], 0.99, none, born)
    assert sorted(groups) == [[a], [c]]
    groups, _refused = group_mentions([a, c], [(a, c, 0.999)], 0.99, none, born, [(c, a)])
    assert groups == [[a, c]]
    # ... but never through a record without a date.
    groups, _refused = group_mentions([a, b, c], pairs[:2], 0.99, none, born, [(a, b), (b, c)])
    assert sorted(groups) == [[a, b], [c]]


def test_corroborating_comparisons_come_from_the_explanation() -> None:
    from schakel.entities.clustering import corroborated_pairs

    rows = [
        (1, 2, [{"comparison": "given_name", "weight": 5.0}, {"comparison": "phone", "weight": 3}]),
        (4, 3, [{"comparison": "identity_number", "weight": 9.5}]),
        (
            5,
            6,
            [{"comparison": "address", "weight": -1.2}, {"comparison": "family_name", "weight": 4}],
        ),
        (7, 8, []),
    ]
    assert corroborated_pairs(rows) == {(1, 2), (3, 4)}


def test_an_analysts_same_joins_people_whose_dates_differ(world: World) -> None:
    a, b = _people(world, "A", "B")
    _judge(world, a, b, Judgement.Verdict.SAME)  # e.g. one date was a typing error
    born = {a: "1996-11-06", b: "1996-06-11"}
    groups, _refused = group_mentions([a, b], [], 0.99, standing_judgements(), born)
    assert groups == [[a, b]]


def _lungus(world: World, *born: date | None) -> tuple[list[Mention], LinkageRun]:
    """Mentions of one name with these dates of birth, and a batch run at 0.99."""
    signal = make_signal(
        world.users["care_coordinator"],
        groups=[world.table_a],
        persons=[
            PersonInput(role="witness", given_names="Ana", family_name="Lungu", date_of_birth=b)
            for b in born
        ],
        companies=[],
        addresses=[],
        ibans=[],
    )
    resolve_signals([signal.pk])
    run = finished_batch_run(0.99)
    return list(Mention.objects.filter(signal=signal).order_by("pk")), run


@pytest.mark.parametrize("weights", [(12.0, 12.0), (12.0, 6.0)])
def test_regrouping_around_a_judgement_keeps_the_date_of_birth_rule(
    world: World, weights: tuple[float, float]
) -> None:
    """b, without a date, is linked by name alone to a and to c, born twenty years apart:
    never the three as one. b waits for the attaching step, which joins it to the one its
    pairs clearly point to, and leaves it alone when they fit about as well."""
    (a, b, c), run = _lungus(world, date(1990, 1, 2), None, date(1970, 5, 6))
    names = [
        {"comparison": "given_name", "weight": 4.0},
        {"comparison": "family_name", "weight": 4.0},
    ]
    for (left, right), weight in zip(((a, b), (b, c)), weights, strict=True):
        Suggestion.objects.create(
            left=left,
            right=right,
            run=run,
            probability=0.999,
            match_weight=weight,
            links=True,
            explanation=names,
        )
    resolve_around([a, b, c])
    a_entity, b_entity, c_entity = _entities([a.pk, b.pk, c.pk])
    assert a_entity != c_entity
    assert (a_entity == b_entity) == (weights[0] - weights[1] >= ATTACH_MARGIN)
    assert b_entity != c_entity


def test_a_withdrawn_judgement_no_longer_stands(world: World) -> None:
    a, b = _people(world, "A", "B")
    judgement = _judge(world, a, b, Judgement.Verdict.NOT_SAME)
    _judge(world, a, b, Judgement.Verdict.WITHDRAWN, withdraws=judgement)
    assert standing_judgements().not_same == frozenset()
    groups, _refused = group_mentions([a, b], [(a, b, 0.99)], 0.9, standing_judgements())
    assert groups == [[a, b]]


def test_the_latest_judgement_of_a_pair_stands(world: World) -> None:
    a, b = _people(world, "A", "B")
    _judge(world, a, b, Judgement.Verdict.SAME)
    _judge(world, b, a, Judgement.Verdict.NOT_SAME)
    standing = standing_judgements()
    assert standing.not_same == {(a, b)} and standing.same == frozenset()


@pytest.fixture(params=["named", "whole schema"])
def reading(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways ``write_groups`` reads the mentions: naming them (a regrouping around a
    few) and reading every mention of the schema (a batch run)."""
    from schakel.entities import clustering

    if request.param == "whole schema":
        monkeypatch.setattr(clustering, "WHOLE_SCHEMA", 0)
    return str(request.param)


def test_writing_groups_keeps_ids_and_announces_merges_and_splits(
    world: World, reading: str
) -> None:
    a, b, c = _people(world, "A", "B", "C")
    (outside,) = _people(world, "D")  # a mention no group names keeps its entity
    first = _entities([a, b, c])
    assert len(set(first)) == 3
    merged: list[tuple[int, list[int]]] = []
    split: list[tuple[int, list[int]]] = []

    def on_merge(sender: Any, kept: Entity, absorbed: list[Entity], **kwargs: Any) -> None:
        merged.append((kept.pk, [e.pk for e in absorbed]))

    def on_split(sender: Any, original: Entity, parts: list[Entity], **kwargs: Any) -> None:
        split.append((original.pk, [e.pk for e in parts]))

    regroupings: list[tuple[list[Any], list[Any]]] = []

    def on_regrouped(sender: Any, merges: list[Any], splits: list[Any], **kwargs: Any) -> None:
        regroupings.append((merges, splits))

    entities_merged.connect(on_merge)
    entity_split.connect(on_split)
    entities_regrouped.connect(on_regrouped)
    try:
        from django.test import TestCase

        with TestCase.captureOnCommitCallbacks(execute=True):
            changes = write_groups("Person", [[a, b, c]])
        after = _entities([a, b, c])
        assert len(set(after)) == 1 and after[0] in first
        assert changes.moved_mentions == 2
        kept = after[0]
        assert merged == [(kept, sorted(e for e in first if e != kept))]
        # All of a regrouping's merges and splits also come at once, as ids.
        assert regroupings == [(merged, [])]
        assert Entity.objects.filter(merged_into_id=kept).count() == 2

        # An analyst splits c off: c gets an entity of its own, the rest keep theirs.
        with TestCase.captureOnCommitCallbacks(execute=True):
            write_groups("Person", [[a, b], [c]])
        a_after, b_after, c_after = _entities([a, b, c])
        assert a_after == b_after == kept and c_after != kept
        assert split == [(kept, [c_after])]
        assert regroupings[-1] == ([], split)

        # The mention left out of the groups holds its entity; c joins it.
        (d_entity,) = _entities([outside])
        with TestCase.captureOnCommitCallbacks(execute=True):
            write_groups("Person", [[c, outside]])
        together, alone = _entities([c, outside])
        assert together == alone and together in {c_after, d_entity}
        gone = ({c_after, d_entity} - {together}).pop()
        assert split == [(kept, [c_after])] and merged[-1] == (together, [gone])
        assert _entities([a, b]) == [kept, kept]
        # An empty group among them names no entity and changes nothing.
        with TestCase.captureOnCommitCallbacks(execute=True):
            unchanged = write_groups("Person", [[a, b], []])
        assert unchanged.created == 0 and _entities([a, b]) == [kept, kept]
    finally:
        entities_merged.disconnect(on_merge)
        entity_split.disconnect(on_split)
        entities_regrouped.disconnect(on_regrouped)


def test_an_entity_whose_mentions_go_to_two_others_is_announced_split(world: World) -> None:
    """E's two mentions go one to F and one to G, and E holds none: that is a split of E
    (a merge would say every mention of E is now F's, and a case following E would lose the
    one in G); E's id leads on to one of the parts."""
    from django.test import TestCase

    e1, e2, f1, f2, g1, g2 = _people(world, "E", "E", "F", "F", "G", "G")
    write_groups("Person", [[e1, e2], [f1, f2], [g1, g2]])
    entity_e, entity_f, entity_g = _entities([e1, f1, g1])
    heard: list[tuple[str, int, list[int]]] = []

    def on_merge(sender: Any, kept: Entity, absorbed: list[Entity], **kwargs: Any) -> None:
        heard.append(("merged", kept.pk, [e.pk for e in absorbed]))

    def on_split(sender: Any, original: Entity, parts: list[Entity], **kwargs: Any) -> None:
        heard.append(("split", original.pk, [e.pk for e in parts]))

    entities_merged.connect(on_merge)
    entity_split.connect(on_split)
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            changes = write_groups("Person", [[e1, f1, f2], [e2, g1, g2]])
    finally:
        entities_merged.disconnect(on_merge)
        entity_split.disconnect(on_split)
    assert _entities([e1, e2]) == [entity_f, entity_g]
    assert heard == [("split", entity_e, sorted([entity_f, entity_g]))]
    assert changes.merges == []
    assert Entity.objects.get(pk=entity_e).merged_into_id in {entity_f, entity_g}


def test_an_entity_is_named_after_a_mention_it_still_holds_after_a_split(world: World) -> None:
    a, b, c = _people(world, "Marius", "Mario", "Mario")
    write_groups("Person", [[a, b, c]])
    (entity,) = set(_entities([a, b, c]))
    Entity.objects.filter(pk=entity).update(caption=Mention.objects.get(pk=a).caption)
    write_groups("Person", [[a], [b, c]])
    assert _entities([b, c]) == [entity, entity] != _entities([a, a])
    assert Entity.objects.get(pk=entity).caption == Mention.objects.get(pk=b).caption
    # Named after a mention it still holds, it keeps its name.
    write_groups("Person", [[a], [b], [c]])
    assert Entity.objects.get(pk=entity).caption == Mention.objects.get(pk=b).caption


def test_a_failing_write_leaves_the_entities_as_they_were(
    world: World, monkeypatch: pytest.MonkeyPatch, reading: str
) -> None:
    a, b = _people(world, "A", "B")
    before = _entities([a, b])
    with pytest.raises(ValueError, match="not mentions of Person"):
        write_groups("Person", [[a, b], [10**12]])
    assert _entities([a, b]) == before

    # A failure after the mentions have moved: all of it is rolled back.
    from schakel.entities import clustering

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(clustering, "_mark_absorbed", broken)
    with pytest.raises(RuntimeError):
        write_groups("Person", [[a, b]])
    assert _entities([a, b]) == before
    assert not Entity.objects.filter(merged_into__isnull=False).exists()


@pytest.mark.parametrize("order", ["oldest first", "newest first"])
def test_of_groups_as_big_the_one_with_the_oldest_mention_keeps_the_entity(
    world: World, order: str
) -> None:
    a, b = _people(world, "A", "B")
    write_groups("Person", [[a, b]])
    (entity,) = set(_entities([a, b]))
    parts = [[a], [b]] if order == "oldest first" else [[b], [a]]
    write_groups("Person", parts)
    assert _entities([a, b])[0] == entity != _entities([a, b])[1]


def test_a_record_without_a_date_joins_the_one_dated_person_its_pairs_point_to(
    world: World,
) -> None:
    # b and d have no date of birth and nothing the model links on; b's pairs point to a's
    # group far more than to c; d fits a and c about as well.
    a, a2, b, c, d = _people(world, "A", "A2", "B", "C", "D")
    born = {a: "1990-01-02", a2: "1990-01-02", b: None, c: "1971-05-06", d: None}
    pairs = [(a, a2, 0.99), (a, b, 0.8), (b, c, 0.6), (a, d, 0.7), (c, d, 0.7)]
    attachable = [(a, b, 2.0), (a2, b, 3.0), (b, c, 0.6), (a, d, 1.2), (c, d, 1.2)]
    none = standing_judgements()
    groups, _refused = group_mentions([a, a2, b, c, d], pairs, 0.9, none, born, (), attachable)
    assert sorted(groups) == [[a, a2, b], [c], [d]]
    # Without the pairs to attach along, or without dates (not people), nothing attaches.
    groups, _refused = group_mentions([a, a2, b, c, d], pairs, 0.9, none, born)
    assert sorted(groups) == [[a, a2], [b], [c], [d]]
    groups, _refused = group_mentions([a, a2, b, c, d], pairs, 0.9, none, None, (), attachable)
    assert sorted(groups) == [[a, a2], [b], [c], [d]]
    # A lone candidate is enough, and a group without dates attaches whole.
    groups, _refused = group_mentions([a, b, d], [(b, d, 0.95)], 0.9, none, born, (), [(a, d, 0.5)])
    assert groups == [[a, b, d]]
    # An analyst's "not the same" holds.
    _judge(world, b, a2, Judgement.Verdict.NOT_SAME)
    groups, refused = group_mentions(
        [a, a2, b, c, d], pairs, 0.9, standing_judgements(), born, (), attachable
    )
    assert sorted(groups) == [[a, a2], [b], [c], [d]]
    assert [b in pair for pair in refused] == [True]  # the attaching join, refused


def test_the_pairs_to_attach_along_have_identifying_evidence() -> None:
    from schakel.entities.clustering import IDENTIFYING, attachable_pairs
    from schakel.entities.linkage.settings import PERSON

    assert PERSON.identifying == IDENTIFYING
    rows = [
        (
            1,
            2,
            [{"comparison": "given_name", "weight": 5.0}, {"comparison": "phone", "weight": 9}],
            3.5,
        ),
        (
            3,
            4,
            [{"comparison": "family_name", "weight": -2.0}, {"comparison": "phone", "weight": 9}],
            6.0,
        ),
        (5, 6, [], 1.0),
    ]
    assert attachable_pairs(rows) == [(1, 2, 3.5)]


def test_regrouping_around_a_judgement_keeps_an_attached_record(world: World) -> None:
    (a, a2, b), run = _lungus(world, date(1990, 1, 2), date(1990, 1, 2), None)
    names = [
        {"comparison": "given_name", "weight": 4.0},
        {"comparison": "family_name", "weight": 4.0},
    ]
    Suggestion.objects.create(
        left=a, right=a2, run=run, probability=0.999, match_weight=12, links=True
    )
    Suggestion.objects.create(
        left=a, right=b, run=run, probability=0.8, match_weight=2, links=False, explanation=names
    )
    resolve_around([a, a2, b])
    assert len(set(_entities([a.pk, a2.pk, b.pk]))) == 1


def test_records_without_a_date_attach_to_a_person_one_after_the_other(world: World) -> None:
    # Three records without a date (linked to each other) outnumber a's group, so attaching
    # them moves that group under another root; d still attaches to it after them.
    a, b1, b2, b3, d = _people(world, "A", "B1", "B2", "B3", "D")
    born = {a: "1990-01-02", b1: None, b2: None, b3: None, d: None}
    pairs = [(b1, b2, 0.99), (b2, b3, 0.99)]
    attachable = [(a, b1, 1.0), (a, d, 1.0)]
    groups, _refused = group_mentions(
        [a, b1, b2, b3, d], pairs, 0.9, standing_judgements(), born, (), attachable
    )
    assert groups == [[a, b1, b2, b3, d]]


@pytest.mark.parametrize("seed", range(40))
def test_grouping_settled_components_at_once_gives_what_joining_one_by_one_gives(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large run groups the components that join without a refusal at once
    (``settled_components``) and joins only the others pair by pair: random graphs with
    dates of birth that may or may not be one date, "not the same" and "same" judgements,
    corroborated pairs and records without a date to attach give the same groups and the
    same refusals both ways."""
    import random

    from schakel.entities import clustering
    from schakel.entities.clustering import StandingJudgements

    rng = random.Random(seed)
    ids = rng.sample(range(1, 10_000), rng.randint(5, 400))
    dates = ["1990-01-01", "1990-01-02", "1990-10-01", "1990", "1985-05-05", "2001-12-31"]
    born = {i: rng.choice(dates) if rng.random() < 0.7 else None for i in ids} if seed % 4 else None
    people = [ids[n : n + rng.randint(1, 8)] for n in range(0, len(ids), 5)]
    pairs = [
        (rng.choice(group), rng.choice(ids if rng.random() < 0.1 else group), rng.random())
        for group in people
        for _ in range(rng.randint(0, 12))
    ]
    pairs = [(a, b, p) for a, b, p in pairs if a != b]
    pairs.append((max(ids) + 1, ids[0], 0.99))  # a mention outside the run's
    # Judgements about two mentions of one person mostly, so that they fall in a component.
    some = [
        tuple(rng.sample(group if len(group) > 1 and rng.random() < 0.8 else ids, 2))
        for group in rng.sample(people, min(len(people), rng.randint(0, 8)))
    ]
    judgements = StandingJudgements(
        same=frozenset((min(a, b), max(a, b)) for a, b in some[: len(some) // 3]),
        not_same=frozenset((min(a, b), max(a, b)) for a, b in some[len(some) // 3 :]),
    )
    corroborated = [(a, b) for a, b, _p in pairs if rng.random() < 0.2]
    attachable = [(a, b, rng.uniform(-2, 20)) for a, b, _p in pairs if rng.random() < 0.3]

    def grouped(settle_from: int) -> tuple[list[list[int]], list[tuple[int, int]]]:
        monkeypatch.setattr(clustering, "SETTLE_FROM", settle_from)
        groups, refused = group_mentions(
            ids, pairs, 0.5, judgements, born, corroborated, attachable
        )
        return sorted(groups), refused

    one_by_one, at_once = grouped(10**9), grouped(0)
    assert at_once == one_by_one
    assert sum(len(g) for g in at_once[0]) == len(ids)


def test_a_record_without_a_date_joins_the_namesake_reported_with_the_same_people() -> None:
    """s, a suspect known by name only, is named beside victim v. Two dated namesakes fit
    his name equally well: a, once named beside v (there as v2, the same woman), and b.
    Who he was reported with decides; without that he is left to the analysts."""
    from schakel.entities.clustering import SeenWith

    s, v, a, v2, b, other = 1, 2, 3, 4, 5, 6
    born = {s: None, v: "1999-03-04", v2: "1999-03-04", a: "1980-01-01", b: "1975-06-07"}
    born[other] = "2001-01-01"
    ids = [s, v, a, v2, b, other]
    pairs = [(v, v2, 0.999)]
    attachable = [(s, a, 12.0), (s, b, 12.0)]
    none = standing_judgements()
    seen = SeenWith.of_signals([(s, 100), (v, 100), (a, 101), (v2, 101), (b, 102), (other, 102)])
    groups, _refused = group_mentions(ids, pairs, 0.9, none, born, (), attachable, seen_with=seen)
    assert sorted(groups) == [[s, a], [v, v2], [b], [other]]
    # Without knowing who was reported with whom, the two fit as well: s stays alone.
    groups, _refused = group_mentions(ids, pairs, 0.9, none, born, (), attachable)
    assert [s] in groups
    # When both namesakes were named beside the same people, that decides nothing either.
    both = SeenWith.of_signals([(s, 100), (v, 100), (a, 101), (v2, 101), (b, 101)])
    groups, _refused = group_mentions(ids, pairs, 0.9, none, born, (), attachable, seen_with=both)
    assert [s] in groups
    # Those outside the grouping count by their entity.
    outside = SeenWith.of_signals([(s, 100), (20, 100), (a, 101), (21, 101)], {20: 7, 21: 7})
    groups, _refused = group_mentions(
        ids, pairs, 0.9, none, born, (), attachable, seen_with=outside
    )
    assert [s, a] in groups


def test_a_link_on_names_alone_to_a_dated_record_waits_for_the_attaching_step() -> None:
    """The model links s (no date of birth) to b on the names alone, and scores a lower. With
    who each was reported with known, the link waits for the attaching step, which takes a,
    reported with the same victim. A link more than the names make (an address, a phone, an
    identity number agree: ``corroborated``) joins at once, as do pairs at probability 1
    (exact keys)."""
    from schakel.entities.clustering import SeenWith

    s, v, a, v2, b = 1, 2, 3, 4, 5
    born = {s: None, v: "1999-03-04", v2: "1999-03-04", a: "1980-01-01", b: "1975-06-07"}
    ids = [s, v, a, v2, b]
    pairs = [(s, b, 0.99), (v, v2, 0.999)]
    attachable = [(s, b, 12.0), (s, a, 10.0)]
    none = standing_judgements()
    seen = SeenWith.of_signals([(s, 100), (v, 100), (a, 101), (v2, 101)])
    groups, _refused = group_mentions(ids, pairs, 0.9, none, born, (), attachable, seen_with=seen)
    assert sorted(groups) == [[s, a], [v, v2], [b]]
    # As before when it is not known: the link joins.
    groups, _refused = group_mentions(ids, pairs, 0.9, none, born, (), attachable)
    assert sorted(groups) == [[s, b], [v, v2], [a]]
    for corroborated, certain in (([(s, b)], 0.99), ((), 1.0)):
        groups, _refused = group_mentions(
            ids,
            [(s, b, certain), (v, v2, 0.999)],
            0.9,
            none,
            born,
            corroborated,
            attachable,
            seen_with=seen,
        )
        assert sorted(groups) == [[s, b], [v, v2], [a]]


def test_regrouping_tells_namesakes_apart_by_who_they_were_reported_with(world: World) -> None:
    """resolve_around (after a judgement, after intake) knows who the mentions were reported
    with, in the signals themselves: a suspect named by name only beside a victim goes to the
    namesake who was named beside her before."""
    user = world.users["care_coordinator"]

    def signal(*persons: PersonInput) -> list[Mention]:
        made = make_signal(
            user, groups=[world.table_a], persons=list(persons), companies=[], addresses=[]
        )
        resolve_signals([made.pk])
        return list(Mention.objects.filter(signal=made, schema="Person").order_by("pk"))

    victim = PersonInput(
        role="possible_victim",
        given_names="Ioana",
        family_name="Lungu",
        date_of_birth=date(1999, 3, 4),
    )
    suspect = PersonInput(role="suspect", given_names="Marius", family_name="Dragomir")
    v, s = signal(victim, suspect)
    v2, a = signal(victim, replace(suspect, date_of_birth=date(1980, 1, 1)))
    (b,) = signal(replace(suspect, date_of_birth=date(1975, 6, 7)))
    run = finished_batch_run(0.9)
    names = [
        {"comparison": "given_name", "weight": 6.0},
        {"comparison": "family_name", "weight": 6.0},
    ]
    for left, right, links in ((v, v2, True), (s, a, False), (s, b, False)):
        Suggestion.objects.create(
            left=left,
            right=right,
            run=run,
            probability=0.999 if links else 0.8,
            match_weight=12 if links else 2,
            links=links,
            explanation=names,
        )
    resolve_around([v, v2, s, a, b])
    v_entity, v2_entity, s_entity, a_entity, b_entity = _entities([v.pk, v2.pk, s.pk, a.pk, b.pk])
    assert v_entity == v2_entity
    assert s_entity == a_entity != b_entity


def test_regrouping_reads_its_surroundings_in_one_round_trip_as_the_orm_reads_them(
    world: World,
) -> None:
    """``read_surroundings``, written once in SQL, reads what the ORM's reads of the same
    component give: its mentions and their entities, the dates of birth, who each was
    reported with, the pairs scored since the latest batch run started (not an older run's),
    their runs' layouts and the standing judgements (a withdrawn one no longer stands). On
    PostgreSQL it is one round trip."""
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from schakel.entities.clustering import read_surroundings

    (a, b, c, d), run = _lungus(world, date(1990, 1, 2), None, date(1990, 1, 2), None)
    (outsider,) = _people(world, "Other")
    write_groups("Person", [[a.pk, b.pk, c.pk], [d.pk]])
    older = LinkageRun.objects.create(
        kind=LinkageRun.Kind.BATCH,
        schema="Person",
        status=LinkageRun.Status.DONE,
        threshold=0.9,
        review_threshold=0.5,
        started_at=timezone.now() - timedelta(days=2),
        layout=[["given_name", ["else", "exact"]]],
    )
    LinkageRun.objects.filter(pk=run.pk).update(layout=[["given_name", ["else", "exact"]]])
    run.refresh_from_db()
    # Pairs made by the older run before the latest started: not counted, even within.
    stale_time = run.started_at - timedelta(days=1)
    for left, right, by, made in ((a, b, run, run.started_at), (b, c, older, stale_time)):
        Suggestion.objects.create(
            left=left,
            right=right,
            run=by,
            probability=0.97,
            match_weight=9.0,
            links=True,
            explanation=[[1, 4.5]],
            created_at=made,
        )
    Suggestion.objects.filter(run=older).update(created_at=stale_time)
    withdrawn = _judge(world, a.pk, d.pk, Judgement.Verdict.NOT_SAME)
    _judge(world, a.pk, d.pk, Judgement.Verdict.WITHDRAWN, withdraws=withdrawn)
    _judge(world, b.pk, c.pk, Judgement.Verdict.NOT_SAME)
    _judge(world, c.pk, outsider, Judgement.Verdict.SAME)

    with CaptureQueriesContext(connection) as sent:
        around = read_surroundings("Person", [a.pk])
    if connection.vendor == "postgresql":
        assert len(sent.captured_queries) == 1
    component = {a.pk, b.pk, c.pk}
    assert around.current == dict(
        Mention.objects.filter(pk__in=component).values_list("pk", "entity_id")
    )
    assert around.threshold == run.threshold
    assert around.merged_away == set()
    assert around.born == _orm_dates_of_birth(component)
    assert around.judgements == _orm_standing_judgements(component)
    assert around.judgements.not_same == {tuple(sorted((b.pk, c.pk)))}
    assert around.judgements.same == {tuple(sorted((c.pk, outsider)))}
    assert [(row[0], row[1], row[6]) for row in around.scored] == [(a.pk, b.pk, run.pk)]
    assert around.scored[0][4] == [[1, 4.5]] and around.scored[0][3] is True
    assert around.layouts[run.pk] == [["given_name", ["else", "exact"]]]
    expected = _orm_seen_with(component)
    assert dict(around.seen_with.signal_of) == dict(expected.signal_of)
    assert dict(around.seen_with.entity_of) == dict(expected.entity_of) != {}
    with pytest.raises(ValueError, match="not mentions of Company"):
        read_surroundings("Company", [a.pk])


# What ``read_surroundings`` reads, as the ORM read it before it was one round trip.


def _orm_dates_of_birth(ids: set[int]) -> dict[int, str | None]:
    return {
        pk: next(iter(properties.get("birthDate") or []), None)
        for pk, properties in Mention.objects.filter(pk__in=ids, schema="Person").values_list(
            "pk", "properties"
        )
    }


def _orm_standing_judgements(ids: set[int]) -> StandingJudgements:
    judgements = Judgement.objects.order_by("judged_at", "pk")
    judgements = judgements.filter(left_id__in=ids) | judgements.filter(right_id__in=ids)
    return standing_among(
        judgements.values_list("pk", "left_id", "right_id", "verdict", "withdraws_id")
    )


def _orm_seen_with(ids: set[int]) -> SeenWith:
    rows = list(
        Mention.objects.filter(
            schema="Person",
            signal_id__in=Mention.objects.filter(pk__in=ids).values("signal_id"),
        ).values_list("pk", "signal_id", "entity_id")
    )
    outside = {pk: e for pk, _signal, e in rows if pk not in ids and e is not None}
    return SeenWith.of_signals(((pk, signal) for pk, signal, _e in rows), outside)
