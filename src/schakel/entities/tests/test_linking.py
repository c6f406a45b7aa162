"""A batch linkage run over mentions in the database, matching after intake with the saved
model, judgements surviving a re-run, and a failed run leaving everything as it was."""

from __future__ import annotations

import os
import random
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from schakel.entities import linking
from schakel.entities.explanations import expand
from schakel.entities.matching import match_signals
from schakel.entities.models import (
    Entity,
    Judgement,
    LinkageRun,
    Mention,
    Suggestion,
    TermFrequency,
)
from schakel.entities.services import resolve_signals
from schakel.signals.intake import PersonInput
from schakel.signals.models import Signal
from schakel.signals.tests.factories import make_signal
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db

GIVEN = [
    "Ioana", "Maria", "Andrei", "Olena", "Piotr", "Fatima", "Jonas", "Elena", "Mihai",
    "Daria", "Radu", "Georgi", "Linh", "Yusuf", "Sanne", "Bogdan", "Oksana", "Kwame",
]  # fmt: skip
FAMILY = [
    "Popescu", "Nowak", "Kowalski", "Shevchenko", "Tran", "Mensah", "Yilmaz", "Jansen",
    "Ionescu", "Petrov", "Dimitrova", "Pham", "Owusu", "Bakker", "Stoica", "Visser",
]  # fmt: skip
AUTHORS = ["care_coordinator", "police_analyst", "ngo_worker"]


def _typo(rng: random.Random, text: str) -> str:
    at = rng.randrange(1, len(text) - 1)
    return text[:at] + text[at + 1] + text[at] + text[at + 2 :]


def _report(world: World, person: PersonInput, author: str) -> Signal:
    return make_signal(
        world.users[author],
        groups=[world.table_a],
        persons=[person],
        companies=[],
        addresses=[],
        ibans=[],
    )


@pytest.fixture
def population(world: World) -> dict[int, int]:
    """90 people, each reported two or three times by different partners, with typos and
    missing values; returns mention id -> true identity."""
    rng = random.Random(7)
    truth: dict[int, int] = {}
    signals: list[tuple[Signal, int]] = []
    for identity in range(90):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        born = date(1970, 1, 1) + timedelta(days=rng.randrange(12_000))
        phone = f"0612{rng.randrange(100_000, 999_999)}"
        for report in range(rng.choice([2, 2, 3])):
            person = PersonInput(
                role="witness",
                given_names=_typo(rng, given) if report and rng.random() < 0.3 else given,
                family_name=family,
                date_of_birth=None if report and rng.random() < 0.2 else born,
                phones=[phone] if rng.random() < 0.6 else [],
            )
            signal = _report(world, person, AUTHORS[report % 3])
            signals.append((signal, identity))
    resolve_signals([s.pk for s, _i in signals])
    for signal, identity in signals:
        truth[Mention.objects.get(signal=signal).pk] = identity
    return truth


def linking_prior(run: LinkageRun) -> float:
    """The prior in bits of the batch model an intake run scored with."""
    import math

    batch = LinkageRun.objects.filter(kind="batch", started_at__lte=run.started_at).first()
    assert batch is not None
    p = batch.model["probability_two_random_records_match"]
    return math.log2(p / (1 - p))


def _pairs(groups: dict[Any, set[int]]) -> set[tuple[int, int]]:
    return {pair for members in groups.values() for pair in combinations(sorted(members), 2)}


def test_a_batch_run_links_the_same_people_and_records_how(
    world: World, population: dict[int, int]
) -> None:
    run = linking.run_linkage("Person")
    assert run.status == LinkageRun.Status.DONE, run.error
    assert run.counts["records"] == len(population)
    assert run.model["comparisons"] and run.threshold == pytest.approx(0.9)
    assert {"reading", "writing", "total"} <= set(run.durations)

    by_entity: dict[int | None, set[int]] = defaultdict(set)
    for pk, entity in Mention.objects.filter(pk__in=population).values_list("pk", "entity_id"):
        by_entity[entity].add(pk)
    by_truth: dict[int, set[int]] = defaultdict(set)
    for pk, identity in population.items():
        by_truth[identity].add(pk)
    found, true = _pairs(by_entity), _pairs(by_truth)
    precision = len(found & true) / max(1, len(found))
    recall = len(found & true) / len(true)
    # Sparse on purpose (a name, often a date of birth, sometimes a phone): the quality
    # targets are measured by the benchmarks; here the run must link without false joins.
    assert precision >= 0.95 and recall >= 0.5, (precision, recall)
    stored = Suggestion.objects.filter(run=run).first()
    assert stored is not None and stored.explanation
    # Stored compactly, read through the run's layout.
    parts = expand(stored.explanation, run.layout)
    assert [part["comparison"] for part in parts] == [name for name, _labels in run.layout]
    for part, (_name, labels) in zip(parts, run.layout, strict=True):
        assert part["label"] in labels and isinstance(part["weight"], float)


