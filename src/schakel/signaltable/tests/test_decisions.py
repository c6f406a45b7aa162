"""Meetings and decisions: the chair decides per bundle, append-only, with tasks and an event."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from schakel.appendonly import AppendOnlyError
from schakel.audit.models import AuditEntry
from schakel.errors import Conflict, InvalidFields, InvalidInput, NotAllowed
from schakel.signals.models import Signal
from schakel.signals.rules import retention as retention_policy
from schakel.signaltable import services
from schakel.signaltable.agenda import propose_agenda
from schakel.signaltable.models import Decision, Meeting, Outcome
from schakel.signaltable.services import ActionInput
from schakel.signaltable.tests.helpers import distinct_signal
from schakel.tasks.models import Priority, Task
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    with time_machine.travel("2026-11-29 10:00", tick=True):
        yield


@pytest.fixture
def meeting(world: World) -> Meeting:
    return services.create_meeting(
        world.table_a,
        starts_at=timezone.make_aware(datetime(2026, 12, 3, 14, 0)),
        location="Stadskantoor Breda",
        actor=world.users["care_coordinator"],
    )


@pytest.fixture
def bundle(world: World) -> list[Signal]:
    carla = world.users["care_coordinator"]
    return [distinct_signal(carla, groups=[world.table_a], phones=["0612345678"]) for _ in range(2)]


@pytest.fixture
def announced() -> Iterator[list[Decision]]:
    """The decisions ``table_decision_recorded`` announces while the test runs."""
    received: list[Decision] = []

    def receiver(sender: Any, decision: Decision, **kwargs: Any) -> None:
        received.append(decision)

    services.table_decision_recorded.connect(receiver)
    yield received
    services.table_decision_recorded.disconnect(receiver)


def _decide(world: World, meeting: Meeting, signals: list[Signal], **kwargs: Any) -> Decision:
    values: dict[str, Any] = {
        "outcome": Outcome.OPEN_CASE,
        "rationale": "Meerdere partners zien hetzelfde patroon.",
        "actor": world.users["care_coordinator"],
    }
    values.update(kwargs)
    return services.record_decision(meeting, [s.pk for s in signals], **values)


@pytest.mark.parametrize("outcome", list(Outcome))
def test_each_outcome_is_recorded_kept_by_its_policy_and_announced(
    world: World,
    meeting: Meeting,
    bundle: list[Signal],
    outcome: Outcome,
    announced: list[Decision],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    refer_to = world.ngo_a if outcome == Outcome.REFER else None
    with django_capture_on_commit_callbacks(execute=True):
        decision = _decide(world, meeting, bundle, outcome=outcome, refer_to=refer_to)
    assert announced == [decision]
    decision.refresh_from_db()
    assert (decision.outcome, decision.refer_to) == (outcome.value, refer_to)
    until = retention_policy.current().keep_until(outcome.value, date(2026, 11, 29))
    for signal in bundle:
        signal.refresh_from_db()
        assert (signal.retention_outcome, signal.retention_until) == (outcome.value, until)
    assert propose_agenda(world.table_a, world.users["care_coordinator"]).signal_count == 0


def test_the_chair_records_a_decision_with_tasks_for_each_organisation(
    world: World,
    meeting: Meeting,
    bundle: list[Signal],
    announced: list[Decision],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        decision = _decide(
            world,
            meeting,
            bundle,
            actions=[
                ActionInput(world.police_a, "Adres natrekken", date(2026, 12, 10)),
                ActionInput(world.municipality_a, "Opvang regelen"),
            ],
        )
    assert announced == [decision]
    assert set(decision.signals.all()) == set(bundle)
    for signal in bundle:
        signal.refresh_from_db()
        assert signal.retention_outcome == Outcome.OPEN_CASE  # kept per the outcome
    tasks = Task.objects.filter(subject_id=str(decision.pk)).order_by("pk")
    assert [(t.owner_organisation, t.title, t.due_date) for t in tasks] == [
        (world.police_a, "Adres natrekken", date(2026, 12, 10)),
        (world.municipality_a, "Opvang regelen", None),
    ]
    assert tasks[0].subject == decision and tasks[0].priority == Priority.NORMAL
    # Task descriptions name the table and the outcome, never the signals.
    assert bundle[0].reference not in tasks[0].description
    assert [a.task for a in decision.actions.all()] == list(tasks)
    entry = AuditEntry.objects.filter(action="decide").get()
    assert entry.object_ids == [decision.pk]
    assert entry.details["signals"] == sorted(s.pk for s in bundle)


def test_a_decided_signal_leaves_the_proposed_agenda(
    world: World, meeting: Meeting, bundle: list[Signal]
) -> None:
    other = distinct_signal(world.users["care_coordinator"], groups=[world.table_a])
    carla = world.users["care_coordinator"]
    assert propose_agenda(world.table_a, carla).signal_count == 3
    _decide(world, meeting, bundle, outcome=Outcome.MONITOR)
    agenda = propose_agenda(world.table_a, carla)
    assert [b.signal_ids for b in agenda.bundles] == [[other.pk]]


def test_decisions_are_append_only(world: World, meeting: Meeting, bundle: list[Signal]) -> None:
    decision = _decide(world, meeting, bundle)
    decision.rationale = "Toch anders."
    with pytest.raises(AppendOnlyError):
        decision.save()
    with pytest.raises(AppendOnlyError):
        decision.delete()
    with pytest.raises(AppendOnlyError):
        decision.actions.model(decision=decision, organisation=world.ngo_a, title="x").delete()
    assert Decision.objects.get().rationale == "Meerdere partners zien hetzelfde patroon."


def test_a_correction_supersedes_the_decision_with_a_reason(
    world: World,
    meeting: Meeting,
    bundle: list[Signal],
    announced: list[Decision],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    first = _decide(world, meeting, bundle, outcome=Outcome.MONITOR)
    carla = world.users["care_coordinator"]
    with pytest.raises(InvalidInput):
        services.correct_decision(
            first, outcome=Outcome.OPEN_CASE, rationale="Nieuw feit.", reason=" ", actor=carla
        )
    announced.clear()  # the first decision's announcement, if any, is not this test's
    with django_capture_on_commit_callbacks(execute=True):
        second = services.correct_decision(
            first,
            outcome=Outcome.REFER,
            refer_to=world.ngo_a,
            rationale="De hulpverlener neemt het over.",
            reason="Verkeerde uitkomst genoteerd.",
            actor=carla,
        )
    assert announced == [second] and second.supersedes == first
    first.refresh_from_db()
    assert first.outcome == Outcome.MONITOR and first.superseded_by == second
    assert set(second.signals.all()) == set(bundle)
    assert list(services.current_decisions()) == [second]
    with pytest.raises(Conflict):
        services.correct_decision(
            first, outcome=Outcome.NO_ACTION, rationale="x", reason="y", actor=carla
        )
    # Still decided: the signals do not come back on the agenda.
    assert propose_agenda(world.table_a, carla).bundles == []


def test_only_the_chairs_record_decisions(
    world: World, meeting: Meeting, bundle: list[Signal]
) -> None:
    with pytest.raises(NotAllowed):
        _decide(world, meeting, bundle, actor=world.users["police_analyst"])
    with pytest.raises(NotAllowed):
        services.create_meeting(
            world.table_a, starts_at=timezone.now(), actor=world.users["ngo_worker"]
        )
    assert not Decision.objects.exists()


def test_signals_not_on_the_agenda_cannot_be_decided(
    world: World, meeting: Meeting, bundle: list[Signal]
) -> None:
    carla = world.users["care_coordinator"]
    not_shared = distinct_signal(carla, groups=[])
    with pytest.raises(Conflict):
        _decide(world, meeting, [bundle[0], not_shared])
    _decide(world, meeting, [bundle[0]])
    with pytest.raises(Conflict):
        _decide(world, meeting, bundle)  # bundle[0] is decided already
    assert Decision.objects.count() == 1


def test_a_decision_names_its_problems(
    world: World, meeting: Meeting, bundle: list[Signal]
) -> None:
    with pytest.raises(InvalidFields) as caught:
        _decide(
            world,
            meeting,
            bundle,
            outcome=Outcome.REFER,
            rationale="",
            actions=[ActionInput(world.municipality_b, "Iets")],
        )
    assert set(caught.value.problems) == {"refer_to", "rationale", "actions[0].organisation"}


def test_a_meeting_goes_forward_and_a_closed_one_takes_no_decisions(
    world: World, meeting: Meeting, bundle: list[Signal]
) -> None:
    carla = world.users["care_coordinator"]
    held = services.update_meeting(
        meeting,
        status=Meeting.Status.HELD,
        location="Stadskantoor",
        present_organisations=[world.municipality_a, world.police_a],
        actor=carla,
    )
    assert set(held.present_organisations.all()) == {world.municipality_a, world.police_a}
    with pytest.raises(InvalidInput):
        services.update_meeting(
            held, status=Meeting.Status.PLANNED, location="", present_organisations=[], actor=carla
        )
    with pytest.raises(InvalidInput):
        services.update_meeting(
            held,
            status=Meeting.Status.HELD,
            location="",
            present_organisations=[world.municipality_b],
            actor=carla,
        )
    closed = services.update_meeting(
        held,
        status=Meeting.Status.CLOSED,
        location="Stadskantoor",
        present_organisations=[world.municipality_a],
        actor=carla,
    )
    with pytest.raises(Conflict):
        _decide(world, closed, bundle)
    with pytest.raises(Conflict):
        services.update_meeting(
            closed, status=Meeting.Status.CLOSED, location="", present_organisations=[], actor=carla
        )


def test_urgent_bundles_make_urgent_tasks(world: World, meeting: Meeting) -> None:
    carla = world.users["care_coordinator"]
    urgent = distinct_signal(
        carla, groups=[world.table_a], indicator_ids=["ilo.physical_and_sexual_violence"]
    )
    assert urgent.band == "urgent"
    decision = _decide(
        world, meeting, [urgent], actions=[ActionInput(world.police_a, "Direct langsgaan")]
    )
    assert decision.actions.get().task.priority == Priority.HIGH  # type: ignore[union-attr]


def test_a_chair_organisation_coordinator_runs_the_table_but_its_front_desk_does_not(
    world: World,
) -> None:
    from schakel.partners.services import create_user
    from schakel.partners.vocabulary import Role

    coordinator = create_user(
        world.municipality_a, "coco", roles=[Role.COORDINATOR], password="x" * 20
    )
    assert services.can_chair(coordinator, world.table_a)
    assert not services.can_chair(world.users["front_desk"], world.table_a)
    assert not services.can_chair(world.users["org_admin"], world.table_a)
    assert not services.can_chair(world.users["police_analyst"], world.table_a)
    assert services.tables_for(world.users["front_desk"]) == []
    assert services.tables_for(world.users["police_analyst"]) == [world.table_a]


def test_a_signal_removed_by_retention_leaves_the_decision_and_its_reference(
    world: World, meeting: Meeting, bundle: list[Signal]
) -> None:
    decision = _decide(world, meeting, bundle)
    removed = bundle[0].reference
    Signal.objects.filter(pk=bundle[0].pk).delete()
    links = list(decision.signal_links.all())
    assert [(link.signal_id, link.reference) for link in links] == [
        (None, removed),
        (bundle[1].pk, bundle[1].reference),
    ]
