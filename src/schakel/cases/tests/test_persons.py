"""Trafficking status, migration status and the reflection period of a person in a case."""

from __future__ import annotations

import re
from datetime import date
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from schakel.appendonly import AppendOnlyError
from schakel.cases import persons
from schakel.cases.models import Case, CasePerson, TraffickingStatusDecision
from schakel.cases.presenter import present_case
from schakel.cases.reflection import add_months, raise_reflection_reminders
from schakel.cases.services import change_status
from schakel.cases.tests.helpers import SignIn, municipality_signal, open_case
from schakel.cases.vocabulary import HTCDS_TRAFFICKING_STATUS
from schakel.errors import InvalidFields, NotAllowed
from schakel.tasks.models import Task
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(world: World) -> Case:
    return open_case(world, [municipality_signal(world)])


@pytest.fixture
def victim(case: Case) -> CasePerson:
    return case.people.get(role="possible_victim")


def test_trafficking_status_is_recorded_with_who_decided_and_keeps_its_history(
    world: World, victim: CasePerson
) -> None:
    carla = world.users["care_coordinator"]
    first = persons.record_trafficking_status(
        victim,
        "possible_victim",
        deciding_organisation=world.police_a,
        decided_on=date(2026, 11, 25),
        basis="Signalen van drie partners; aanwijzingen uit de ILO-lijst.",
        actor=carla,
    )
    assert first.deciding_organisation_type == "Police"  # from the police's sector
    persons.record_trafficking_status(
        victim,
        "actual_victim",
        deciding_organisation=world.municipality_a,
        deciding_organisation_type="CourtOrProsecution",
        decided_on=date(2026, 11, 28),
        basis="Uitspraak rechtbank.",
        actor=carla,
    )
    view = present_case(carla, victim.case)
    (shown,) = [p for p in view.people if p.person.pk == victim.pk]
    assert [r.status for r in shown.trafficking] == ["possible_victim", "actual_victim"]
    assert shown.trafficking_status is not None
    assert HTCDS_TRAFFICKING_STATUS[shown.trafficking_status.status] == "ActualVictimOfTrafficking"
    with pytest.raises(AppendOnlyError):
        TraffickingStatusDecision.objects.get(pk=first.pk).delete()


def test_a_trafficking_status_needs_a_basis_and_a_date_not_in_the_future(
    world: World, victim: CasePerson
) -> None:
    with pytest.raises(InvalidFields) as problems:
        persons.record_trafficking_status(
            victim,
            "victim?",
            deciding_organisation=world.police_a,
            decided_on=date(2027, 1, 1),
            basis=" ",
            actor=world.users["care_coordinator"],
        )
    assert set(problems.value.problems) == {"status", "decided_on", "basis"}


@pytest.mark.parametrize("persona", ["police_analyst", "ngo_worker", "outsider"])
def test_only_the_case_team_records_decisions_about_a_person(
    world: World, victim: CasePerson, persona: str
) -> None:
    with pytest.raises(NotAllowed):
        persons.record_migration_status(victim, "dublin_claimant", actor=world.users[persona])


def test_migration_status_comes_from_the_reviewed_vocabulary(
    world: World, victim: CasePerson
) -> None:
    carla = world.users["care_coordinator"]
    persons.record_migration_status(victim, "asylum_seeker", since=date(2026, 9, 1), actor=carla)
    persons.record_migration_status(victim, "dublin_claimant", actor=carla)
    assert list(victim.migration_statuses.values_list("status", flat=True)) == [
        "asylum_seeker",
        "dublin_claimant",
    ]
    with pytest.raises(InvalidFields):
        persons.record_migration_status(victim, "tourist", actor=carla)


def test_the_reflection_period_runs_three_calendar_months() -> None:
    assert add_months(date(2026, 11, 29), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)
    assert add_months(date(2026, 10, 31), 3) == date(2027, 1, 31)


def test_the_reflection_period_counts_down_and_raises_one_task_before_it_ends(
    world: World, victim: CasePerson
) -> None:
    carla = world.users["care_coordinator"]
    offer = persons.offer_reflection_period(
        victim, offered_on=date(2026, 11, 20), offered_by=world.police_a, actor=carla
    )
    assert offer.ends_on == date(2027, 2, 20)
    (shown,) = [p for p in present_case(carla, victim.case).people if p.person.pk == victim.pk]
    assert shown.reflection is not None and shown.reflection.days_left == 83
    assert raise_reflection_reminders() == 0  # far from the end: no task yet

    with time_machine.travel("2027-02-06 08:00", tick=False):
        assert raise_reflection_reminders() == 1
        assert raise_reflection_reminders() == 0  # idempotent: one task per offer
        task = Task.objects.get()
        assert task.owner_organisation == world.municipality_a
        assert task.owner_user == carla
        assert task.due_date == date(2027, 2, 20)
        assert task.subject == offer
        assert "Popescu" not in task.title + task.description  # no names in tasks
        (shown,) = [p for p in present_case(carla, victim.case).people if p.person.pk == victim.pk]
        assert shown.reflection is not None
        assert shown.reflection.days_left == 14 and shown.reflection.ends_soon

    with time_machine.travel("2027-02-21 08:00", tick=False):
        assert raise_reflection_reminders() == 0
        (shown,) = [p for p in present_case(carla, victim.case).people if p.person.pk == victim.pk]
        assert shown.reflection is not None and shown.reflection.has_ended