def _known_person(population: dict[int, int]) -> tuple[Mention, PersonInput]:
    """A known mention with a date of birth, and the same person as a new signal names them."""
    known = Mention.objects.filter(pk__in=population).exclude(original__date_of_birth=None).first()
    assert known is not None
    person = PersonInput(
        role="possible_victim",
        given_names=known.original["given_names"],
        family_name=known.original["family_name"],
        date_of_birth=date.fromisoformat(known.original["date_of_birth"]),
    )
    return known, person


def _known_person_reported_again(
    world: World, population: dict[int, int]
) -> tuple[Mention, Signal]:
    """A known mention with a date of birth, and a new signal naming the same person."""
    known, person = _known_person(population)
    signal = _report(world, person, "police_analyst")
    resolve_signals([signal.pk])
    return known, signal


def test_intake_matching_joins_a_new_report_to_the_known_person(
    world: World, population: dict[int, int]
) -> None:
    linking.run_linkage("Person")
    known, signal = _known_person_reported_again(world, population)
    outcome = match_signals([signal.pk])
    new = Mention.objects.get(signal=signal)
    known.refresh_from_db()
    assert outcome.joined >= 1
    assert new.entity_id == known.entity_id
    # Every matching after the batch run records its pairs under one run of its own; the
    # next batch run's matching starts another.
    _again, other = _known_person_reported_again(world, population)
    assert match_signals([other.pk]).joined >= 1
    intake = LinkageRun.objects.filter(kind=LinkageRun.Kind.INTAKE)
    assert intake.count() == 1
    assert set(Suggestion.objects.exclude(run__kind="batch").values_list("run", flat=True)) == {
        intake.get().pk
    }
    # Its pairs' explanations read through the intake run's layout, and sum to the weight.
    pair = Suggestion.objects.filter(run=intake.get(), links=True).first()
    assert pair is not None
    parts = expand(pair.explanation, intake.get().layout)
    assert {part["comparison"] for part in parts} >= {"given_name", "family_name"}
    prior = linking_prior(intake.get())
    assert sum(p["weight"] for p in parts) + prior == pytest.approx(pair.match_weight, abs=0.01)
    linking.run_linkage("Person")
    _third, last = _known_person_reported_again(world, population)
    match_signals([last.pk])
    assert intake.count() == 2


def test_intake_matching_attaches_a_new_report_without_a_date_of_birth(
    world: World, population: dict[int, int]
) -> None:
    linking.run_linkage("Person")
    # This small population's model weighs a name alone little (below 0.5): with the review
    # band starting lower, a report naming a known person without a date of birth is in the
    # band, not linked, and joins the one person its name fits by the attaching step alone.
    LinkageRun.objects.filter(kind=LinkageRun.Kind.BATCH).update(review_threshold=0.001)
    identities_of: dict[tuple[str, str], set[int]] = defaultdict(set)
    mentions = Mention.objects.filter(pk__in=population)
    for mention in mentions:
        name = (mention.original["given_names"], mention.original["family_name"])
        identities_of[name].add(population[mention.pk])
    known = next(
        m
        for m in mentions.exclude(original__date_of_birth=None).order_by("pk")
        if len(identities_of[(m.original["given_names"], m.original["family_name"])]) == 1
    )
    signal = _report(
        world,
        PersonInput(
            role="suspect",
            given_names=known.original["given_names"],
            family_name=known.original["family_name"],
        ),
        "police_analyst",
    )
    resolve_signals([signal.pk])
    outcome = match_signals([signal.pk])
    assert outcome.joined == 0 and outcome.suggested >= 1
    new = Mention.objects.get(signal=signal)
    known.refresh_from_db()
    assert new.entity_id == known.entity_id


@pytest.mark.parametrize("misspelt", ["family_name", "given_names"])
def test_intake_matching_finds_a_known_person_whose_other_name_has_a_typing_error(
    world: World, population: dict[int, int], misspelt: str
) -> None:
    """The keys of one name with the date of birth find a known person right after intake
    when the other name is misspelt, as the batch run would; the full name's keys alone do
    not."""
    linking.run_linkage("Person")
    known, person = _known_person(population)
    misspelling = _typo(random.Random(3), getattr(person, misspelt))
    signal = _report(world, replace(person, **{misspelt: misspelling}), "police_analyst")
    resolve_signals([signal.pk])
    outcome = match_signals([signal.pk])
    new = Mention.objects.get(signal=signal)
    left, right = sorted((known.pk, new.pk))
    pair = Suggestion.objects.get(left_id=left, right_id=right)
    assert outcome.candidates >= 1 and pair.probability >= 0.5
    if pair.links:
        known.refresh_from_db()
        assert new.entity_id == known.entity_id


