"""Retention and the table: what the table wrote about signals goes with the last of them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import time_machine
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from schakel.audit.models import AuditEntry
from schakel.audit.services import start_collecting
from schakel.signals import retention
from schakel.signals.models import Signal
from schakel.signaltable import services
from schakel.signaltable.models import Decision, DecisionAction, Meeting, Outcome
from schakel.signaltable.services import ActionInput
from schakel.signaltable.tests.helpers import SignIn, distinct_signal
from schakel.signaltable.views import minutes_html
from schakel.tasks import services as task_services
from schakel.tasks.models import Task, TaskEvent
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db

RATIONALE = "Maria P. is gezien bij de nagelstudio aan de Ginnekenweg."
CORRECTION = "Maria P. bleek minderjarig."
ACTION = "Maria P. opzoeken op de Ginnekenweg"
TASK_NOTE = "Contact gelegd met Maria P. via haar zus."
# Monitoring keeps a signal 24 months from the decision (2026-11-29); then it is anonymised.
EXPIRED = "2028-12-15 03:00"


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    with time_machine.travel("2026-11-29 10:00", tick=True):
        yield


def _decided(world: World, meeting: Meeting, size: int = 3) -> Decision:
    """A decision to monitor a bundle, with an action for the police whose task was done,
    corrected once: every text of it names Maria P."""
    carla = world.users["care_coordinator"]
    signals = [distinct_signal(carla, groups=[world.table_a]) for _ in range(size)]
    first = services.record_decision(
        meeting,
        [s.pk for s in signals],
        outcome=Outcome.MONITOR,
        rationale=RATIONALE,
        actions=[ActionInput(world.police_a, ACTION, date(2026, 12, 10), description=RATIONALE)],
        actor=carla,
    )
    task = Task.objects.get(pk=first.actions.get().task_id)
    task_services.complete_task(task, actor=None, result=TASK_NOTE)
    return services.correct_decision(
        first,
        outcome=Outcome.MONITOR,
        rationale=RATIONALE,
        reason=CORRECTION,
        actions=[ActionInput(world.police_a, ACTION)],
        actor=carla,
    )


def _texts(decision: Decision) -> list[str]:
    """Every text written about the decision's signals, in the table and in the tasks."""
    decisions = [decision, decision.supersedes]
    texts = []
    for record in decisions:
        assert record is not None
        record.refresh_from_db()
        texts += [record.rationale, record.correction_reason]
        for action in record.actions.all():
            texts.append(action.title)
            task = Task.objects.get(pk=action.task_id)
            texts += [task.title, task.description, task.result]
            texts += list(TaskEvent.objects.filter(task=task).values_list("note", flat=True))
    return texts


def _names_maria(decision: Decision) -> bool:
    return any("Maria P." in text for text in _texts(decision))


def _minutes(signed_in: SignIn, world: World, meeting: Meeting) -> str:
    response = signed_in(world.users["care_coordinator"]).get(
        reverse("signaltable_minutes", args=[meeting.pk])
    )
    assert response.status_code == 200
    return response.content.decode()


def test_a_decision_whose_signals_all_expire_loses_its_texts_and_keeps_its_structure(
    world: World, meeting: Meeting, signed_in: SignIn
) -> None:
    decision = _decided(world, meeting)
    assert RATIONALE in _minutes(signed_in, world, meeting)
    with time_machine.travel(EXPIRED, tick=True):
        call_command("schakel_retention", apply=True)
        page = _minutes(signed_in, world, meeting)
        request = RequestFactory().get("/")
        request.user = world.users["care_coordinator"]
        start_collecting(request)
        pdf_html = minutes_html(request, meeting)
        with translation.override("nl"):
            dutch = minutes_html(request, meeting)
    assert not _names_maria(decision)
    for html in (page, pdf_html):
        assert "Maria P." not in html
        assert html.count('data-testid="minutes-entry"') == 2  # the skeleton stays
        # In place of each text: two rationales, one correction reason, two actions' titles.
        assert html.count('data-testid="removed-by-retention"') == 5
    assert "(verwijderd na afloop van de bewaartermijn op " in dutch
    # The structure stays: outcome, meeting, who and when, the signals' references, the
    # actions' organisations and due dates, the tasks' status.
    for record in (decision, decision.supersedes):
        assert record is not None
        kept = Decision.objects.get(pk=record.pk)
        assert (kept.outcome, kept.meeting_id, kept.decided_at) == (
            Outcome.MONITOR,
            meeting.pk,
            record.decided_at,
        )
        assert kept.texts_removed_at is not None
        assert [link.reference for link in kept.signal_links.all()] == [
            link.reference for link in record.signal_links.all()
        ]
    first_action = DecisionAction.objects.get(decision=decision.supersedes)
    assert (first_action.organisation, first_action.due_date) == (
        world.police_a,
        date(2026, 12, 10),
    )
    task = Task.objects.get(pk=first_action.task_id)
    assert task.status == "done" and task.title.startswith("(")
    # Audited as retention's other anonymisations.
    entry = AuditEntry.objects.get(action="retention_anonymise", object_type="signaltable.decision")
    assert sorted(entry.object_ids) == sorted([decision.pk, decision.supersedes_id])
    assert AuditEntry.objects.filter(
        action="retention_anonymise", object_type="signaltable.decisionaction"
    ).exists()
    assert AuditEntry.objects.filter(
        action="retention_anonymise", object_type="tasks.task"
    ).exists()


