"""The case timeline per persona: every kind of event in time order for the care coordinator,
what label and purpose allow for the police, its own contributions for the NGO, 404 for the
outsider; hidden details are not in the page or the JSON; the case's tasks that are not plan
actions (a reflection period's reminder, a transfer hold's liaison task) for the organisation
that holds them only; plan merges; bounded queries; the audit entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from schakel.audit.models import AuditEntry
from schakel.cases import handovers, holds, persons, plans, referrals, services
from schakel.cases.escalation import escalate_overdue_actions
from schakel.cases.models import Case, CasePerson, Plan, PlanAction, PlanMerge, TransferHold
from schakel.cases.reflection import raise_reflection_reminders
from schakel.cases.tests.helpers import (
    NGO_VICTIM,
    SignIn,
    TokenClient,
    decide,
    meeting_of_table_a,
    municipality_signal,
    ngo_signal,
    open_case,
)
from schakel.cases.tests.line_helpers import police_request
from schakel.cases.tests.plan_helpers import case_with_plan, plan_of, shelter
from schakel.cases.timeline import KINDS, build_timeline
from schakel.entities.clustering import write_groups
from schakel.entities.models import Mention
from schakel.partners.models import Organisation, OrganisationFunction, User
from schakel.partners.services import add_group_member, create_user
from schakel.partners.vocabulary import Function, Role, Sector
from schakel.signals.models import Signal
from schakel.signals.tests.factories import VICTIM_NAME
from schakel.signaltable import services as table
from schakel.tasks.models import Task
from schakel.tasks.services import cancel_task, complete_task, create_task, reopen_task
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db


BASIS = "Verklaring afgelegd bij de zorgcoördinator"
SHELTER_ACTION = "Begeleiding naar de opvang"
SAFETY_ACTION = "Beveiligingsadvies voor het opvangadres"
REVIEW = "Gesprek met de cliënte over haar veiligheid"
STATUS_REASON = "Opvang geregeld, nazorg loopt"
REMINDER = "Bedenktijd eindigt op 28-02-2027"  # the task's title, in Dutch as stored


def _at(moment: str) -> Any:
    return time_machine.travel(timezone.make_aware(datetime.fromisoformat(moment)), tick=False)


@dataclass
class Story:
    case: Case
    plan: Plan
    municipality_signal: Signal
    ngo_signal: Signal
    shelter_action: PlanAction
    safety_action: PlanAction


def _liaison_desk(world: World) -> Organisation:
    org = Organisation.objects.create(
        name="IND Liaison Zuid", sector=Sector.IMMIGRATION_SERVICE, region=world.region_a
    )
    OrganisationFunction.objects.create(organisation=org, function=Function.IMMIGRATION_LIAISON)
    create_user(org, "ivo", roles=[Role.PROFESSIONAL], email="ivo@example.test")
    return org


def _victim(case: Case) -> CasePerson:
    return case.people.get(entity__caption__contains=VICTIM_NAME[1])


def _care_and_justice_actions(world: World, plan: Plan) -> tuple[PlanAction, PlanAction]:
    """A care action for the NGO (shelter, due 1 December) and a justice action for the police
    (safety), added by Carla."""
    carla = world.users["care_coordinator"]
    shelter_action = plans.add_action(
        plan,
        domain="shelter",
        description=SHELTER_ACTION,
        owner_organisation=world.ngo_a,
        due_date=date(2026, 12, 1),
        actor=carla,
    )
    safety_action = plans.add_action(
        plan,
        domain="safety",
        description=SAFETY_ACTION,
        owner_organisation=world.police_a,
        actor=carla,
    )
    return shelter_action, safety_action


@pytest.fixture
def story(world: World) -> Story:
    """A case's life, one step an hour: signals, the table's decision, the case, statuses, a
    hold (its task for the immigration liaison), the plan's objective, actions, review and
    request, a handover, a status change, an escalation, the hold lifted and the reflection
    period's reminder (a task for the lead organisation)."""
    carla = world.users["care_coordinator"]
    liaison = _liaison_desk(world)
    receiving = Organisation.objects.create(
        name="Gemeente Tilburg", sector=Sector.MUNICIPALITY, region=world.region_a
    )
    rita = create_user(receiving, "rita", roles=[Role.COORDINATOR], email="rita@example.test")
    with _at("2026-11-30 08:00"):
        mine, ngo = municipality_signal(world), ngo_signal(world)
    with _at("2026-11-30 09:00"):
        decide(world, meeting_of_table_a(world), [mine, ngo], outcome="monitor")
    with _at("2026-11-30 10:00"):
        case = open_case(world, [mine, ngo])
    victim = _victim(case)
    with _at("2026-11-30 11:00"):
        persons.record_trafficking_status(
            victim,
            "possible_victim",
            deciding_organisation=world.municipality_a,
            decided_on=date(2026, 11, 30),
            basis=BASIS,
            actor=carla,
        )
    with _at("2026-11-30 11:30"):
        persons.record_migration_status(victim, "dublin_claimant", actor=carla)
    with _at("2026-11-30 12:00"):
        persons.offer_reflection_period(
            victim, offered_on=date(2026, 11, 30), offered_by=world.municipality_a, actor=carla
        )
    plan = plan_of(case)
    with _at("2026-11-30 13:00"):
        plans.add_objective(plan, "shelter", "Een veilige opvangplek.", actor=carla)
        shelter_action, safety_action = _care_and_justice_actions(world, plan)
    with _at("2026-11-30 14:00"):
        complete_task(
            safety_action.task, actor=world.users["police_analyst"], result="Advies gegeven."
        )
    with _at("2026-11-30 15:00"):
        plans.record_review(plan, reviewed_on=date(2026, 11, 30), summary=REVIEW, actor=carla)
    with _at("2026-11-30 16:00"):
        referrals.request_shelter_placement(plan, recipient=shelter(world), actor=carla)
    with _at("2026-11-30 17:00"):
        handover = handovers.request_handover(
            case, to_organisation=receiving, reason="Cliënte verhuist.", actor=carla
        )
    with _at("2026-11-30 17:30"):
        handovers.decline(handover, note="Geen plek.", actor=rita)
    with _at("2026-11-30 17:45"):
        police_request(world, case)  # on the secured line
    with _at("2026-11-30 18:00"):
        services.change_status(case, "follow_up", reason=STATUS_REASON, actor=carla)
    with _at("2026-12-02 08:00"):
        assert escalate_overdue_actions() == 1
    hold = holds.active_hold(victim)
    assert hold is not None and hold.liaison_organisation == liaison
    with _at("2026-12-02 10:00"):
        holds.agree_to_lift(hold, rationale="Beoordeling afgerond.", actor=carla)
        holds.agree_to_lift(
            hold, rationale="IND is akkoord.", actor=User.objects.get(username="ivo")
        )
    # The periodic job (in the default language), run as if on the day the reminder is due.
    with _at("2026-12-02 11:00"), translation.override("nl"):
        assert raise_reflection_reminders(date(2027, 2, 14)) == 1
    return Story(Case.objects.get(pk=case.pk), plan, mine, ngo, shelter_action, safety_action)


