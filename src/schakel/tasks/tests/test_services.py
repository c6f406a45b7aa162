"""The one task model: creation, status changes, escalation-ready due dates, the task list."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from schakel.errors import Conflict, InvalidInput, NotAllowed
from schakel.tasks import services
from schakel.tasks.models import Status, TaskEvent
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db


def test_a_task_belongs_to_an_organisation_a_user_and_a_record(world: World) -> None:
    carla = world.users["care_coordinator"]
    task = services.create_task(
        world.municipality_a,
        "Call the shelter",
        owner_user=carla,
        due_date=date(2026, 12, 1),
        priority="high",
        subject=world.table_a,
        created_by=carla,
    )
    assert task.subject == world.table_a
    assert list(task.events.values_list("kind", flat=True)) == [TaskEvent.Kind.CREATED]
    assert list(services.organisation_tasks(carla, subject=world.table_a)) == [task]


def test_bad_input_names_the_field(world: World) -> None:
    with pytest.raises(InvalidInput) as empty:
        services.create_task(world.municipality_a, "  ")
    assert empty.value.field == "title"
    with pytest.raises(InvalidInput) as stranger:
        services.create_task(world.municipality_a, "x", owner_user=world.users["outsider"])
    assert stranger.value.field == "owner_user"
    with pytest.raises(InvalidInput) as priority:
        services.create_task(world.municipality_a, "x", priority="whenever")
    assert priority.value.field == "priority"


def test_status_moves_forward_and_history_is_kept(world: World) -> None:
    carla = world.users["care_coordinator"]
    task = services.create_task(world.municipality_a, "Plan the meeting")
    task = services.start_task(task, actor=carla)
    task = services.complete_task(task, actor=carla, result="Planned for Monday")
    assert task.status == Status.DONE and task.result == "Planned for Monday"
    with pytest.raises(Conflict):
        services.complete_task(task, actor=carla)
    with pytest.raises(InvalidInput):
        services.reopen_task(task, actor=carla, reason="")
    task = services.reopen_task(task, actor=carla, reason="Date moved")
    assert task.status == Status.OPEN
    assert [e.kind for e in task.events.all()] == ["created", "started", "completed", "reopened"]


def test_only_the_owner_organisation_changes_its_tasks(world: World) -> None:
    task = services.create_task(world.municipality_a, "Ours")
    with pytest.raises(NotAllowed):
        services.start_task(task, actor=world.users["police_analyst"])
    with pytest.raises(NotAllowed):
        services.cancel_task(task, actor=world.users["outsider"], reason="no")


def test_the_task_list_filters_on_due_and_status(world: World) -> None:
    carla = world.users["care_coordinator"]
    with time_machine.travel(date(2026, 11, 29)):
        late = services.create_task(world.municipality_a, "Late", due_date=date(2026, 11, 20))
        soon = services.create_task(world.municipality_a, "Soon", due_date=date(2026, 12, 3))
        later = services.create_task(world.municipality_a, "Later", due_date=date(2027, 1, 1))
        none = services.create_task(world.municipality_a, "Whenever")
        services.create_task(world.police_a, "Police task", due_date=date(2026, 11, 1))
        assert list(services.organisation_tasks(carla)) == [late, soon, later, none]
        assert list(services.organisation_tasks(carla, due="overdue")) == [late]
        assert list(services.organisation_tasks(carla, due="week")) == [soon]
        assert list(services.organisation_tasks(carla, due="none")) == [none]
        late = services.complete_task(late, actor=carla)
        assert list(services.organisation_tasks(carla, due="overdue")) == []
        assert list(services.organisation_tasks(carla, status="done")) == [late]
        assert late.is_overdue() is False and soon.is_overdue() is False
    with time_machine.travel(date(2026, 12, 10)):
        assert soon.is_overdue()


def test_the_outsider_sees_no_task_of_another_organisation(world: World) -> None:
    services.create_task(world.municipality_a, "Ours")
    assert not services.organisation_tasks(world.users["outsider"], status=None).exists()


def test_unknown_filters_are_refused_by_name(world: World) -> None:
    with pytest.raises(InvalidInput) as exc:
        services.organisation_tasks(world.users["care_coordinator"], due="yesterday")
    assert exc.value.field == "due"


def test_the_task_list_filters_by_the_file_a_task_belongs_to(world: World) -> None:
    carla = world.users["care_coordinator"]
    ours = services.create_task(world.municipality_a, "Plan action", reference="Z-00012")
    services.create_task(world.municipality_a, "Another case", reference="Z-00013")
    services.create_task(world.municipality_a, "No case")
    assert list(services.organisation_tasks(carla, reference="Z-00012")) == [ours]
    assert ours.reference == "Z-00012"
