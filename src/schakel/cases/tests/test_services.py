"""Opening cases, their people and signals, their status and the retention hold."""

from __future__ import annotations

import pytest

from schakel.appendonly import AppendOnlyError
from schakel.audit.models import AuditEntry
from schakel.cases import services
from schakel.cases.models import Case, CaseStatusChange
from schakel.cases.tests.helpers import municipality_signal, ngo_signal, open_case
from schakel.cases.vocabulary import HTCDS_CASE_STATUS, CaseStatus, strictest_tlp
from schakel.entities.clustering import write_groups
from schakel.entities.models import Mention
from schakel.errors import InvalidFields, InvalidInput, NotAllowed
from schakel.signals.models import RetentionHold
from schakel.signals.tests.factories import SUSPECT_NAME, VICTIM_NAME
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db


def _active_holds(case: Case) -> set[int]:
    return set(
        RetentionHold.objects.filter(held_by=case.hold_name, released_at__isnull=True).values_list(
            "signal_id", flat=True
        )
    )


def test_a_coordinator_opens_a_case_with_the_people_its_signals_mention(world: World) -> None:
    signal = municipality_signal(world)
    case = open_case(world, [signal])
    assert case.status == CaseStatus.ACTIVE and case.is_open
    assert case.lead_organisation == world.municipality_a
    assert [link.reference for link in case.signal_links.all()] == [signal.reference]
    people = {(str(p.entity), p.role) for p in case.people.select_related("entity")}
    assert people == {
        (" ".join(VICTIM_NAME), "possible_victim"),
        (" ".join(SUSPECT_NAME), "suspect"),
    }
    assert list(case.status_changes.values_list("status", flat=True)) == ["active"]
    entry = AuditEntry.objects.filter(action="open", object_type="cases.case").get()
    assert entry.object_ids == [case.pk] and entry.purpose == "victim_protection"


def test_an_open_case_holds_its_signals_and_closing_releases_them(world: World) -> None:
    a, b = municipality_signal(world), ngo_signal(world)
    case = open_case(world, [a, b])
    assert _active_holds(case) == {a.pk, b.pk}
    carla = world.users["care_coordinator"]
    case = services.change_status(case, CaseStatus.FOLLOW_UP, actor=carla)
    assert _active_holds(case) == {a.pk, b.pk}
    case = services.change_status(case, CaseStatus.CLOSED, reason="Hulp afgerond.", actor=carla)
    assert _active_holds(case) == set()
    assert RetentionHold.objects.filter(held_by=case.hold_name).count() == 2  # history stays
    case = services.change_status(case, CaseStatus.ACTIVE, reason="Opnieuw gemeld.", actor=carla)
    assert _active_holds(case) == {a.pk, b.pk}


def test_closing_needs_a_reason_and_a_referral_names_the_partner(world: World) -> None:
    case = open_case(world, [municipality_signal(world)])
    carla = world.users["care_coordinator"]
    with pytest.raises(InvalidFields) as problems:
        services.change_status(case, CaseStatus.CLOSED_REFERRED, actor=carla)
    assert set(problems.value.problems) == {"reason", "referred_to"}
    case = services.change_status(
        case,
        CaseStatus.CLOSED_REFERRED,
        reason="Opvang elders.",
        referred_to=world.ngo_a,
        actor=carla,
    )
    change = case.status_changes.order_by("-pk").first()
    assert change is not None and change.referred_to == world.ngo_a
    assert HTCDS_CASE_STATUS[CaseStatus(case.status)] == "ClosedReferred"


def test_status_history_is_append_only(world: World) -> None:
    case = open_case(world, [municipality_signal(world)])
    change = CaseStatusChange.objects.get(case=case)
    change.reason = "changed"
    with pytest.raises(AppendOnlyError):
        change.save()
    with pytest.raises(AppendOnlyError):
        change.delete()


@pytest.mark.parametrize("persona", ["police_analyst", "ngo_worker", "front_desk", "outsider"])
def test_only_coordinators_of_the_lead_organisation_open_a_case(world: World, persona: str) -> None:
    signal = municipality_signal(world)
    with pytest.raises(NotAllowed):
        open_case(world, [signal], by=persona)
    assert not Case.objects.exists()


def test_a_case_is_never_tlp_clear_and_goes_only_to_its_leads_groups(world: World) -> None:
    signal = municipality_signal(world)
    with pytest.raises(InvalidFields) as problems:
        open_case(world, [signal], tlp="CLEAR", groups=[world.table_b])
    assert set(problems.value.problems) == {"tlp", "sharing_groups"}


def test_a_case_is_opened_only_from_signals_seen_in_full(world: World) -> None:
    # The NGO's TLP:RED signal names only its own organisation: the municipality may not see it.
    hidden = ngo_signal(world, tlp="RED", sharing_group_ids=[], recipient_ids=[world.ngo_a.pk])
    with pytest.raises(InvalidInput):
        open_case(world, [hidden])


def test_people_follow_linkage_one_entity_for_the_same_person(world: World) -> None:
    a = municipality_signal(world)
    b = ngo_signal(world)
    services.people_of([a, b])  # resolves the mentions
    victim_a = Mention.objects.get(signal=a, role="possible_victim")
    victim_b = Mention.objects.get(signal=b, role="possible_victim")
    write_groups("Person", [[victim_a.pk, victim_b.pk]])
    people = services.people_of([a, b])
    assert len([p for p in people if p[1] == "possible_victim"]) == 1
    case = open_case(world, [a, b])
    assert case.people.filter(role="possible_victim").count() == 1
    assert case.people.count() == 2  # one victim, one suspect


def test_the_strictest_label_wins_and_is_at_least_amber() -> None:
    assert strictest_tlp(["GREEN", "CLEAR"]) == "AMBER"
    assert strictest_tlp(["GREEN", "AMBER+STRICT", "AMBER"]) == "AMBER+STRICT"
    assert strictest_tlp(["RED"]) == "RED"