def _page(client: Any, case: Case, query: str = "") -> str:
    response = client.get(
        reverse("case_timeline", args=[case.pk]) + query, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())


def _api(case: Case) -> str:
    return f"/api/v1/cases/{case.pk}/timeline/"


def _english(make: TokenClient) -> TokenClient:
    """API clients that ask for English: the tests read the events' English words."""

    def client(user: User) -> APIClient:
        api = make(user)
        api.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return api

    return client


def test_the_care_coordinator_sees_every_kind_of_event_in_time_order(
    world: World, story: Story, token_client: TokenClient
) -> None:
    token_client = _english(token_client)
    events = token_client(world.users["care_coordinator"]).get(_api(story.case)).json()
    times = [datetime.fromisoformat(e["at"]) for e in events]
    assert times == sorted(times)
    # Every kind but plan merges and splits (a second plan for one person: see below).
    assert {e["kind"] for e in events} == set(KINDS) - {"merge_split"}
    texts = [e["description"] for e in events]

    def first(fragment: str) -> int:
        return next(i for i, text in enumerate(texts) if fragment in text)

    order = [
        story.municipality_signal.reference,
        "The signal table decided",
        "Case opened",
        "trafficking status",
        "migration status",
        "Dublin transfer hold placed",
        "reflection period offered",
        SHELTER_ACTION,
        "Action completed",
        "reviewed on",
        "Request sent",
        "Handover requested",
        "Handover declined",
        "Request for information",
        "Status changed",
        "Overdue action reported to its owner organisation",
        "Dublin transfer hold lifted",
        REMINDER,
    ]
    positions = [first(fragment) for fragment in order]
    assert positions == sorted(positions)
    details = " ".join(e["detail"] for e in events)
    assert BASIS in details and REVIEW in details and STATUS_REASON in details
    assert SAFETY_ACTION in " ".join(texts)