def test_a_decision_keeps_its_texts_while_one_of_its_signals_is_held(
    world: World, meeting: Meeting, signed_in: SignIn
) -> None:
    decision = _decided(world, meeting)
    held = decision.signals.order_by("pk").first()
    assert held is not None
    retention.place_hold(held, "case:1", "open case")
    with time_machine.travel(EXPIRED, tick=True):
        done = retention.apply_retention(dry_run=False)
        assert len(done.anonymised) == 2  # the others went
        assert _names_maria(decision) and RATIONALE in _minutes(signed_in, world, meeting)
        # Once the hold is released and the last signal forgotten, the texts go.
        retention.release_hold(held, "case:1")
        done = retention.apply_retention(dry_run=False)
    assert done.anonymised == [held.pk]
    assert not _names_maria(decision)


def test_texts_go_when_the_last_signal_is_forgotten_in_a_later_run_deleted_or_anonymised(
    world: World, meeting: Meeting
) -> None:
    decision = _decided(world, meeting, size=2)
    early, late = decision.signals.order_by("pk")
    # One of the bundle expired earlier and was deleted; the other is anonymised later.
    retention.record_outcome(early, "no_action", since=date(2026, 11, 29))
    with time_machine.travel("2027-06-15 03:00", tick=True):
        done = retention.apply_retention(dry_run=False)
    assert done.deleted == [early.pk]
    assert _names_maria(decision)
    with time_machine.travel(EXPIRED, tick=True):
        done = retention.apply_retention(dry_run=False)
    assert done.anonymised == [late.pk]
    assert not _names_maria(decision)
    assert done.cleared == {
        "signaltable.decision": 2,
        "signaltable.decisionaction": 2,
        "tasks.task": 2,
    }


def test_a_dry_run_counts_the_texts_it_would_remove_and_changes_nothing(
    world: World, meeting: Meeting, capsys: pytest.CaptureFixture[str]
) -> None:
    decision = _decided(world, meeting)
    before = AuditEntry.objects.count()
    with time_machine.travel(EXPIRED, tick=True):
        call_command("schakel_retention")
    out = capsys.readouterr().out
    assert "The texts of 2 table decisions, 2 agreed actions and 2 tasks would be removed" in out, (
        out
    )
    assert _names_maria(decision)
    assert Decision.objects.filter(texts_removed_at__isnull=False).count() == 0
    assert Signal.objects.filter(anonymised_at__isnull=False).count() == 0
    assert AuditEntry.objects.count() == before


def test_running_retention_twice_removes_the_texts_once(world: World, meeting: Meeting) -> None:
    decision = _decided(world, meeting)
    with time_machine.travel(EXPIRED, tick=True):
        retention.apply_retention(dry_run=False)
        assert not _names_maria(decision)
        removed = list(Decision.objects.values_list("pk", "texts_removed_at").order_by("pk"))
        entries = AuditEntry.objects.count()
        tasks = list(Task.objects.values_list("pk", "title", "updated_at").order_by("pk"))
        second = retention.apply_retention(dry_run=False)
        dry = retention.apply_retention()
    assert second.total == 0 and not second.cleared and not dry.cleared
    assert list(Decision.objects.values_list("pk", "texts_removed_at").order_by("pk")) == removed
    assert AuditEntry.objects.count() == entries
    assert list(Task.objects.values_list("pk", "title", "updated_at").order_by("pk")) == tasks


def test_the_migration_forgets_the_texts_earlier_runs_left(world: World, meeting: Meeting) -> None:
    from importlib import import_module

    from django.apps import apps

    forgotten = _decided(world, meeting, size=2)
    kept = _decided(world, meeting, size=2)
    # As retention left them before it reached the table: one bundle's signals deleted and
    # anonymised, their decisions' texts still there; the other bundle still kept.
    deleted, anonymised = forgotten.signals.order_by("pk")
    Signal.objects.filter(pk=deleted.pk).delete()
    retention._anonymise(anonymised)
    assert _names_maria(forgotten)
    migration = import_module(
        "schakel.signaltable.migrations.0003_forget_texts_of_forgotten_decisions"
    )
    migration.forget(apps, None)
    assert not _names_maria(forgotten) and _names_maria(kept)
    assert Decision.objects.filter(texts_removed_at__isnull=False).count() == 2
