"""The one plan per victim: made with the case, one per person in the database, actions that
are tasks, reviews, and the minors' blocking condition and Veilig Thuis question."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.db import IntegrityError, transaction

from schakel.cases import persons, plans, services
from schakel.cases.models import Plan, PlanAction
from schakel.cases.tests.helpers import (
    absorbed_by_linkage,
    municipality_signal,
    ngo_signal,
    open_case,
)
from schakel.cases.tests.plan_helpers import (
    MINOR_NAME,
    case_with_plan,
    minor_case,
    plan_of,
    shelter,
    youth_care,
)
from schakel.errors import InvalidFields, NotAllowed
from schakel.signals.tests.factories import SUSPECT_NAME, VICTIM_NAME
from schakel.tasks import services as tasks
from schakel.tasks.models import Status, Task
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db


def test_each_possible_victim_of_a_new_case_has_one_draft_plan(world: World) -> None:
    case = open_case(world, [municipality_signal(world), ngo_signal(world)])
    names = sorted(str(p.person.entity) for p in case.plans.select_related("person__entity"))
    assert len(names) == 2 and not any(SUSPECT_NAME[1] in n for n in names)
    assert {p.status for p in case.plans.all()} == {"draft"}


def test_a_second_case_about_the_same_person_finds_her_plan(world: World) -> None:
    signal = municipality_signal(world)
    first = open_case(world, [signal])
    plan = plan_of(first)
    second = services.open_case(
        lead_organisation=world.municipality_a,
        region=world.region_b,  # another region: still one plan
        signals=[signal],
        actor=world.users["care_coordinator"],
    )
    assert not second.plans.exists()
    person = second.people.get(entity=plan.entity)
    assert plans.ensure_plan(person, actor=world.users["care_coordinator"]) == plan
    assert Plan.objects.filter(entity=plan.entity).count() == 1


def test_the_database_refuses_a_second_plan_for_a_person(world: World) -> None:
    case, plan = case_with_plan(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.create(
            case=case,
            person=case.people.exclude(pk=plan.person_id).first(),
            entity=plan.entity,
            created_by=world.users["care_coordinator"],
        )


def test_a_person_found_to_be_a_possible_victim_gets_a_plan(world: World) -> None:
    case, _plan = case_with_plan(world)
    suspect = case.people.get(entity__caption__contains=SUSPECT_NAME[1])
    assert not Plan.objects.filter(person=suspect).exists()
    persons.record_trafficking_status(
        suspect,
        "possible_victim",
        deciding_organisation=world.municipality_a,
        decided_on=date(2026, 11, 28),
        basis="Zelf ook uitgebuit, blijkt uit gesprek.",
        actor=world.users["care_coordinator"],
    )
    assert Plan.objects.filter(person=suspect).count() == 1


def test_an_action_is_a_task_on_the_owner_organisations_list_due_by_priority(
    world: World,
) -> None:
    case, plan = case_with_plan(world)
    with time_machine.travel(date(2026, 12, 1)):
        action = plans.add_action(
            plan,
            domain="shelter",
            description="Zoek een veilige opvangplek.",
            owner_organisation=shelter(world),
            priority="high",
            actor=world.users["care_coordinator"],
        )
    task = action.task
    assert task.owner_organisation == shelter(world)
    assert task.due_date == date(2026, 12, 8)  # high: a week (plan_deadlines.yaml)
    assert task.subject == plan and task.reference == case.reference
    assert VICTIM_NAME[1] not in task.title  # the whole organisation sees its task list
    assert task.description == "Zoek een veilige opvangplek."


def test_the_action_follows_its_task(world: World) -> None:
    _case, plan = case_with_plan(world)
    carla = world.users["care_coordinator"]
    action = plans.add_action(
        plan,
        domain="income",
        description="Vraag een uitkering aan.",
        owner_organisation=world.municipality_a,
        owner_user=carla,
        actor=carla,
    )
    tasks.complete_task(action.task, actor=carla, result="Aangevraagd op 2 december.")
    action = PlanAction.objects.select_related("task").get(pk=action.pk)
    assert action.task.status == Status.DONE and action.task.result == "Aangevraagd op 2 december."
    assert list(tasks.organisation_tasks(carla, status="done", reference=plan.case.reference)) == [
        action.task
    ]


def test_bad_actions_are_refused_naming_each_field(world: World) -> None:
    _case, plan = case_with_plan(world)
    with pytest.raises(InvalidFields) as exc:
        plans.add_action(
            plan,
            domain="holidays",
            description=" ",
            owner_organisation=world.police_a,
            owner_user=world.users["care_coordinator"],
            priority="whenever",
            due_date=date(2020, 1, 1),
            actor=world.users["care_coordinator"],
        )
    assert set(exc.value.problems) == {
        "domain",
        "description",
        "owner_user",
        "priority",
        "due_date",
    }
    assert not Task.objects.filter(subject_id=str(plan.pk)).exists()


def test_only_the_case_team_changes_the_plan(world: World) -> None:
    _case, plan = case_with_plan(world)
    for persona in ("police_analyst", "ngo_worker", "outsider"):
        with pytest.raises(NotAllowed):
            plans.add_objective(plan, "health", "Huisarts", actor=world.users[persona])


def test_a_review_sets_the_next_by_the_interval(world: World) -> None:
    _case, plan = case_with_plan(world)
    review = plans.record_review(
        plan,
        reviewed_on=date(2026, 11, 29),
        summary="Opvang geregeld; gezondheid volgt.",
        actor=world.users["care_coordinator"],
    )
    assert review.next_review_on == date(2027, 1, 10)  # six weeks
    plan.refresh_from_db()
    assert plan.next_review_on == date(2027, 1, 10)
    with pytest.raises(InvalidFields) as exc:
        plans.record_review(
            plan,
            reviewed_on=date(2026, 11, 29),
            summary="",
            next_review_on=date(2026, 11, 1),
            actor=world.users["care_coordinator"],
        )
    assert set(exc.value.problems) == {"summary", "next_review_on"}


def test_an_adult_plan_goes_active_with_its_next_review(world: World) -> None:
    _case, plan = case_with_plan(world)
    plan = plans.set_plan_status(plan, "active", actor=world.users["care_coordinator"])
    assert plan.status == "active" and plan.next_review_on == date(2027, 1, 10)
    assert not plan.actions.filter(kind="veilig_thuis").exists()
    with pytest.raises(InvalidFields) as exc:
        plans.set_plan_status(plan, "draft", actor=world.users["care_coordinator"])
    assert exc.value.field == "status"


def test_a_minors_plan_asks_about_veilig_thuis_once(world: World) -> None:
    case, plan = minor_case(world)
    question = plan.actions.get(kind="veilig_thuis")
    assert question.task.owner_organisation == case.lead_organisation
    assert question.task.priority == "high"
    assert plans.ask_about_veilig_thuis(plan, actor=None) == question
    assert plan.actions.filter(kind="veilig_thuis").count() == 1


def test_a_minors_plan_is_not_set_active_without_youth_care(world: World) -> None:
    _case, plan = minor_case(world)
    carla = world.users["care_coordinator"]
    assert [b.field for b in plans.blockers_of(plan)] == ["youth_care"]
    with pytest.raises(InvalidFields) as exc:
        plans.set_plan_status(plan, "active", actor=carla)
    assert exc.value.field == "youth_care" and exc.value.message
    plan.refresh_from_db()
    assert plan.status == "draft"
    plans.add_action(
        plan,
        domain="shelter",
        description="Plaatsing in een beschermde jeugdvoorziening.",
        owner_organisation=youth_care(world),
        actor=carla,
    )
    assert plans.blockers_of(plan) == []
    plan = plans.set_plan_status(plan, "active", actor=carla)
    assert plan.status == "active"
    assert plan.next_review_on == date(2026, 12, 27)  # a minor: four weeks


def test_a_minor_stays_a_minor_when_linkage_merges_her_entity_into_another(
    world: World,
) -> None:
    _case, plan = minor_case(world)
    absorbed_by_linkage(world, plan.person, MINOR_NAME)
    assert plans.is_minor(plan.person)
    with pytest.raises(InvalidFields) as exc:
        plans.set_plan_status(plan, "active", actor=world.users["care_coordinator"])
    assert exc.value.field == "youth_care"


def test_an_unaccompanied_minor_is_a_minor_too(world: World) -> None:
    case, plan = case_with_plan(world)
    assert not plans.is_minor(plan.person)
    persons.record_migration_status(
        plan.person, "unaccompanied_minor", actor=world.users["care_coordinator"]
    )
    assert plans.is_minor(plan.person)
    assert plan.actions.filter(kind="veilig_thuis").count() == 1
    assert [b.field for b in plans.blockers_of(plan)] == ["youth_care"]
    assert MINOR_NAME[1] not in str(case)
