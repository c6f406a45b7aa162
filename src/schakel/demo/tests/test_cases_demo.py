"""The demo's cases: every state, one plan per victim, overdue tasks, handovers, a Dublin hold,
a minor with youth care, consistent with the signals and entities they grew from.

The small demo is generated once for the module (``schakel demo``, as ``make demo`` runs it:
signals, entities and linkage, then cases) and twice, from an empty database, to compare.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from schakel.cases import plans, services
from schakel.cases.holds import DUBLIN_CLAIMANT
from schakel.cases.models import (
    ActionEscalation,
    Case,
    CasePerson,
    Handover,
    Plan,
    PlanAction,
    PlanRequest,
    ReflectionOffer,
    TraffickingStatusDecision,
    TransferHold,
)
from schakel.cases.national import national_overview
from schakel.cases.vocabulary import CaseStatus, PlanStatus
from schakel.demo.case_stories import STORIES
from schakel.demo.cases import MAX_LARGE_CASES, generate_cases, stories_for
from schakel.demo.generator import generate
from schakel.demo.signals import generate_signals
from schakel.entities.models import Entity, Mention, Schema
from schakel.errors import NotAllowed
from schakel.partners.models import User
from schakel.partners.vocabulary import Function, Sector
from schakel.tasks.models import Task
from schakel.testing.personas import login

pytestmark = pytest.mark.django_db

Snapshot = list[tuple[Any, ...]]


def _snapshot() -> Snapshot:
    """What a run made, by references and names: cases, their signals and people, plans,
    tasks, handovers and holds."""
    rows: Snapshot = []
    for case in Case.objects.order_by("pk").prefetch_related("people__entity", "signal_links"):
        rows.append(
            (
                case.reference,
                case.status,
                case.lead_organisation.name,
                case.region.code,
                sorted(link.reference for link in case.signal_links.all()),
                sorted(person.entity.caption for person in case.people.all()),
            )
        )
    rows.append(
        (
            Plan.objects.count(),
            PlanAction.objects.count(),
            Task.objects.overdue().count(),
            sorted(Handover.objects.values_list("case_id", "status")),
            TransferHold.objects.filter(lifted_at__isnull=True).count(),
        )
    )
    return rows


def _demo() -> Snapshot:
    call_command("flush", interactive=False, verbosity=0)
    call_command("schakel_demo", size="small", seed=1, stdout=StringIO())
    return _snapshot()


@pytest.fixture(scope="module")
def runs(django_db_setup: None, django_db_blocker: Any) -> Iterator[tuple[Snapshot, Snapshot]]:
    with django_db_blocker.unblock():
        first = _demo()
        second = _demo()  # what the tests below read
        yield first, second
        call_command("flush", interactive=False, verbosity=0)


def _user(username: str) -> User:
    return User.objects.get(username=username)


def test_the_same_seed_opens_the_same_cases_from_the_same_signals(runs: Any) -> None:
    first, second = runs
    assert len(first) == len(STORIES) + 1
    assert first == second


def test_a_second_run_opens_no_more_cases(runs: Any) -> None:
    before = Case.objects.count()
    assert generate_cases("small", seed=1).created == 0
    assert Case.objects.count() == before


def test_every_case_status_occurs_and_closing_says_why(runs: Any) -> None:
    assert set(Case.objects.values_list("status", flat=True)) == set(CaseStatus.values)
    referred = Case.objects.get(status=CaseStatus.CLOSED_REFERRED)
    change = referred.status_changes.order_by("-pk").first()
    assert change is not None and change.reason and change.referred_to is not None
    assert Case.objects.filter(source_decision__isnull=False).count() >= 3  # by the table
    assert Case.objects.filter(source_decision__isnull=True).count() >= 3  # by a coordinator


def test_the_table_decided_during_its_meeting_on_signals_received_before_it(runs: Any) -> None:
    from schakel.signaltable.models import Decision

    decisions = list(Decision.objects.select_related("meeting"))
    assert len(decisions) >= 3
    for decision in decisions:
        starts = decision.meeting.starts_at
        assert starts <= decision.decided_at < starts + timedelta(hours=3), decision.pk
        received = decision.signal_links.values_list("signal__received_at", flat=True)
        assert received and all(when < starts for when in received), decision.pk


def test_the_people_of_each_case_are_the_entities_its_signals_mention(runs: Any) -> None:
    merged = dict(Entity.objects.values_list("pk", "merged_into_id"))

    def current(entity_id: int) -> int:
        while merged.get(entity_id):
            entity_id = merged[entity_id]
        return entity_id

    for case in Case.objects.all():
        mentioned = {
            current(entity_id)
            for entity_id in Mention.objects.filter(
                signal__case_links__case=case, schema=Schema.PERSON, entity__isnull=False
            ).values_list("entity_id", flat=True)
        }
        people = set(case.people.values_list("entity_id", flat=True))
        assert people and people == mentioned, case.reference


def test_every_victim_has_exactly_one_plan_across_domains_and_organisations(runs: Any) -> None:
    victims = CasePerson.objects.filter(role="possible_victim")
    assert victims.exists()
    for person in victims:
        assert Plan.objects.filter(entity_id=person.entity_id).count() == 1
    statuses = set(Plan.objects.values_list("status", flat=True))
    assert {PlanStatus.DRAFT, PlanStatus.ACTIVE, PlanStatus.CLOSED} <= statuses
    widest = max(Plan.objects.all(), key=lambda p: p.actions.count())
    assert widest.objectives.values("domain").distinct().count() >= 4
    owners = widest.actions.values("task__owner_organisation").distinct().count()
    assert owners >= 4
    assert Plan.objects.filter(reviews__isnull=False).exists()


def test_trafficking_statuses_and_migration_statuses_come_from_the_vocabularies(
    runs: Any,
) -> None:
    decided = set(TraffickingStatusDecision.objects.values_list("status", flat=True))
    assert decided == {"possible_victim", "actual_victim", "not_a_victim"}
    codes = set(CasePerson.objects.values_list("migration_statuses__status", flat=True))
    assert {DUBLIN_CLAIMANT, "eu_citizen"} <= codes


def test_some_plan_actions_are_overdue_and_have_escalated(runs: Any) -> None:
    overdue = Task.objects.filter(plan_action__isnull=False).overdue()
    assert overdue.count() >= 3
    assert all(task.created_at.date() < task.due_date for task in overdue if task.due_date)
    levels = set(ActionEscalation.objects.values_list("level", flat=True))
    assert levels == {1, 2}  # one action is more than a week overdue


def test_a_reflection_period_ends_within_two_weeks_and_its_task_is_raised(runs: Any) -> None:
    today = timezone.localdate()
    soon = ReflectionOffer.objects.filter(ends_on__lte=today + timedelta(days=14))
    assert soon.exists()
    assert Task.objects.filter(
        subject_type__model="reflectionoffer", subject_id=str(soon.first().pk)
    ).exists()


def test_handovers_between_regions_are_accepted_open_and_declined(runs: Any) -> None:
    handovers = list(Handover.objects.select_related("case"))
    assert {h.status for h in handovers} == {"accepted", "open", "declined"}
    assert all(h.from_region_id != h.to_region_id for h in handovers)
    accepted = next(h for h in handovers if h.status == "accepted")
    assert accepted.case.lead_organisation_id == accepted.to_organisation_id
    assert accepted.case.region_id == accepted.to_region_id


def test_a_dublin_transfer_hold_is_in_place_with_a_task_for_the_liaison(runs: Any) -> None:
    hold = TransferHold.objects.get(lifted_at__isnull=True)
    latest = hold.person.migration_statuses.order_by("-recorded_at", "-pk").first()
    assert latest is not None and latest.status == DUBLIN_CLAIMANT
    assert hold.liaison_organisation is not None
    assert hold.liaison_organisation.has_function(Function.IMMIGRATION_LIAISON)
    assert hold.task is not None and hold.task.is_open


def test_a_minors_plan_is_active_with_youth_care_and_the_veilig_thuis_task(runs: Any) -> None:
    minors = [
        plan
        for plan in Plan.objects.filter(status=PlanStatus.ACTIVE).select_related("person")
        if plans.is_minor(plan.person)
    ]
    assert minors
    plan = minors[0]
    sectors = set(plan.actions.values_list("task__owner_organisation__sector", flat=True))
    assert Sector.YOUTH_CARE in sectors
    assert plan.actions.filter(kind=PlanAction.Kind.VEILIG_THUIS).exists()


def test_a_shelter_placement_and_a_comensha_registration_were_requested(runs: Any) -> None:
    kinds = set(PlanRequest.objects.values_list("kind", "status"))
    assert ("shelter_placement", "accepted") in kinds
    assert ("comensha_registration", "sent") in kinds


def test_the_demo_logins_have_cases_to_see(runs: Any) -> None:
    coordinator = _user("zorgcoordinator")
    assert Case.objects.filter(care_coordinator=coordinator).count() >= 3
    page = login(Client(), coordinator).get(reverse("case_list"))
    assert page.status_code == 200
    mine = Case.objects.filter(care_coordinator=coordinator).first()
    assert mine is not None and mine.reference in page.content.decode()
    # The police analyst's organisation is at the table the cases are shared with.
    assert services.visible_cases(_user("politie-analist")).count() >= 3
    # The national coordinator sees figures in three regions.
    overview = national_overview(_user("landelijk-coordinator"))
    assert sum(1 for region in overview.regions if region.cases_total) >= 3
    page = login(Client(), _user("landelijk-coordinator")).get(reverse("case_national"))
    assert page.status_code == 200
    # The coordinator in Groningen is asked to take a case over.
    asked = Handover.objects.get(status="open")
    groningen = _user("zorgcoordinator-groningen")
    assert asked.to_organisation_id == groningen.organisation_id
    page = login(Client(), groningen).get(reverse("case_handover", args=[asked.pk]))
    assert page.status_code == 200


def test_each_case_and_plan_page_renders_for_the_case_coordinator(runs: Any) -> None:
    for case in Case.objects.select_related("care_coordinator"):
        assert case.care_coordinator is not None
        client = login(Client(), case.care_coordinator)
        page = client.get(reverse("case_detail", args=[case.pk]))
        assert page.status_code == 200, case.reference
        assert case.reference in page.content.decode()
        for plan in Plan.objects.filter(case=case):
            page = client.get(reverse("plan_detail", args=[case.pk, plan.pk]))
            assert page.status_code == 200, plan.reference


def test_the_ngo_worker_finds_its_organisations_plan_actions_on_its_task_list(
    runs: Any,
) -> None:
    ngo = _user("ngo-medewerker")
    theirs = list(
        Task.objects.open().filter(owner_organisation=ngo.organisation, plan_action__isnull=False)
    )
    assert theirs
    page = login(Client(), ngo).get(reverse("task_list"))
    assert page.status_code == 200
    assert all(task.reference in page.content.decode() for task in theirs)


def test_the_large_demo_has_cases_in_proportion_but_bounded() -> None:
    assert len(stories_for("small", 300)) == len(STORIES)
    assert len(stories_for("large", 20_000)) == len(STORIES)
    assert len(stories_for("large", 1_000_000)) == MAX_LARGE_CASES
    assert len(stories_for("large", 10_000_000)) == MAX_LARGE_CASES


def test_the_large_demo_resolves_the_signals_it_opens_cases_from(runs: Any) -> None:
    # The large demo leaves the signals' entities to the worker: its cases resolve their own.
    # (Within this test's transaction: the module's demo is back for the next test.)
    call_command("flush", interactive=False, verbosity=0)
    generate("large", seed=2, organisations=3, signals=0)
    generate_signals(400, seed=2, truth_path=Path(settings.DATA_DIR) / "large-truth.jsonl")
    assert not Mention.objects.exists()
    result = generate_cases("large", seed=2)
    assert result.created >= len(STORIES) - 2
    assert set(Case.objects.values_list("status", flat=True)) == set(CaseStatus.values)
    assert not CasePerson.objects.filter(entity__isnull=True).exists()
    assert Mention.objects.filter(signal__case_links__isnull=False).exists()


@override_settings(PRODUCTION=True)
def test_demo_cases_are_refused_in_production() -> None:
    with pytest.raises(NotAllowed):
        generate_cases("small", seed=1)


def test_the_police_and_the_care_coordinator_write_on_the_secured_line(runs: Any) -> None:
    from schakel.cases.models import CaseMessage, Consent

    wanted = sum(1 for story in STORIES if story.line)
    written = Case.objects.filter(messages__isnull=False).distinct()
    assert written.count() == wanted
    for case in written:
        kinds = set(case.messages.values_list("kind", flat=True))
        assert kinds == {
            "request_for_information",
            "consent_given",
            "information_shared",
            "intention_to_report",
        }
        consent = Consent.objects.get(case=case)
        assert case.messages.get(kind="information_shared").consent == consent
        request = case.messages.get(kind="request_for_information")
        police = request.sender
        assert police.organisation.sector == Sector.POLICE
        client = login(Client(), police)
        assert client.get(reverse("case_line", args=[case.pk])).status_code == 200
        # A partner at the table who is not a party of the line does not see a message.
        other = (
            User.objects.filter(organisation__group_memberships__group__cases=case)
            .exclude(organisation__in=[police.organisation, case.care_coordinator.organisation])
            .exclude(role_set__role="front_desk")
            .first()
        )
        if other is not None:
            page = login(Client(), other).get(reverse("case_line_message", args=[request.pk]))
            assert page.status_code == 404
    assert CaseMessage.objects.filter(case__in=written).count() == 4 * wanted
