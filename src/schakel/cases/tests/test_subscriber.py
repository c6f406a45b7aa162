"""The table's decision to open a case opens one — once, whatever the event does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from schakel.cases.models import Case
from schakel.cases.subscribers import open_missing_cases
from schakel.cases.tests.helpers import decide, meeting_of_table_a, municipality_signal, ngo_signal
from schakel.signals.models import RetentionHold
from schakel.signaltable import services as table
from schakel.signaltable.models import Decision
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db
Capture = Callable[..., Any]


def test_a_decision_to_open_a_case_opens_one_with_the_bundle(
    world: World, django_capture_on_commit_callbacks: Capture
) -> None:
    a, b = municipality_signal(world), ngo_signal(world, tlp="GREEN")
    meeting = meeting_of_table_a(world)
    with django_capture_on_commit_callbacks(execute=True):
        decision = decide(world, meeting, [a, b])
    case = Case.objects.get()
    assert case.source_decision == decision
    assert case.lead_organisation == world.table_a.chair_organisation
    assert case.region == world.region_a
    assert case.care_coordinator == world.users["care_coordinator"]
    assert case.tlp == "AMBER" and case.purpose == "victim_protection"
    assert list(case.sharing_groups.all()) == [world.table_a]
    assert {link.signal_id for link in case.signal_links.all()} == {a.pk, b.pk}
    assert case.people.filter(role="possible_victim").count() == 2
    assert case.people.filter(role="suspect").count() == 1
    held = RetentionHold.objects.filter(held_by=case.hold_name, released_at__isnull=True)
    assert set(held.values_list("signal_id", flat=True)) == {a.pk, b.pk}


def test_a_re_sent_event_opens_no_second_case(
    world: World, django_capture_on_commit_callbacks: Capture
) -> None:
    meeting = meeting_of_table_a(world)
    with django_capture_on_commit_callbacks(execute=True):
        decision = decide(world, meeting, [municipality_signal(world)])
    table.table_decision_recorded.send(sender=Decision, decision=decision)
    table.table_decision_recorded.send(sender=Decision, decision=decision)
    assert Case.objects.count() == 1


def test_a_correction_opens_no_second_case(
    world: World, django_capture_on_commit_callbacks: Capture
) -> None:
    meeting = meeting_of_table_a(world)
    with django_capture_on_commit_callbacks(execute=True):
        decision = decide(world, meeting, [municipality_signal(world)])
    with django_capture_on_commit_callbacks(execute=True):
        correction = table.correct_decision(
            decision,
            outcome="open_case",
            rationale="Ook de zus is in beeld.",
            reason="Aanvulling",
            actor=world.users["care_coordinator"],
        )
    assert correction.supersedes == decision
    assert Case.objects.count() == 1
    assert Case.objects.get().source_decision == decision


def test_a_correction_to_open_a_case_opens_it_once(
    world: World, django_capture_on_commit_callbacks: Capture
) -> None:
    meeting = meeting_of_table_a(world)
    with django_capture_on_commit_callbacks(execute=True):
        decision = decide(world, meeting, [municipality_signal(world)], outcome="monitor")
    assert not Case.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        first = table.correct_decision(
            decision,
            outcome="open_case",
            rationale="Toch een zaak.",
            reason="Nieuwe informatie",
            actor=world.users["care_coordinator"],
        )
    with django_capture_on_commit_callbacks(execute=True):
        table.correct_decision(
            first,
            outcome="open_case",
            rationale="Toch een zaak, met regie bij de gemeente.",
            reason="Verduidelijking",
            actor=world.users["care_coordinator"],
        )
    assert Case.objects.count() == 1
    assert Case.objects.get().source_decision == decision


def test_other_outcomes_open_no_case(
    world: World, django_capture_on_commit_callbacks: Capture
) -> None:
    meeting = meeting_of_table_a(world)
    with django_capture_on_commit_callbacks(execute=True):
        decide(world, meeting, [municipality_signal(world)], outcome="monitor")
    assert not Case.objects.exists()


def test_the_sweep_opens_what_a_lost_event_missed_and_only_once(world: World) -> None:
    meeting = meeting_of_table_a(world)
    # Without running the commit callbacks: as if the event was lost.
    decide(world, meeting, [municipality_signal(world)])
    assert not Case.objects.exists()
    assert open_missing_cases().startswith("1 cases opened")
    assert open_missing_cases().startswith("0 cases opened")
    assert Case.objects.count() == 1


def test_a_published_contact_without_the_care_coordinator_role_is_not_made_one(
    world: World, django_capture_on_commit_callbacks: Capture
) -> None:
    """The region's care-coordination contact points at the organisation's administrator:
    the case goes to the organisation's care coordinator instead (the contact's user would
    see every case whatever its label)."""
    from schakel.partners.models import RegionContact
    from schakel.partners.vocabulary import ContactKind

    RegionContact.objects.filter(region=world.region_a, kind=ContactKind.CARE_COORDINATOR).update(
        user=world.users["org_admin"]
    )
    meeting = meeting_of_table_a(world)
    with django_capture_on_commit_callbacks(execute=True):
        decide(world, meeting, [municipality_signal(world)])
    assert Case.objects.get().care_coordinator == world.users["care_coordinator"]
