"""Checking beside writing (large files on PostgreSQL): worker processes check batch n + 1
while batch n is written, in one transaction that a problem in any batch, or a failing
worker, rolls back whole. Batches of two rows here, so that every file has several."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.utils import translation

from schakel.audit.models import AuditEntry
from schakel.signals.bulk import beside, service
from schakel.signals.bulk.beside import Beside, CheckingFailed
from schakel.signals.bulk.rows import ImportDefaults
from schakel.signals.bulk.validation import RowChecker
from schakel.signals.models import IdentifierMention, PersonMention, Signal, TriageRecord
from schakel.signals.tests.test_bulk_import import csv_file, problems_of, row, run_import
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _beside(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if connection.vendor != "postgresql":
        pytest.skip("checking beside writing is for PostgreSQL")
    monkeypatch.setattr(service, "BESIDE_FROM_ROWS", 1)
    monkeypatch.setattr(service, "BATCH_ROWS", 2)
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"), time_machine.travel("2026-11-29 10:00", tick=True):
        yield


def rows(count: int, **overrides: str) -> list[dict[str, str]]:
    return [row(external_id=f"R-{n}", **overrides) for n in range(count)]


def test_a_file_of_many_batches_is_written_whole_with_every_record(world: World) -> None:
    outcome = run_import(world, csv_file(rows(7)))
    assert outcome.ok and outcome.status == "done" and outcome.to_create == 7
    assert [number for number, _reference in outcome.created] == list(range(2, 9))
    signals = Signal.objects.order_by("pk")
    assert [s.reference for s in signals] == [reference for _n, reference in outcome.created]
    assert [s.source_key for s in signals] == [f"R-{n}" for n in range(7)]
    assert all(s.municipality is not None and s.municipality.code == "GM0758" for s in signals)
    assert all(list(s.sharing_groups.all()) == [world.table_a] for s in signals)
    assert TriageRecord.objects.count() == 7 and PersonMention.objects.count() == 14
    # Each victim's phone belongs to the victim's own mention.
    for victim in PersonMention.objects.filter(role="possible_victim"):
        assert victim.identifiers.get().normalised == "+31612345678"
        assert victim.identifiers.get().signal_id == victim.signal_id
    assert IdentifierMention.objects.filter(person=None).count() == 7 * 3
    logged = AuditEntry.objects.filter(action="create", object_type="signals.signal")
    assert sorted(pk for entry in logged for pk in entry.object_ids) == [s.pk for s in signals]


def test_a_problem_in_a_late_batch_rolls_back_the_batches_written_before(
    world: World,
) -> None:
    bad = rows(9)
    bad[7] = row(external_id="R-7", observed_on="2026-12-25")
    bad[8] = row(external_id="R-8", municipality="GM9999")
    outcome = run_import(world, csv_file(bad))
    assert outcome.status == "refused"
    assert problems_of(outcome) == [(9, "observed_on"), (10, "municipality")]
    assert outcome.created == []
    assert Signal.objects.count() == 0 and TriageRecord.objects.count() == 0
    assert not AuditEntry.objects.filter(action="create", object_type="signals.signal").exists()


def test_rows_imported_before_and_repeated_across_batches_are_skipped(world: World) -> None:
    assert run_import(world, csv_file(rows(3))).ok
    again = [*rows(5), row(external_id="R-4"), row(external_id="R-1")]
    outcome = run_import(world, csv_file(again))
    assert outcome.ok and len(outcome.created) == 2
    assert [(s.row, bool(s.reference), s.same_as_row) for s in outcome.skipped] == [
        (2, True, None),
        (3, True, None),
        (4, True, None),
        (7, False, 6),
        (8, True, None),
    ]
    fillers = [row(external_id="", description=f"Vulling {n}.") for n in range(3)]
    clash = run_import(
        world, csv_file([row(external_id="Q"), *fillers, row(external_id="Q", description="X.")])
    )
    assert problems_of(clash) == [(6, "external_id")] and Signal.objects.count() == 5


def test_a_dry_run_checks_every_batch_and_writes_nothing(world: World) -> None:
    outcome = run_import(world, csv_file(rows(5)), dry_run=True)
    assert outcome.status == "checked" and outcome.to_create == 5 and outcome.created == []
    assert Signal.objects.count() == 0


def _fail(how: str) -> None:
    if how == "raises":
        raise ValueError("checking broke")
    os._exit(3)


@pytest.mark.parametrize(
    ("how", "message"), [("raises", "checking broke"), ("vanishes", "without an answer")]
)
def test_a_failing_worker_fails_the_import_and_nothing_is_written(
    world: World, monkeypatch: pytest.MonkeyPatch, how: str, message: str
) -> None:
    parent = os.getpid()
    check_alone = RowChecker.check_alone

    def fail_on_row_eight(self: RowChecker, parsed: Any) -> Any:
        if parsed.number == 8 and os.getpid() != parent:
            _fail(how)
        return check_alone(self, parsed)

    monkeypatch.setattr(RowChecker, "check_alone", fail_on_row_eight)
    with pytest.raises(CheckingFailed, match=message):
        run_import(world, csv_file(rows(9)))
    assert Signal.objects.count() == 0


def test_workers_may_not_use_the_database(world: World) -> None:
    def ask(start: int, stop: int) -> int:
        return Signal.objects.count()

    with pytest.raises(CheckingFailed, match="may not use the database"):
        list(Beside(ask, [(0, 1)], workers=1))
    assert Signal.objects.count() == 0  # this process's connection still works


def test_results_come_in_the_order_of_the_batches_from_several_workers() -> None:
    def where(start: int, stop: int) -> tuple[int, int]:
        return start, stop

    spans = [(n, n + 1) for n in range(9)]
    assert list(Beside(where, spans, workers=beside.worker_count() + 1)) == spans


def test_progress_says_what_happens(world: World) -> None:
    heard: list[tuple[str, int, int]] = []
    outcome = service.import_signals(
        csv_file(rows(5)),
        file_name="signals.csv",
        submitted_by=world.users["care_coordinator"],
        defaults=ImportDefaults(sharing_group_ids=(world.table_a.pk,)),
        progress=lambda phase, done, total: heard.append((phase, done, total)),
    )
    assert outcome.ok
    assert heard == [
        ("reading", 0, 0),
        ("validating", 0, 5),
        ("writing", 2, 5),
        ("writing", 4, 5),
        ("writing", 5, 5),
    ]