def test_candidates_sharing_more_keys_come_before_newer_ones(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond ``MAX_CANDIDATES`` another Ioana born the same day (one key shared) gives way to
    the same person written alike (four keys), however much newer she is."""
    from schakel.entities import matching

    born = date(1991, 5, 6)

    def person(family: str) -> PersonInput:
        return PersonInput(
            role="witness", given_names="Ioana", family_name=family, date_of_birth=born
        )

    same = _report(world, person("Popescu"), "ngo_worker")
    namesake = _report(world, person("Stoica"), "care_coordinator")
    new = _report(world, person("Popescu"), "police_analyst")
    resolve_signals([same.pk, namesake.pk, new.pk])
    mention = {s.pk: Mention.objects.get(signal=s).pk for s in (same, namesake, new)}
    monkeypatch.setattr(matching, "MAX_CANDIDATES", 1)
    assert matching.candidates_among([(mention[new.pk], new.pk)]) == {
        mention[new.pk]: [mention[same.pk]]
    }
    monkeypatch.setattr(matching, "MAX_CANDIDATES", 2)
    assert matching.candidates_among([(mention[new.pk], new.pk)]) == {
        mention[new.pk]: [mention[same.pk], mention[namesake.pk]]
    }


def test_the_migration_gives_earlier_mentions_their_keys_by_one_name_and_date_of_birth(
    world: World, population: dict[int, int]
) -> None:
    from importlib import import_module

    from django.apps import apps

    from schakel.entities.models import BlockingKey

    kinds = ("family_dob", "given_dob")
    made = set(
        BlockingKey.objects.filter(kind__in=kinds).values_list("mention_id", "kind", "value")
    )
    dated = Mention.objects.filter(pk__in=population).exclude(original__date_of_birth=None)
    assert len(made) == 2 * dated.count()
    BlockingKey.objects.filter(kind__in=kinds).delete()
    migration = import_module("schakel.entities.migrations.0010_keys_by_one_name_and_date_of_birth")
    migration.add_keys(apps, None)
    assert (
        set(BlockingKey.objects.filter(kind__in=kinds).values_list("mention_id", "kind", "value"))
        == made
    )


def test_one_job_matches_a_batch_of_signals_together(
    world: World, population: dict[int, int]
) -> None:
    """Under load one job makes and matches many signals: their candidates are found and
    scored together, and two new signals naming the same person make one pair between
    them, not two."""
    from schakel.entities.jobs import resolve_signal_mentions

    linking.run_linkage("Person")
    known, person = _known_person(population)
    first = _report(world, person, "police_analyst")
    second = _report(world, person, "ngo_worker")
    assert resolve_signal_mentions.call([first.pk, second.pk]) == 2
    new = list(Mention.objects.filter(signal__in=[first, second]).order_by("pk"))
    known.refresh_from_db()
    assert {m.entity_id for m in new} == {known.entity_id}
    between = Suggestion.objects.filter(left=new[0], right=new[1])
    assert between.count() == 1 and between.get().links
    assert Suggestion.objects.filter(left=known, right__in=new).count() == 2
    # Matching them again (as its docstring promises, safe) scores no pair a second time.
    stored = Suggestion.objects.count()
    match_signals([first.pk, second.pk])
    assert Suggestion.objects.count() == stored


def test_a_failed_match_leaves_no_mentions_behind_and_the_retry_does_it_all(
    world: World, population: dict[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Making a signal's mentions and matching them commit together: a failure in scoring
    (injected) leaves the signal without mentions, so the retry makes and matches them."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from schakel.entities import linkage
    from schakel.entities.jobs import resolve_signal_mentions

    linking.run_linkage("Person")
    known, person = _known_person(population)
    signal = _report(world, person, "police_analyst")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the scoring failed")

    queued = DBTaskResult.objects.filter(task_path__endswith="resolve_signal_mentions")
    queued.exclude(args_kwargs__args=[[signal.pk]]).delete()  # the population's, run before
    behind = _report(world, person, "ngo_worker")  # its job is queued behind
    queued.filter(args_kwargs__args=[[signal.pk]]).get().claim("worker-1")
    with monkeypatch.context() as patched:
        patched.setattr(linkage, "score", broken)
        with pytest.raises(RuntimeError):
            resolve_signal_mentions.call([signal.pk])
    assert not Mention.objects.filter(signal__in=[signal, behind]).exists()
    # The job it had taken along waits in the queue again.
    assert queued.get(args_kwargs__args=[[behind.pk]]).status == TaskResultStatus.READY
    assert resolve_signal_mentions.call([signal.pk]) == 2
    known.refresh_from_db()
    assert Mention.objects.get(signal=signal).entity_id == known.entity_id


def test_intake_matching_waits_for_a_batch_run_when_the_saved_model_is_from_other_comparisons(
    world: World, population: dict[int, int], caplog: pytest.LogCaptureFixture
) -> None:
    run = linking.run_linkage("Person")
    # A model saved by a version that compared names differently (a level less).
    model = dict(run.model)
    model["comparisons"] = [
        {**c, "comparison_levels": c["comparison_levels"][:-1]}
        if c.get("output_column_name") == "given_name"
        else c
        for c in model["comparisons"]
    ]
    LinkageRun.objects.filter(pk=run.pk).update(model=model)
    known, signal = _known_person_reported_again(world, population)
    with caplog.at_level("WARNING", logger="schakel.entities.matching"):
        outcome = match_signals([signal.pk])
    assert (outcome.mentions, outcome.joined) == (0, 0)
    assert "waits for a batch run" in caplog.text
    assert not LinkageRun.objects.filter(kind=LinkageRun.Kind.INTAKE).exists()
    # The next batch run trains a model of the current comparisons and joins the report
    # itself (it was among its records; matching it again scores nothing twice), and
    # matching resumes for what comes after.
    linking.run_linkage("Person")
    known.refresh_from_db()
    assert Mention.objects.get(signal=signal).entity_id == known.entity_id
    assert match_signals([signal.pk]).joined == 0
    later_known, later = _known_person_reported_again(world, population)
    assert match_signals([later.pk]).joined >= 1
    later_known.refresh_from_db()
    assert Mention.objects.get(signal=later).entity_id == later_known.entity_id


def test_intake_matching_weighs_a_shared_value_as_the_batch_run_did(
    world: World, population: dict[int, int]
) -> None:
    """The run weighs an exact family name, given name or phone number by how many records
    share it; scoring after intake does the same with the frequencies the run kept (it used
    the levels' average weights, so a common name counted as much as a rare one)."""
    from schakel.entities import linkage
    from schakel.entities.matching import with_term_frequencies

    run = linking.run_linkage("Person")
    kept = TermFrequency.objects.filter(run=run)
    assert run.counts["term_frequencies"] == kept.count() > 0
    assert not kept.filter(records__lt=2).exists()  # a value one record holds is not kept
    assert {"given_name", "family_name", "phone"} <= set(run.term_frequency_totals)
    linked = list(Suggestion.objects.filter(run=run, links=True))
    records = {
        r["unique_id"]: r
        for r in linking.person_records({m for s in linked for m in (s.left_id, s.right_id)})
    }
    plain = {
        s.pk: linkage.score(run.model, records[s.left_id], [records[s.right_id]])[0] for s in linked
    }
    with_term_frequencies(run, records)
    for pair in linked:
        (scored,) = linkage.score(run.model, records[pair.left_id], [records[pair.right_id]])
        assert scored.match_weight == pytest.approx(pair.match_weight, abs=1e-6)
    assert sum(abs(plain[s.pk].match_weight - s.match_weight) > 0.5 for s in linked) > 10

    # A second run keeps its own frequencies, not the first one's as well.
    second = linking.run_linkage("Person")
    assert set(TermFrequency.objects.values_list("run", flat=True)) == {second.pk}


def test_a_report_matched_while_a_batch_run_works_keeps_its_pair(
    world: World, population: dict[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Signals keep coming while a batch run works (minutes at a million mentions): matching
    after intake joins them with the model before it. The run never read those mentions, so
    it must not delete their pairs as its predecessor's (it did: the next regrouping then
    split the new report off its person, without a trace of why it had been joined)."""
    from schakel.entities import linkage
    from schakel.entities.review import resolve_around

    linking.run_linkage("Person")
    # Matching after that run began its record of pairs before the next run starts.
    _known, before = _known_person_reported_again(world, population)
    assert match_signals([before.pk]).joined >= 1
    engine = linkage.link
    during: dict[str, Mention] = {}

    def intake_goes_on(*args: Any, **kwargs: Any) -> Any:
        known, signal = _known_person_reported_again(world, population)
        assert match_signals([signal.pk]).joined >= 1
        during["new"], during["known"] = Mention.objects.get(signal=signal), known
        return engine(*args, **kwargs)

    monkeypatch.setattr(linkage, "link", intake_goes_on)
    run = linking.run_linkage("Person")
    assert run.status == LinkageRun.Status.DONE
    new, known = during["new"], during["known"]
    resolve_around([known])  # as a judgement or the next matching nearby would
    new.refresh_from_db()
    known.refresh_from_db()
    assert new.entity_id == known.entity_id
    found = Suggestion.objects.filter(left=new, links=True) | Suggestion.objects.filter(
        right=new, links=True
    )
    assert found.exists()


def test_a_report_matched_to_an_entity_the_run_merges_away_follows_its_person(
    world: World, population: dict[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report matched after intake while a batch run works keeps the entity matching gave
    it; when the run then merges that entity into a larger one, the report goes with its
    person at the end of the run, not left behind on an entity that no longer exists."""
    from django.db.models import Count

    from schakel.entities import linkage

    linking.run_linkage("Person")
    known, person = _known_person(population)
    # A larger entity that an analyst says is the same person: the next run joins them,
    # and the joined group keeps the larger one's entity.
    larger = (
        Entity.objects.filter(schema="Person")
        .exclude(pk=known.entity_id)
        .annotate(n=Count("mentions"))
        .filter(n__gt=Mention.objects.filter(entity_id=known.entity_id).count())
        .order_by("-n", "pk")
        .first()
    )
    assert larger is not None
    Judgement.objects.create(
        left=known,
        right=Mention.objects.filter(entity=larger).order_by("pk").first(),
        verdict=Judgement.Verdict.SAME,
        reason="The same person: checked with the partner.",
        judged_by=world.users["police_analyst"],
    )
    was = known.entity_id
    engine = linkage.link
    during: dict[str, Mention] = {}

    def intake_goes_on(*args: Any, **kwargs: Any) -> Any:
        signal = _report(world, person, "police_analyst")
        resolve_signals([signal.pk])
        assert match_signals([signal.pk]).joined >= 1
        during["new"] = Mention.objects.get(signal=signal)
        assert during["new"].entity_id == was
        return engine(*args, **kwargs)

    monkeypatch.setattr(linkage, "link", intake_goes_on)
    run = linking.run_linkage("Person")
    assert run.status == LinkageRun.Status.DONE
    new = during["new"]
    new.refresh_from_db()
    known.refresh_from_db()
    assert known.entity_id == larger.pk != was
    assert new.entity_id == larger.pk
    assert not Entity.objects.filter(pk=was, mentions__isnull=False).exists()


def test_judgements_survive_a_new_run(world: World, population: dict[int, int]) -> None:
    linking.run_linkage("Person")
    joined = Suggestion.objects.filter(links=True).first()
    assert joined is not None
    left, right = joined.left, joined.right
    assert left.entity_id == right.entity_id
    Judgement.objects.create(
        left=left,
        right=right,
        verdict=Judgement.Verdict.NOT_SAME,
        reason="Different people: checked with the partner.",
        judged_by=world.users["police_analyst"],
        suggestion=joined,
    )
    first_run = joined.run
    stored_first = Suggestion.objects.filter(run=first_run).count()
    run = linking.run_linkage("Person")
    left.refresh_from_db()
    right.refresh_from_db()
    assert left.entity_id != right.entity_id
    assert run.counts["refused_by_judgements"] >= 1
    # The first run's pairs are superseded and deleted, except the one a judgement names.
    assert run.counts["pairs_pruned"] == stored_first - 1
    assert list(Suggestion.objects.filter(run=first_run)) == [joined]
    assert Suggestion.objects.filter(run=run).count() == run.counts["pairs_stored"]
    assert Judgement.objects.get(suggestion=joined).verdict == Judgement.Verdict.NOT_SAME


def test_a_run_that_fails_half_way_leaves_the_entities(
    world: World, population: dict[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = dict(Mention.objects.values_list("pk", "entity_id"))

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("out of memory")

    monkeypatch.setattr(linking, "apply_plan", broken)
    run = linking.run_linkage("Person")
    assert run.status == LinkageRun.Status.FAILED
    assert "out of memory" in run.error
    assert dict(Mention.objects.values_list("pk", "entity_id")) == before
    assert not Suggestion.objects.exists()


def test_the_duckdb_store_is_removed_when_the_engine_is_done_or_fails(
    world: World, population: dict[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dropping DuckDB's tables leaves their blocks, with every name compared, in the file:
    the store goes after each run, so that what retention removes lives nowhere else. Each run
    has a folder of its own: two runs at once never share a file."""
    from django.conf import settings

    from schakel.entities import linkage

    engine = linkage.link
    used: list[Path] = []

    def watched(*args: Any, **kwargs: Any) -> Any:
        store = Path(kwargs["duckdb_path"])
        result = engine(*args, **kwargs)
        assert store.exists() and store.stat().st_size > 0
        used.append(store)
        return result

    folder = Path(settings.DATA_DIR) / "linkage"
    folder.mkdir(parents=True, exist_ok=True)
    # What runs left behind: the single store of earlier versions, a store of a process that
    # is gone (a killed run), and one of a process still running, which stays.
    (folder / "linkage.duckdb").write_bytes(b"Oksana Melnyk")
    (folder / "run-999999999-x").mkdir()
    (folder / f"run-{os.getpid()}-y").mkdir()
    monkeypatch.setattr(linkage, "link", watched)
    assert linking.run_linkage("Person").status == LinkageRun.Status.DONE
    (store,) = used
    assert store.parent.parent == folder and not store.parent.exists()
    # (A test worker beside this one may be running linkage in the same data folder.)
    assert not (folder / "linkage.duckdb").exists()
    assert not (folder / "run-999999999-x").exists()
    assert (folder / f"run-{os.getpid()}-y").is_dir()

    def failing(*args: Any, **kwargs: Any) -> Any:
        Path(kwargs["duckdb_path"]).write_bytes(b"Oksana Melnyk")
        Path(kwargs["duckdb_path"] + ".wal").write_bytes(b"Oksana Melnyk")
        raise RuntimeError("out of memory")

    monkeypatch.setattr(linkage, "link", failing)
    assert linking.run_linkage("Person").status == LinkageRun.Status.FAILED
    assert not store.exists() and not store.with_name(store.name + ".wal").exists()


def test_two_runs_at_once_have_stores_of_their_own() -> None:
    """The worker's run and one from the command line at the same time: DuckDB locks a
    store's write-ahead log for one process, so a shared file failed the second run."""
    with linking._scratch_store() as first, linking._scratch_store() as second:
        assert first != second
        first.write_bytes(b"a")
        second.write_bytes(b"b")
    assert not first.parent.exists() and not second.parent.exists()


def test_a_failed_run_leaves_the_previous_runs_pairs_open_and_in_place(
    world: World, population: dict[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = linking.run_linkage("Person")
    pairs = set(Suggestion.objects.values_list("pk", "is_open"))
    assert any(is_open for _pk, is_open in pairs) and first.counts["pairs_pruned"] == 0

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(linking, "_suggestion_rows", broken)
    assert linking.run_linkage("Person").status == LinkageRun.Status.FAILED
    assert set(Suggestion.objects.values_list("pk", "is_open")) == pairs


def test_records_hold_names_and_places_as_linkage_compares_them(world: World) -> None:
    """Linkage compares normalised values (``linkage.records``): the partners' own spellings
    — Cyrillic, diacritics, capitals, spaced postcodes — are transliterated and folded first,
    so "Димитър Колев" and "Dimitar Kolev" compare as the same name."""
    from schakel.signals.intake import AddressInput, CompanyInput

    signal = make_signal(
        world.users["care_coordinator"],
        persons=[PersonInput(role="possible_victim", given_names="Димитър", family_name="Колев")],
        companies=[CompanyInput(name="Nagelstudio Glanś B.V.", registration_number="123 456 78")],
        addresses=[
            AddressInput(street="Ginnekenweg", house_number="12", postcode="4811 aa", city="BREDA")
        ],
        ibans=[],
    )
    resolve_signals([signal.pk])
    mentions = Mention.objects.filter(signal=signal)
    person = next(iter(linking.person_records([m.pk for m in mentions if m.schema == "Person"])))
    assert (person["given_name"], person["family_name"]) == ("dimitar", "kolev")
    (company,) = [
        r for r in linking.company_records() if r["unique_id"] in {m.pk for m in mentions}
    ]
    assert (company["name"], company["registration_number"]) == (
        "nagelstudio glans b v",
        "12345678",
    )
    (address,) = [
        r for r in linking.address_records() if r["unique_id"] in {m.pk for m in mentions}
    ]
    assert (address["street"], address["postcode"], address["city"]) == (
        "ginnekenweg",
        "4811AA",
        "breda",
    )


def test_every_person_of_a_signal_is_placed_where_the_signal_was_observed(world: World) -> None:
    """A record's place is the signal's (first) place of observation, for the suspect as for
    the possible victim: where each was seen, which tells two namesakes apart. An address
    that is not where the signal was observed places no one; neither does another signal's."""
    from schakel.signals.intake import AddressInput

    user = world.users["care_coordinator"]
    observed = make_signal(
        user,
        persons=[
            PersonInput(role="possible_victim", given_names="Ioana", family_name="Lungu"),
            PersonInput(role="suspect", given_names="Marius", family_name="Dragomir"),
        ],
        addresses=[
            AddressInput(street="Kerkstraat", house_number="3", postcode="4811 AA", city="Breda"),
            AddressInput(
                street="Haagweg",
                house_number="7",
                postcode="4814 ga",
                city="Breda",
                is_place_of_observation=True,
            ),
        ],
        ibans=[],
    )
    elsewhere = make_signal(
        user,
        persons=[PersonInput(role="suspect", given_names="Marius", family_name="Dragomir")],
        addresses=[AddressInput(street="Spoorstraat", house_number="9", postcode="4811 BB")],
        ibans=[],
    )
    resolve_signals([observed.pk, elsewhere.pk])
    people = Mention.objects.filter(schema="Person")
    here = set(people.filter(signal=observed).values_list("pk", flat=True))
    assert len(here) == 2
    ids = list(people.values_list("pk", flat=True))
    for records in (list(linking.person_records(ids)), list(linking.person_records())):
        places = {
            r["unique_id"]: (r["street"], r["house_number"], r["postcode"], r["city"])
            for r in records
        }
        assert places == {
            pk: ("haagweg", "7", "4814GA", "breda") if pk in here else (None, None, None, None)
            for pk in ids
        }


def test_a_batch_run_gives_duckdb_the_configured_memory(
    world: World,
    population: dict[int, int],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from schakel.entities.linkage.tests import spy_on_memory_limit

    settings.SCHAKEL_LINKAGE_MEMORY_MB = 300
    seen = spy_on_memory_limit(monkeypatch)
    assert linking.run_linkage("Person").status == LinkageRun.Status.DONE
    assert seen == ["286.1 MiB"]  # 300 MB


def test_pairs_become_rows_with_compact_explanations(monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import numpy
    import pandas

    monkeypatch.setattr(linking, "PAIR_CHUNK", 3)
    layout = [["given_name", [f"level {n}" for n in range(10)]], ["gender", ["unknown", "exact"]]]
    at = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
    run = LinkageRun(pk=7, threshold=0.9, layout=layout, started_at=at)
    pairs = pandas.DataFrame(
        {
            "unique_id_l": range(10),
            "unique_id_r": range(100, 110),
            "match_probability": [0.5 + n / 20 for n in range(10)],
            "match_weight": [float(n) for n in range(10)],
            "linked": [n >= 8 for n in range(10)],
            "given_name": [f"level {9 - n}" for n in range(10)],
            "mw_given_name": [n / 10 for n in range(10)],
            "gender": ["exact"] * 10,
            "mw_gender": [1.23456] * 10,
        }
    )
    priority = [n / 100 for n in range(10)]
    every = numpy.ones(10, dtype=bool)
    rows = list(linking._suggestion_rows(pairs, run, priority, rows=every, text=False))
    assert len(rows) == 10
    for n, row in enumerate(rows):
        values = dict(zip(linking.SUGGESTION_COLUMNS, row, strict=True))
        assert (values["left_id"], values["right_id"], values["run_id"]) == (n, 100 + n, 7)
        assert values["probability"] == 0.5 + n / 20 and values["priority"] == n / 100
        assert values["links"] is (n >= 8) and values["is_open"] is (n < 8)
        assert values["created_at"] == at
        assert json.loads(values["explanation"]) == [[9 - n, n / 10], [1, 1.235]]
    assert expand(json.loads(rows[2][6]), layout) == [
        {"comparison": "given_name", "label": "level 7", "weight": 0.2},
        {"comparison": "gender", "label": "exact", "weight": 1.235},
    ]
    # The same rows as PostgreSQL's COPY text, in blocks of PAIR_CHUNK lines.
    blocks = list(linking._suggestion_rows(pairs, run, priority, rows=every, text=True))
    assert [block.count("\n") for block in blocks] == [3, 3, 3, 1]
    first = blocks[0].split("\n")[0].split("\t")
    assert first == [
        "0",
        "100",
        "7",
        "0.5",
        "0.0",
        "f",
        "[[9,0.0],[1,1.235]]",
        "t",
        "0.0",
        at.isoformat(),
    ]
    # A selection of the pairs (the linked ones: a run writes them apart), in review order 0.
    linked = pairs["linked"].to_numpy()
    chosen = list(linking._suggestion_rows(pairs, run, None, rows=linked, text=False))
    assert [(row[0], row[1], row[3], row[8]) for row in chosen] == [
        (8, 108, 0.9, 0.0),
        (9, 109, 0.95, 0.0),
    ]
    none = numpy.zeros(10, dtype=bool)
    assert list(linking._suggestion_rows(pairs, run, [], rows=none, text=True)) == []
    pairs.loc[4, "gender"] = "swapped"
    with pytest.raises(ValueError, match="gender: levels not in the run's layout"):
        list(linking._suggestion_rows(pairs, run, priority, rows=every, text=False))
    with pytest.raises(ValueError, match="lack the comparison gender"):
        list(
            linking._suggestion_rows(
                pairs.drop(columns=["gender"]), run, priority, rows=every, text=True
            )
        )


def test_the_cycle_collector_is_paused_while_a_run_writes_and_only_then(
    world: World, population: dict[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    real_store = linking._store
    seen: list[bool] = []

    def store(*args: Any, **kwargs: Any) -> dict[str, int]:
        seen.append(gc.isenabled())
        return real_store(*args, **kwargs)

    monkeypatch.setattr(linking, "_store", store)
    assert linking.run_linkage("Person").status == LinkageRun.Status.DONE
    assert seen == [False] and gc.isenabled()

    def failing(*args: Any, **kwargs: Any) -> dict[str, int]:
        raise RuntimeError("disk full")

    monkeypatch.setattr(linking, "_store", failing)
    assert linking.run_linkage("Person").status == LinkageRun.Status.FAILED
    assert gc.isenabled()


def test_the_command_names_the_default_threshold_of_the_engine() -> None:
    from schakel.entities.linkage import DEFAULT_THRESHOLD
    from schakel.entities.management.commands.schakel_link import Command

    help_text = " ".join(Command().create_parser("schakel", "link").format_help().split())
    assert f"match probability (default {DEFAULT_THRESHOLD})" in help_text


def test_a_run_whose_grouping_fails_while_pairs_are_written_leaves_nothing(
    world: World, population: dict[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the linked pairs are written in a thread while grouping runs: when
    grouping fails, the run waits for the thread and rolls both back."""
    before = dict(Mention.objects.values_list("pk", "entity_id"))

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("grouping broke")

    monkeypatch.setattr(linking, "group_mentions", broken)
    run = linking.run_linkage("Person")
    assert run.status == LinkageRun.Status.FAILED and "grouping broke" in run.error
    assert dict(Mention.objects.values_list("pk", "entity_id")) == before
    assert not Suggestion.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_writing_beside_shares_the_callers_transaction() -> None:
    """The work sees what the caller wrote in its open transaction, and what it writes is
    rolled back with it."""
    from django.db import transaction

    from schakel.entities.models import Entity

    seen: dict[str, Any] = {}

    def work(shared: Any) -> None:
        with shared.cursor() as cursor:
            cursor.execute("SELECT caption FROM entities_entity WHERE caption = 'ours'")
            seen["rows"] = cursor.fetchall()
            cursor.execute(
                "INSERT INTO entities_entity (schema, caption, created_at) "
                "SELECT schema, 'theirs', created_at FROM entities_entity "
                "WHERE caption = 'ours'"
            )

    with pytest.raises(RuntimeError), transaction.atomic():
        Entity.objects.create(schema="Person", caption="ours")
        with linking.writing_beside(work, "default"):
            seen["body"] = True
        assert Entity.objects.filter(caption="theirs").exists()
        raise RuntimeError("roll back")
    assert seen == {"rows": [("ours",)], "body": True}
    assert not Entity.objects.filter(caption__in=["ours", "theirs"]).exists()


@pytest.mark.django_db(transaction=True)
def test_writing_beside_raises_the_error_of_its_work() -> None:
    from django.db import transaction

    def work(shared: Any) -> None:
        raise ValueError("the work broke")

    ran = []
    with (
        pytest.raises(ValueError, match="the work broke"),
        transaction.atomic(),
        linking.writing_beside(work, "default"),
    ):
        ran.append("body")
    # On PostgreSQL the body ran beside the failing work; on SQLite the work came first.
    assert ran in (["body"], [])


def test_a_batch_run_orders_its_review_pairs_by_the_entities_it_wrote(
    world: World, population: dict[int, int]
) -> None:
    """The run works out the review queue's order before it writes the entities (while the
    linked pairs are written); the order stored must be the one of the entities as written."""
    from schakel.entities import review

    run = linking.run_linkage("Person")
    assert run.status == LinkageRun.Status.DONE, run.error
    in_review = list(
        Suggestion.objects.filter(run=run, is_open=True).select_related(
            "left__entity", "right__entity"
        )
    )
    assert in_review, "the population gives pairs in review"
    for suggestion in in_review:
        assert suggestion.priority == pytest.approx(
            review.priority(suggestion.probability, suggestion.left.entity, suggestion.right.entity)
        ), suggestion.pk


def test_the_review_order_counts_an_entity_not_yet_made_as_one(world: World) -> None:
    """A plan that gives a group a new entity: the order worked out from the plan is the
    order of the entities once written."""
    from schakel.entities import review
    from schakel.entities.clustering import apply_plan, plan_groups, write_groups
    from schakel.entities.models import Entity

    signals = [
        _report(world, PersonInput(role="witness", given_names=n, family_name="Test"), author)
        for n, author in (("A", "care_coordinator"), ("B", "police_analyst"))
    ] + [
        _report(world, PersonInput(role="witness", given_names=n, family_name="Test"), author)
        for n, author in (("C", "ngo_worker"), ("D", "ngo_worker"))
    ]
    resolve_signals([s.pk for s in signals])
    a, b, c, d = (Mention.objects.get(signal=s).pk for s in signals)
    write_groups("Person", [[a, b, c]])  # one entity for three; d alone
    mentions = list(
        Mention.objects.filter(schema="Person").values_list(
            "pk", "entity_id", "signal_id", "organisation_id"
        )
    )
    # c is split off and joins nobody: its group has no entity left to keep.
    plan = plan_groups("Person", [[a, b], [c], [d]], ((m, e) for m, e, _s, _o in mentions))
    assert plan.new_groups == [[c]]
    pairs = [(a, c, 0.6), (c, d, 0.7), (a, b, 0.8)]
    worked_out = linking._priorities(
        plan, mentions, [p[0] for p in pairs], [p[1] for p in pairs], [p[2] for p in pairs]
    )
    entities_before = Entity.objects.count()
    apply_plan(plan)
    assert Entity.objects.count() == entities_before + 1
    entity_of = {m.pk: m.entity for m in Mention.objects.filter(pk__in=[a, b, c, d])}
    assert entity_of[c] not in {entity_of[a], entity_of[d]}
    written = [review.priority(p, entity_of[x], entity_of[y]) for x, y, p in pairs]
    assert worked_out == pytest.approx(written)
    # Two signals of two partners on either side of a pair count more than one alone.
    assert worked_out[0] != worked_out[1]