#: The countdown on the case page: its badge's state and its text.
DAYS_LEFT = re.compile(
    r'<span class="utrecht-status-badge utrecht-status-badge--(?P<state>[a-z]+)" '
    r'data-testid="days-left">(?P<text>[^<]*)</span>'
)


def _countdown(client: Client, case: Case, language: str = "en") -> tuple[str, str]:
    response = client.get(reverse("case_detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    page = response.content.decode()
    (shown,) = DAYS_LEFT.findall(page)
    return shown[0], " ".join(shown[1].split())


@pytest.mark.parametrize(
    ("today", "state", "text"),
    [
        ("2026-11-29 10:00", "neutral", "83 days left"),
        ("2027-02-05 09:00", "neutral", "15 days left"),  # the day before the reminder window
        ("2027-02-06 09:00", "warning", "14 days left"),
        ("2027-02-19 09:00", "warning", "1 day left"),
    ],
)
def test_the_case_page_counts_the_reflection_period_down_and_warns_near_its_end(
    world: World, victim: CasePerson, signed_in: SignIn, today: str, state: str, text: str
) -> None:
    carla = world.users["care_coordinator"]
    persons.offer_reflection_period(
        victim, offered_on=date(2026, 11, 20), offered_by=world.police_a, actor=carla
    )  # ends on 20 February 2027
    with time_machine.travel(today, tick=False):
        assert _countdown(signed_in(carla), victim.case) == (state, text)


def test_the_countdown_reads_in_dutch_and_shows_the_end_once_it_has_passed(
    world: World, victim: CasePerson, signed_in: SignIn
) -> None:
    carla = world.users["care_coordinator"]
    persons.offer_reflection_period(
        victim, offered_on=date(2026, 11, 20), offered_by=world.police_a, actor=carla
    )
    with time_machine.travel("2027-02-06 09:00", tick=False):
        assert _countdown(signed_in(carla), victim.case, "nl") == ("warning", "nog 14 dagen")
    with time_machine.travel("2027-02-20 09:00", tick=False):
        page = signed_in(carla).get(
            reverse("case_detail", args=[victim.case.pk]), HTTP_ACCEPT_LANGUAGE="en"
        )
        shown = page.content.decode()
        assert 'data-testid="days-left"' not in shown
        reflection = re.search(r'<dd data-testid="reflection">(.*?)</dd>', shown, re.S)
        assert reflection is not None
        assert (
            '<span class="utrecht-status-badge utrecht-status-badge--danger">ended</span>'
            in reflection.group(1)
        )
        assert "ended</span> on 20 February 2027" in " ".join(reflection.group(1).split())


def test_a_new_offer_replaces_the_old_and_a_closed_case_raises_nothing(
    world: World, victim: CasePerson
) -> None:
    carla = world.users["care_coordinator"]
    persons.offer_reflection_period(
        victim, offered_on=date(2026, 9, 1), offered_by=world.police_a, actor=carla
    )
    persons.offer_reflection_period(
        victim, offered_on=date(2026, 11, 28), offered_by=world.police_a, actor=carla
    )
    # The first offer would end on 1 December; the second replaces it (ends 28 February).
    assert raise_reflection_reminders(today=date(2026, 11, 29)) == 0
    change_status(victim.case, "closed", reason="Vertrokken.", actor=carla)
    assert raise_reflection_reminders(today=date(2027, 2, 20)) == 0
    assert not Task.objects.exists()


def test_a_reminder_missed_by_the_job_is_still_raised_after_the_end(
    world: World, victim: CasePerson
) -> None:
    persons.offer_reflection_period(
        victim,
        offered_on=date(2026, 8, 1),
        offered_by=world.police_a,
        actor=world.users["care_coordinator"],
    )
    assert raise_reflection_reminders(today=timezone.localdate()) == 1


def test_the_periodic_job_raises_the_reminders_and_is_safe_to_repeat(
    world: World, victim: CasePerson
) -> None:
    persons.offer_reflection_period(
        victim,
        offered_on=date(2026, 8, 20),
        offered_by=world.police_a,
        actor=world.users["care_coordinator"],
    )
    out = StringIO()
    call_command("schakel_periodic", "reflection-reminders", stdout=out)
    call_command("schakel_periodic", "reflection-reminders", stdout=out)
    assert out.getvalue().splitlines() == [
        "reflection-reminders: 1 reflection-period reminders raised",
        "reflection-reminders: 0 reflection-period reminders raised",
    ]
    assert Task.objects.count() == 1
