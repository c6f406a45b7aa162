"""Case pages per persona: what each sees, what the case team records, the outsider's 404."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from schakel.audit.models import AuditEntry
from schakel.cases import persons, plans
from schakel.cases.models import Case, CasePerson
from schakel.cases.tests.helpers import (
    NGO_VICTIM,
    SignIn,
    municipality_signal,
    ngo_signal,
    open_case,
)
from schakel.signals.models import Signal
from schakel.signals.tests.factories import SUSPECT_NAME, VICTIM_NAME
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db

VICTIM = VICTIM_NAME[1]
SUSPECT = SUSPECT_NAME[1]


@pytest.fixture
def signals(world: World) -> tuple[Signal, Signal]:
    return municipality_signal(world), ngo_signal(world)


@pytest.fixture
def case(world: World, signals: tuple[Signal, Signal]) -> Case:
    return open_case(world, list(signals))


def _victim(case: Case) -> CasePerson:
    return case.people.select_related("entity").filter(entity__caption__contains=VICTIM).get()


def _get(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.status_code
    return response.content.decode()


def _detail(case: Case) -> str:
    return reverse("case_detail", args=[case.pk])


def test_the_care_coordinator_sees_everyone_and_every_signal(
    world: World, case: Case, signals: tuple[Signal, Signal], signed_in: SignIn
) -> None:
    page = _get(signed_in(world.users["care_coordinator"]), _detail(case))
    assert VICTIM in page and SUSPECT in page and NGO_VICTIM[1] in page
    assert all(s.reference in page for s in signals)
    assert 'data-testid="hits"' not in page
    assert reverse("case_status", args=[case.pk]) in page
    assert reverse("case_person_trafficking", args=[case.pk, _victim(case).pk]) in page


def test_the_police_see_the_suspect_and_a_hit_for_the_victims(
    world: World, case: Case, signed_in: SignIn
) -> None:
    page = _get(signed_in(world.users["police_analyst"]), _detail(case))
    assert SUSPECT in page
    assert VICTIM not in page and NGO_VICTIM[1] not in page
    assert 'data-testid="hits"' in page and world.municipality_a.name in page
    assert reverse("case_status", args=[case.pk]) not in page
    # A suspect has a migration status, but no trafficking status or reflection period.
    assert 'data-testid="migration-status"' in page
    assert 'data-testid="trafficking-status"' not in page and 'data-testid="reflection"' not in page


def test_the_police_see_only_that_a_case_for_a_care_referral_exists(
    world: World, signals: tuple[Signal, Signal], signed_in: SignIn
) -> None:
    case = open_case(world, [signals[0]], purpose="care_referral")
    page = _get(signed_in(world.users["police_analyst"]), _detail(case))
    assert SUSPECT not in page and VICTIM not in page
    assert 'data-testid="care-coordinator"' not in page
    assert case.reference in page


def test_the_police_get_404_for_a_red_case(
    world: World, signals: tuple[Signal, Signal], signed_in: SignIn
) -> None:
    case = open_case(world, [signals[0]], tlp="RED")
    _get(signed_in(world.users["police_analyst"]), _detail(case), 404)


def test_the_ngo_sees_its_own_contribution_and_no_one_in_it(
    world: World, case: Case, signals: tuple[Signal, Signal], signed_in: SignIn
) -> None:
    own, _from_ngo = signals[1], signals[0]
    page = _get(signed_in(world.users["ngo_worker"]), _detail(case))
    assert own.reference in page
    assert signals[0].reference not in page  # the municipality's AMBER signal is not theirs
    assert VICTIM not in page and SUSPECT not in page and NGO_VICTIM[1] not in page


def test_the_ngo_gets_404_for_a_case_it_did_not_contribute_to(
    world: World, signals: tuple[Signal, Signal], signed_in: SignIn
) -> None:
    case = open_case(world, [signals[0]])
    _get(signed_in(world.users["ngo_worker"]), _detail(case), 404)


@pytest.mark.parametrize("persona", ["outsider", "front_desk", "national_coordinator"])
def test_it_checks_access(world: World, case: Case, signed_in: SignIn, persona: str) -> None:
    client = signed_in(world.users[persona])
    victim = _victim(case)
    for url in (
        _detail(case),
        reverse("case_status", args=[case.pk]),
        reverse("case_person_trafficking", args=[case.pk, victim.pk]),
        reverse("case_person_migration", args=[case.pk, victim.pk]),
        reverse("case_person_reflection", args=[case.pk, victim.pk]),
    ):
        _get(client, url, 404)
    assert case.reference not in _get(client, reverse("case_list"))


def test_the_police_may_not_record_and_may_not_reach_a_hidden_person(
    world: World, case: Case, signed_in: SignIn
) -> None:
    client = signed_in(world.users["police_analyst"])
    _get(client, reverse("case_status", args=[case.pk]), 403)
    _get(client, reverse("case_person_migration", args=[case.pk, _victim(case).pk]), 403)


def test_the_list_shows_the_cases_each_persona_may_see(
    world: World, case: Case, signals: tuple[Signal, Signal], signed_in: SignIn
) -> None:
    red = open_case(world, [signals[0]], tlp="RED")
    closed = open_case(world, [signals[0]])
    closed.status = "closed"
    closed.save(update_fields=["status"])
    carla_list = _get(signed_in(world.users["care_coordinator"]), reverse("case_list"))
    assert case.reference in carla_list and red.reference in carla_list
    assert closed.reference not in carla_list  # open cases by default
    everything = _get(
        signed_in(world.users["care_coordinator"]), reverse("case_list") + "?status=all"
    )
    assert closed.reference in everything
    police_list = _get(signed_in(world.users["police_analyst"]), reverse("case_list"))
    assert case.reference in police_list and red.reference not in police_list
    ngo_list = _get(signed_in(world.users["ngo_worker"]), reverse("case_list"))
    assert case.reference in ngo_list and red.reference not in ngo_list
    assert 'data-testid="open-case"' in carla_list and 'data-testid="open-case"' not in ngo_list


def test_showing_a_case_is_audited_once_with_its_purpose(
    world: World, case: Case, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    before = AuditEntry.objects.count()
    _get(client, _detail(case))
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.order_by("-position").first()
    assert entry is not None and entry.action == "read"
    assert entry.object_ids["cases.case"] == [case.pk]
    assert set(entry.object_ids["cases.caseperson"]) == set(
        case.people.values_list("pk", flat=True)
    )
    assert entry.purpose == "victim_protection"


def test_a_coordinator_opens_a_case_from_the_form(
    world: World, signals: tuple[Signal, Signal], signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    page = _get(client, reverse("case_open"))
    assert 'name="signals"' in page
    response = client.post(
        reverse("case_open"),
        {
            "signals": f"{signals[0].reference}, {signals[1].reference}",
            "region": world.region_a.pk,
            "care_coordinator": world.users["care_coordinator"].pk,
            "tlp": "AMBER",
            "purpose": "victim_protection",
            "legal_basis": "wmo_art_5_2_1",
            "sharing_groups": [world.table_a.pk],
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == _detail(case)
    assert case.signal_links.count() == 2 and case.legal_basis == "wmo_art_5_2_1"


def test_the_open_form_names_unknown_signals_and_refuses_non_coordinators(
    world: World, signals: tuple[Signal, Signal], signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    hidden = ngo_signal(world, tlp="RED", sharing_group_ids=[], recipient_ids=[world.ngo_a.pk])
    response = client.post(
        reverse("case_open"),
        {
            "signals": f"{hidden.reference} S-NOPE",
            "region": world.region_a.pk,
            "tlp": "AMBER",
            "purpose": "victim_protection",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert hidden.reference in page and "S-NOPE" in page
    assert not Case.objects.exists()
    _get(signed_in(world.users["police_analyst"]), reverse("case_open"), 403)
    _get(signed_in(world.users["ngo_worker"]), reverse("case_open"), 403)


def test_the_case_team_records_statuses_and_an_offer_from_the_forms(
    world: World, case: Case, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    victim = _victim(case)
    page = _get(client, reverse("case_person_trafficking", args=[case.pk, victim.pk]))
    assert VICTIM in page
    response = client.post(
        reverse("case_person_trafficking", args=[case.pk, victim.pk]),
        {
            "status": "possible_victim",
            "deciding_organisation": world.police_a.pk,
            "deciding_organisation_type": "",
            "decided_on": "2026-11-27",
            "basis": "Aanwijzingen uit drie signalen.",
        },
    )
    assert response.status_code == 302
    response = client.post(
        reverse("case_person_migration", args=[case.pk, victim.pk]),
        {"status": "dublin_claimant", "since": "2026-10-01", "note": ""},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("case_person_reflection", args=[case.pk, victim.pk]),
        {"offered_on": "2026-11-28", "offered_by": world.police_a.pk, "note": ""},
    )
    assert response.status_code == 302
    page = _get(client, _detail(case))
    assert "Possible victim" in page or "Mogelijk slachtoffer" in page
    assert 'data-testid="days-left"' in page
    offer = victim.reflection_offers.get()
    assert offer.ends_on == date(2027, 2, 28)
    # A bad form shows its problems and records nothing.
    response = client.post(
        reverse("case_person_trafficking", args=[case.pk, victim.pk]),
        {"status": "possible_victim", "deciding_organisation": world.police_a.pk, "basis": ""},
    )
    assert response.status_code == 200
    assert victim.trafficking_statuses.count() == 1


def test_closing_from_the_status_form_releases_the_signals(
    world: World, case: Case, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    response = client.post(
        reverse("case_status", args=[case.pk]),
        {"status": "closed", "reason": "Hulp afgerond.", "referred_to": ""},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "closed"
    assert not case.signal_links.filter(
        signal__retention_holds__released_at__isnull=True,
        signal__retention_holds__held_by=case.hold_name,
    ).exists()


def test_the_status_form_says_in_dutch_why_a_case_under_a_hold_stays_open(
    world: World, case: Case, signed_in: SignIn
) -> None:
    victim = case.people.get(entity__caption__contains=VICTIM_NAME[1])
    persons.record_migration_status(
        victim, "dublin_claimant", actor=world.users["care_coordinator"]
    )
    persons.record_trafficking_status(
        victim,
        "possible_victim",
        deciding_organisation=world.municipality_a,
        decided_on=date(2026, 11, 25),
        basis="Gesprek",
        actor=world.users["care_coordinator"],
    )
    client = signed_in(world.users["care_coordinator"])
    form = client.get(reverse("case_status", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="nl")
    notice = form.content.decode()
    assert 'data-testid="status-transfer-hold"' in notice
    assert "kan niet worden gesloten zolang de blokkade geldt" in notice
    response = client.post(
        reverse("case_status", args=[case.pk]),
        {"status": "closed", "reason": "Hulp afgerond.", "referred_to": ""},
        HTTP_ACCEPT_LANGUAGE="nl",
    )
    assert response.status_code == 200
    assert "In deze casus geldt een Dublinoverdrachtsblokkade" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "active"


def test_the_navigation_links_to_cases(world: World, signed_in: SignIn) -> None:
    page = _get(signed_in(world.users["police_analyst"]), reverse("home"))
    assert f'href="{reverse("case_list")}"' in page


def test_the_page_lists_the_most_recent_signals_and_all_on_request(
    world: World,
    case: Case,
    signals: tuple[Signal, Signal],
    signed_in: SignIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from schakel.cases import views

    monkeypatch.setattr(views, "CASE_PAGE_SIGNALS", 1)
    older, newer = sorted(signals, key=lambda s: (s.received_at, s.pk))
    client = signed_in(world.users["care_coordinator"])
    page = _get(client, _detail(case))
    assert newer.reference in page and older.reference not in page
    assert 'data-testid="signals-more"' in page and "?signals=all" in page
    page = _get(client, _detail(case) + "?signals=all")
    assert newer.reference in page and older.reference in page
    assert 'data-testid="signals-more"' not in page
    # The NGO sees one of the two: nothing more to show it, one signal counted as a hit.
    page = _get(signed_in(world.users["ngo_worker"]), _detail(case))
    assert signals[1].reference in page and 'data-testid="signals-more"' not in page


def _case_page_queries(client: Client, case: Case) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("case_detail", args=[case.pk])
    client.get(url)  # the viewer and the rules are loaded once per process
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _case_of_size(world: World, signals: int, actions: int) -> Case:
    """A case about the municipality's signal, ``signals - 1`` more naming no one (the people
    and plans stay the same) and ``actions`` actions on the victim's plan."""
    extra = [
        municipality_signal(world, persons=[], companies=[], addresses=[], ibans=[])
        for _ in range(signals - 1)
    ]
    case = open_case(world, [municipality_signal(world), *extra])
    plan = case.plans.get()
    for i in range(actions):
        plans.add_action(
            plan,
            domain=("shelter", "health", "legal_aid")[i % 3],
            description=f"Actie {i}",
            owner_organisation=(world.municipality_a, world.police_a, world.ngo_a)[i % 3],
            actor=world.users["care_coordinator"],
        )
    return case


def test_the_number_of_queries_of_the_case_page_does_not_grow_with_signals_and_actions(
    world: World, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    few, many = _case_of_size(world, 2, 2), _case_of_size(world, 7, 9)
    page = client.get(reverse("case_detail", args=[many.pk])).content.decode()
    assert all(link.signal.reference in page for link in many.signal_links.all())
    assert many.plans.get().reference in page
    assert _case_page_queries(client, many) == _case_page_queries(client, few)
