"""Retention: a date from the reviewed policy, holds, and a repeatable job."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from schakel.audit.models import AuditEntry
from schakel.signals import attachments, retention
from schakel.signals import services as signal_services
from schakel.signals.bulk.rows import content_key
from schakel.signals.models import (
    BandDecision,
    Channel,
    IdentifierMention,
    PersonMention,
    Signal,
    SignalIndicator,
)
from schakel.signals.rules.retention import add_months, load
from schakel.signals.services import create_signal
from schakel.signals.tests.factories import make_signal, signal_input
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db


def test_the_policy_file_is_valid_and_covers_every_outcome() -> None:
    policy = load()
    assert {"pending", "no_action", "monitor", "refer", "open_case", "report_to_police"} <= set(
        policy.outcomes
    )
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


def _signal(world: World) -> Signal:
    with time_machine.travel("2026-01-10 10:00", tick=True):
        signal = make_signal(world.users["care_coordinator"], observed_on=date(2026, 1, 5))
        checked = attachments.check_uploads([SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n0000")])
        attachments.attach(signal, checked, user=world.users["care_coordinator"])
    return signal


def test_a_signal_gets_its_date_at_intake_and_from_the_table_outcome(world: World) -> None:
    signal = _signal(world)
    assert signal.retention_until == date(2028, 1, 10)  # pending: 24 months
    with time_machine.travel("2026-02-01", tick=True):
        until = retention.record_outcome(signal, "no_action")
    assert until == date(2026, 8, 1)


def test_the_job_deletes_or_anonymises_what_expired_and_spares_what_is_held(world: World) -> None:
    keep, drop, anonymise = _signal(world), _signal(world), _signal(world)
    with time_machine.travel("2026-02-01", tick=True):
        for signal in (keep, drop):
            retention.record_outcome(signal, "no_action")
        retention.record_outcome(anonymise, "monitor", since=date(2023, 1, 1))
        retention.place_hold(keep, "case:1", "open case")
    stored = attachments.path_for(drop.attachments.get())
    with time_machine.travel("2026-09-01", tick=True):
        dry = retention.apply_retention()
        assert (sorted(dry.deleted), dry.anonymised, dry.held) == ([drop.pk], [anonymise.pk], 1)
        assert Signal.objects.count() == 3  # a dry run changes nothing
        done = retention.apply_retention(dry_run=False)
        assert done.deleted == [drop.pk]
        again = retention.apply_retention(dry_run=False)
        assert again.total == 0  # repeatable
    assert not Signal.objects.filter(pk=drop.pk).exists()
    anonymised = Signal.objects.get(pk=anonymise.pk)
    assert anonymised.anonymised_at and anonymised.description == ""
    assert not PersonMention.objects.filter(signal=anonymised).exists()
    assert not IdentifierMention.objects.filter(signal=anonymised).exists()
    assert SignalIndicator.objects.filter(signal=anonymised).exists()  # facts stay
    assert Signal.objects.get(pk=keep.pk).anonymised_at is None
    assert stored.exists()  # the same file is still attached to the kept signals
    assert AuditEntry.objects.filter(action="retention_delete", object_ids=[drop.pk]).exists()
    retention.release_hold(keep, "case:1")
    with time_machine.travel("2026-09-01", tick=True):
        assert retention.apply_retention().deleted == [keep.pk]


def test_a_hold_placed_while_the_job_runs_spares_the_signal(world: World) -> None:
    """The job lists what expired, then works through it batch by batch: a case opened on a
    signal of a later batch meanwhile holds it (the batch used to be read again by id only,
    so the held signal went all the same)."""
    first, second = _signal(world), _signal(world)
    with time_machine.travel("2026-02-01", tick=True):
        for signal in (first, second):
            retention.record_outcome(signal, "no_action")

    def a_case_opens(done: int) -> None:
        retention.place_hold(second, "case:7", "case opened during the run")

    with time_machine.travel("2026-09-01", tick=True):
        run = retention.apply_retention(dry_run=False, progress=a_case_opens, batch_size=1)
    assert run.deleted == [first.pk]
    assert Signal.objects.filter(pk=second.pk, anonymised_at__isnull=True).exists()


def test_the_command_is_a_dry_run_unless_told(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    signal = _signal(world)
    with time_machine.travel("2030-01-01", tick=True):
        call_command("schakel_retention")
        assert "would be" in capsys.readouterr().out
        assert Signal.objects.get(pk=signal.pk).anonymised_at is None
        call_command("schakel_retention", apply=True)
    assert Signal.objects.get(pk=signal.pk).anonymised_at is not None


def test_anonymisation_removes_free_text_that_names_people(world: World) -> None:
    """A reason for overruling the band is free text that names the person, on an
    append-only record: anonymisation empties it, deliberately and audited, and keeps the
    band and when it was decided."""
    carla = world.users["care_coordinator"]
    with time_machine.travel("2026-01-10 10:00", tick=True):
        signal = make_signal(carla, observed_on=date(2026, 1, 5))
        decision = signal_services.overrule_band(
            signal, "urgent", reason="Ioana Popescu is pas 15.", actor=carla
        )
        retention.record_outcome(signal, "monitor", since=date(2023, 1, 1))
    with time_machine.travel("2026-09-01", tick=True):
        done = retention.apply_retention(dry_run=False)
    assert done.anonymised == [signal.pk]
    reasons = list(BandDecision.objects.filter(signal=signal).values_list("reason", flat=True))
    assert not any("Popescu" in r for r in reasons)
    kept = BandDecision.objects.get(pk=decision.pk)
    assert (kept.band, kept.decided_at) == ("urgent", decision.decided_at)
    assert Signal.objects.get(pk=signal.pk).band == "urgent"
    entry = AuditEntry.objects.get(action="retention_anonymise", object_type="signals.banddecision")
    assert entry.object_ids == [decision.pk]


def test_anonymisation_drops_the_content_key_of_an_imported_row_and_keeps_an_own_id(
    world: World,
) -> None:
    """A row imported without an external_id is known by an unsalted hash of its cells, names
    included, which confirms a guessed row: it goes with the rest. While a signal is kept, its
    key makes a second import of the file skip the row; a partner's own id stays."""
    carla = world.users["care_coordinator"]
    content = content_key({"description": "x", "victim_family_name": "Popescu"})
    with time_machine.travel("2026-01-10 10:00", tick=True):
        imported = create_signal(
            signal_input(observed_on=date(2026, 1, 5)),
            submitted_by=carla,
            channel=Channel.BULK,
            source_key=content,
        )
        own_id = create_signal(
            signal_input(observed_on=date(2026, 1, 5)),
            submitted_by=carla,
            channel=Channel.API,
            source_key="crm-4711",
        )
        for signal in (imported, own_id):
            retention.record_outcome(signal, "monitor", since=date(2023, 1, 1))
    with time_machine.travel("2026-09-01", tick=True):
        done = retention.apply_retention(dry_run=False)
    assert sorted(done.anonymised) == sorted([imported.pk, own_id.pk])
    assert Signal.objects.get(pk=imported.pk).source_key == ""
    assert Signal.objects.get(pk=own_id.pk).source_key == "crm-4711"