def test_the_page_lists_the_events_with_their_time_and_filters_by_kind(
    world: World, story: Story, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    page = _page(client, story.case)
    assert 'data-testid="timeline"' in page and "<time datetime=" in page
    assert BASIS in page and SHELTER_ACTION in page and VICTIM_NAME[1] in page
    only_handovers = _page(client, story.case, "?kind=handover")
    assert 'data-kind="handover"' in only_handovers
    assert 'data-kind="signal"' not in only_handovers and BASIS not in only_handovers
    case_page = client.get(reverse("case_detail", args=[story.case.pk])).content.decode()
    assert reverse("case_timeline", args=[story.case.pk]) in case_page


def test_the_police_analyst_does_not_see_care_details(
    world: World, story: Story, signed_in: SignIn, token_client: TokenClient
) -> None:
    token_client = _english(token_client)
    piet = world.users["police_analyst"]
    page = _page(signed_in(piet), story.case)
    body = token_client(piet).get(_api(story.case)).content.decode()
    for seen in (page, body):
        # What the label and purpose allow: the status, the signals, the justice action.
        assert STATUS_REASON in seen and story.municipality_signal.reference in seen
        assert SAFETY_ACTION in seen and "Dublin transfer hold placed" in seen
        # Not the care details: the victim, her trafficking status's basis, the care action,
        # the review's notes; nor the handover (between the lead and another organisation).
        assert BASIS not in seen and VICTIM_NAME[1] not in seen
        assert SHELTER_ACTION not in seen and REVIEW not in seen
        assert "Cli\\u00ebnte verhuist" not in seen and "Cliënte verhuist" not in seen
        assert "Handover requested" not in seen


def test_a_case_shared_for_a_care_referral_shows_the_police_only_their_own_part(
    world: World, signed_in: SignIn, token_client: TokenClient
) -> None:
    token_client = _english(token_client)
    carla = world.users["care_coordinator"]
    case = open_case(world, [municipality_signal(world)], purpose="care_referral")
    services.change_status(case, "follow_up", reason=STATUS_REASON, actor=carla)
    events = token_client(world.users["police_analyst"]).get(_api(case)).json()
    assert {e["kind"] for e in events} <= {"signal", "decision"}
    assert STATUS_REASON not in str(events)
    # A RED case is not there at all for the police.
    red = open_case(world, [municipality_signal(world)], tlp="RED")
    assert token_client(world.users["police_analyst"]).get(_api(red)).status_code == 404


def test_the_ngo_worker_sees_its_own_contributions_only(
    world: World, story: Story, signed_in: SignIn, token_client: TokenClient
) -> None:
    token_client = _english(token_client)
    noor = world.users["ngo_worker"]
    page = _page(signed_in(noor), story.case)
    events = token_client(noor).get(_api(story.case)).json()
    body = str(events)
    for seen in (page, body):
        assert story.ngo_signal.reference in seen and SHELTER_ACTION in seen
        assert story.municipality_signal.reference not in seen
        assert SAFETY_ACTION not in seen and BASIS not in seen and REVIEW not in seen
        assert STATUS_REASON not in seen and VICTIM_NAME[1] not in seen
    assert not any(e["hidden"] for e in events)
    assert {e["kind"] for e in events}.isdisjoint({"status", "person", "handover"})


def test_it_checks_access(
    world: World, story: Story, signed_in: SignIn, token_client: TokenClient
) -> None:
    token_client = _english(token_client)
    outsider = world.users["outsider"]
    response = signed_in(outsider).get(reverse("case_timeline", args=[story.case.pk]))
    assert response.status_code == 404
    assert token_client(outsider).get(_api(story.case)).status_code == 404
    assert signed_in(outsider).get(reverse("case_timeline", args=[999999])).status_code == 404


def test_an_unknown_kind_is_refused_by_the_api(
    world: World, story: Story, token_client: TokenClient
) -> None:
    token_client = _english(token_client)
    client = token_client(world.users["care_coordinator"])
    assert client.get(_api(story.case) + "?kind=gossip").status_code == 400
    only = client.get(_api(story.case) + "?kind=hold").json()
    assert [e["kind"] for e in only] == ["hold", "hold"]


def test_showing_the_timeline_is_audited_once_with_the_case_purpose(
    world: World, story: Story, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    before = AuditEntry.objects.count()
    _page(client, story.case)
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.order_by("-position").first()
    assert entry is not None and entry.action == "read"
    assert entry.object_ids["cases.case"] == [story.case.pk]
    # The people named: the victim (her statuses) and each person a plan is for.
    named = {_victim(story.case).pk, *Plan.objects.values_list("person_id", flat=True)}
    assert set(entry.object_ids["cases.caseperson"]) == named
    assert story.shelter_action.pk in entry.object_ids["cases.planaction"]
    assert entry.purpose == "victim_protection"


def _queries(user: User, case: Case) -> tuple[int, int]:
    build_timeline(user, case)  # the viewer and the rules are loaded once per request
    with CaptureQueriesContext(connection) as captured:
        events = build_timeline(user, Case.objects.get(pk=case.pk)).events
    return len(captured), len(events)


def test_the_number_of_queries_does_not_grow_with_the_number_of_events(
    world: World, story: Story
) -> None:
    carla = world.users["care_coordinator"]
    before, events_before = _queries(carla, story.case)
    plan = story.plan
    with _at("2026-12-03 09:00"):
        for n in range(5):
            plans.add_objective(plan, "health", f"Zorgdoel {n}.", actor=carla)
            action = plans.add_action(
                plan,
                domain="health",
                description=f"Actie {n}",
                owner_organisation=world.ngo_a,
                actor=carla,
            )
            complete_task(action.task, actor=world.users["ngo_worker"], result="Gedaan.")
            plans.record_review(
                plan, reviewed_on=date(2026, 12, 3), summary="Nog een.", actor=carla
            )
        for status in ("active", "follow_up", "active"):
            services.change_status(story.case, status, reason="Bijgesteld.", actor=carla)
        victim = _victim(story.case)
        persons.record_migration_status(victim, "asylum_seeker", actor=carla)
        persons.record_migration_status(victim, "refugee", actor=carla)
        for n in range(3):  # tasks filed under the case that are no plan actions
            task = create_task(
                world.municipality_a, f"Taak {n}", reference=story.case.reference, created_by=carla
            )
            complete_task(task, actor=carla, result="Gedaan.")
    after, events_after = _queries(carla, story.case)
    assert events_after >= events_before + 26
    assert after == before


def test_the_openapi_document_describes_the_timeline(
    world: World, token_client: TokenClient
) -> None:
    paths = (
        token_client(world.users["care_coordinator"]).get("/api/v1/openapi.json").json()["paths"]
    )
    timeline = paths["/api/v1/cases/{id}/timeline/"]["get"]
    assert {p["name"] for p in timeline["parameters"]} >= {"id", "kind"}


def test_a_signal_the_police_may_not_see_is_a_hit_without_its_reference(
    world: World, token_client: TokenClient
) -> None:
    from schakel.signals.tests.factories import make_signal

    token_client = _english(token_client)
    unshared = make_signal(world.users["care_coordinator"], groups=[])
    case = open_case(world, [municipality_signal(world), unshared])
    events = token_client(world.users["police_analyst"]).get(_api(case)).json()
    hits = [e for e in events if e["hidden"]]
    assert len(hits) == 1 and hits[0]["kind"] == "signal" and hits[0]["url"] == ""
    assert "Gemeente Breda" in hits[0]["detail"]
    assert unshared.reference not in str(events)
    carla = token_client(world.users["care_coordinator"]).get(_api(case)).json()
    assert unshared.reference in str(carla) and not any(e["hidden"] for e in carla)


# --- The case's other tasks, and plan merges ------------------------------------------------


def _liaison_task(case: Case) -> Task:
    task = TransferHold.objects.get(case=case).task
    assert task is not None
    return task


def test_tasks_that_are_no_plan_actions_are_shown_to_the_organisation_that_holds_them(
    world: World, story: Story, signed_in: SignIn, token_client: TokenClient
) -> None:
    token_client = _english(token_client)
    liaison = _liaison_task(story.case)
    reminder = Task.objects.get(title__startswith=REMINDER)
    assert reminder.owner_organisation == world.municipality_a
    assert reminder.reference == story.case.reference  # the task list finds it by the case
    # The liaison desk sees the case once it takes part in the table that it goes to.
    add_group_member(world.table_a, liaison.owner_organisation)
    ivo = User.objects.get(username="ivo")
    carla, piet = world.users["care_coordinator"], world.users["police_analyst"]

    def seen_by(user: User) -> tuple[str, list[dict[str, Any]]]:
        events = token_client(user).get(_api(story.case)).json()
        return _page(signed_in(user), story.case), events

    # The lead organisation: the reminder (with its link), not the liaison's task.
    page, events = seen_by(carla)
    tasks = [e for e in events if e["kind"] == "task" and REMINDER in e["description"]]
    assert len(tasks) == 1 and tasks[0]["url"] == reverse("task_detail", args=[reminder.pk])
    assert tasks[0]["actor"] == "Gemeente Breda" and tasks[0]["at"].startswith("2026-12-02")
    assert REMINDER in page and reverse("task_detail", args=[reminder.pk]) in page
    for seen in (page, str(events)):
        assert liaison.title not in seen
        assert reverse("task_detail", args=[liaison.pk]) not in seen
    # The liaison desk: its task, created with the hold and completed when it was lifted.
    page, events = seen_by(ivo)
    mine = [e["description"] for e in events if liaison.title in e["description"]]
    assert mine == [f"Task: {liaison.title}", f"Task completed: {liaison.title}"]
    assert liaison.title in page and reverse("task_detail", args=[liaison.pk]) in page
    assert REMINDER not in page and REMINDER not in str(events)
    # The police see the case, and neither task.
    page, events = seen_by(piet)
    for seen in (page, str(events)):
        assert STATUS_REASON in seen
        assert REMINDER not in seen and liaison.title not in seen
    # Only the tasks' own kind when filtered, in the page and the API alike.
    only = token_client(carla).get(_api(story.case) + "?kind=task").json()
    assert {e["kind"] for e in only} == {"task"} and REMINDER in str(only)
    assert REMINDER in _page(signed_in(carla), story.case, "?kind=task")


def test_showing_a_task_is_audited_with_the_case_purpose(
    world: World, story: Story, signed_in: SignIn
) -> None:
    _page(signed_in(world.users["care_coordinator"]), story.case)
    entry = AuditEntry.objects.order_by("-position").first()
    assert entry is not None and entry.purpose == "victim_protection"
    reminder = Task.objects.get(title__startswith=REMINDER)
    assert reminder.pk in entry.object_ids["tasks.task"]
    assert _liaison_task(story.case).pk not in entry.object_ids["tasks.task"]


def test_a_cancelled_task_filed_under_the_case_is_shown_as_cancelled(
    world: World, signed_in: SignIn, token_client: TokenClient
) -> None:
    token_client = _english(token_client)
    carla = world.users["care_coordinator"]
    case = open_case(world, [municipality_signal(world), ngo_signal(world)])
    task = create_task(world.ngo_a, "Nazorg bellen", reference=case.reference, created_by=carla)
    cancel_task(task, actor=None, reason="Niet meer nodig.")
    texts = [
        e["description"] for e in token_client(world.users["ngo_worker"]).get(_api(case)).json()
    ]
    assert "Task: Nazorg bellen" in texts and "Task cancelled: Nazorg bellen" in texts
    assert "Nazorg bellen" not in str(token_client(carla).get(_api(case)).json())


def _group_people(*plans_: Plan) -> None:
    """Linkage puts these plans' people together (and announces it on commit)."""
    mentions = Mention.objects.filter(
        entity_id__in=[p.entity_id for p in plans_], schema="Person"
    ).values_list("pk", flat=True)
    with TestCase.captureOnCommitCallbacks(execute=True):
        write_groups("Person", [sorted(mentions)])


def test_a_proposed_plan_merge_is_on_the_timeline_of_those_who_see_the_plans(
    world: World, signed_in: SignIn, token_client: TokenClient
) -> None:
    token_client = _english(token_client)
    carla = world.users["care_coordinator"]
    case, ioana = case_with_plan(world)
    dana = plan_of(case, NGO_VICTIM[1])
    _group_people(ioana, dana)
    merge = PlanMerge.objects.get()
    assert merge.status == PlanMerge.Status.OPEN
    events = token_client(carla).get(_api(case)).json()
    proposed = [e for e in events if e["kind"] == "merge_split"]
    assert len(proposed) == 1 and proposed[0]["url"] == reverse("plan_merge", args=[merge.pk])
    assert ioana.reference in proposed[0]["description"]
    assert dana.reference in proposed[0]["description"]
    # The question it puts to the case lead is a task of the case, for the lead organisation.
    question = merge.tasks.get()
    assert f"Task: {question.title}" in [e["description"] for e in events]
    page = _page(signed_in(carla), case, "?kind=merge_split")
    assert 'data-kind="merge_split"' in page and reverse("plan_merge", args=[merge.pk]) in page
    assert question.title not in page
    dutch = signed_in(carla).get(
        reverse("case_timeline", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="nl"
    )
    assert "Samenvoegen en splitsen van plannen" in dutch.content.decode()
    assert "Voorstel om de plannen van één persoon samen te voegen" in dutch.content.decode()
    # The police see the plans' general details, so the proposal, but not the lead's task.
    police = token_client(world.users["police_analyst"]).get(_api(case)).json()
    assert any(e["kind"] == "merge_split" for e in police)
    assert question.title not in str(police)
    # The outsider sees neither the page nor the events.
    outsider = world.users["outsider"]
    assert signed_in(outsider).get(reverse("case_timeline", args=[case.pk])).status_code == 404
    assert token_client(outsider).get(_api(case)).status_code == 404


def test_a_declined_plan_merge_shows_the_answer_and_its_reason(
    world: World, token_client: TokenClient
) -> None:
    from schakel.cases import following

    token_client = _english(token_client)
    carla = world.users["care_coordinator"]
    case, ioana = case_with_plan(world)
    _group_people(ioana, plan_of(case, NGO_VICTIM[1]))
    merge = PlanMerge.objects.get()
    following.answer_merge(merge, case=case, agrees=False, actor=carla, reason="Twee personen.")
    events = token_client(carla).get(_api(case) + "?kind=merge_split").json()
    texts = [e["description"] for e in events]
    assert texts[1:] == [
        f"Case {case.reference} declines to merge the plans",
        "Plan merge declined: the plans stay apart",
    ]
    assert events[1]["detail"] == "Twee personen." and events[1]["actor"]


def test_a_cancelled_action_says_why_to_those_who_see_the_action(
    world: World, token_client: TokenClient
) -> None:
    token_client = _english(token_client)
    carla, piet = world.users["care_coordinator"], world.users["police_analyst"]
    case, plan = case_with_plan(world)
    shelter_action, safety_action = _care_and_justice_actions(world, plan)
    cancel_task(shelter_action.task, actor=None, reason="Zij woont al bij haar zus.")
    cancel_task(safety_action.task, actor=None, reason="De dreiging is weg.")

    def cancelled(user: User) -> tuple[dict[str, str], str]:
        response = token_client(user).get(_api(case))
        events = response.json()
        return (
            {e["description"]: e["detail"] for e in events if "cancelled" in e["description"]},
            response.content.decode(),
        )

    # The lead sees both actions, so both reasons.
    seen, _body = cancelled(carla)
    assert seen == {
        "Action cancelled (Shelter)": "Zij woont al bij haar zus.",
        "Action cancelled (Safety)": "De dreiging is weg.",
    }
    # The police see that the care action was cancelled, not why (nor what it was).
    seen, body = cancelled(piet)
    assert seen == {
        "Action cancelled (Shelter)": "",
        "Action cancelled (Safety)": "De dreiging is weg.",
    }
    assert "zus" not in body and SHELTER_ACTION not in body


def test_a_cancelled_task_filed_under_the_case_says_why_to_its_organisation(
    world: World, token_client: TokenClient
) -> None:
    token_client = _english(token_client)
    carla = world.users["care_coordinator"]
    case = open_case(world, [municipality_signal(world), ngo_signal(world)])
    task = create_task(world.ngo_a, "Nazorg bellen", reference=case.reference, created_by=carla)
    cancel_task(task, actor=None, reason="Eerst verkeerd.")
    reopen_task(task, actor=None, reason="Toch nodig.")
    cancel_task(task, actor=None, reason="Zij is verhuisd.")
    events = token_client(world.users["ngo_worker"]).get(_api(case)).json()
    # The reason of the cancellation that stands: the latest.
    assert [e["detail"] for e in events if e["description"] == "Task cancelled: Nazorg bellen"] == [
        "Zij is verhuisd."
    ]


def test_the_actions_of_the_decision_that_opened_the_case_are_on_its_timeline(
    world: World, token_client: TokenClient
) -> None:
    token_client = _english(token_client)
    carla = world.users["care_coordinator"]
    signals = [municipality_signal(world), ngo_signal(world)]
    meeting = meeting_of_table_a(world)
    with TestCase.captureOnCommitCallbacks(execute=True):
        decision = table.record_decision(
            meeting,
            [s.pk for s in signals],
            outcome="open_case",
            rationale="Meerdere partners zien dezelfde uitbuitingssituatie.",
            actions=[
                table.ActionInput(world.police_a, "Adres natrekken", due_date=date(2026, 12, 10)),
                table.ActionInput(world.ngo_a, "Contact leggen met de cliënte"),
            ],
            actor=carla,
        )
    case = Case.objects.get(source_decision=decision)
    with TestCase.captureOnCommitCallbacks(execute=True):
        table.correct_decision(
            decision,
            outcome="open_case",
            rationale="Ook een zorgoverleg.",
            reason="Een actie vergeten.",
            actions=[table.ActionInput(world.municipality_a, "Zorgoverleg plannen")],
            actor=carla,
        )
    assert Case.objects.count() == 1

    def tasks(user: User) -> list[str]:
        events = token_client(user).get(_api(case)).json()
        return [e["description"] for e in events if e["kind"] == "task"]

    # Each organisation sees the actions the table gave it, the correction's included.
    assert "Task: Adres natrekken" in tasks(world.users["police_analyst"])
    assert "Task: Contact leggen met de cliënte" in tasks(world.users["ngo_worker"])
    assert "Task: Zorgoverleg plannen" in tasks(carla)
    for user, others in (
        (world.users["police_analyst"], ("Contact leggen", "Zorgoverleg")),
        (world.users["ngo_worker"], ("Adres natrekken", "Zorgoverleg")),
        (carla, ("Adres natrekken", "Contact leggen")),
    ):
        assert not [t for t in tasks(user) if any(o in t for o in others)]


def test_reminders_made_before_they_were_filed_under_their_case_are_filed_by_the_migration(
    world: World, story: Story
) -> None:
    from importlib import import_module

    from django.apps import apps

    reminder = Task.objects.get(title__startswith=REMINDER)
    Task.objects.filter(pk=reminder.pk).update(reference="")
    other = create_task(world.ngo_a, "Los van een zaak", created_by=world.users["ngo_worker"])
    migration = import_module("schakel.cases.migrations.0007_reminders_filed_under_their_case")
    migration.file_reminders(apps, None)
    reminder.refresh_from_db()
    other.refresh_from_db()
    assert reminder.reference == story.case.reference and other.reference == ""
    assert Task.objects.filter(reference=story.case.reference, pk=reminder.pk).exists()
