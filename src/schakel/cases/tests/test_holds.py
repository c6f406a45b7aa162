"""The Dublin transfer hold: each route into it (a Dublin claimant recorded as a possible or
actual victim, in either order; a Dublin claimant in an open signal with indicators) and out
of it (the joint decision of the case lead and the liaison organisation; the conditions
ending), the task for the immigration liaison, and who sees and decides it — persona tests
for the page and the endpoints."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from schakel.audit.models import AuditEntry
from schakel.cases import holds, persons, services
from schakel.cases.models import Case, CasePerson, TransferHold
from schakel.cases.tests.helpers import (
    SignIn,
    TokenClient,
    absorbed_by_linkage,
    municipality_signal,
    open_case,
)
from schakel.errors import Conflict, InvalidFields, NotAllowed
from schakel.jobs.services import PERIODIC_JOBS
from schakel.partners.models import Organisation, OrganisationFunction, User
from schakel.partners.services import create_user
from schakel.partners.vocabulary import Function, Role, Sector
from schakel.signals.models import Signal
from schakel.signals.tests.factories import VICTIM_NAME
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def liaison(world: World) -> User:
    """Ivo, of the immigration service's liaison desk in region A."""
    org = Organisation.objects.create(
        name="IND Liaison Zuid", sector=Sector.IMMIGRATION_SERVICE, region=world.region_a
    )
    OrganisationFunction.objects.create(organisation=org, function=Function.IMMIGRATION_LIAISON)
    return create_user(org, "ivo", roles=[Role.PROFESSIONAL], email="ivo@example.test")


def _victim(case: Case) -> CasePerson:
    return case.people.get(entity__caption__contains=VICTIM_NAME[1])


def _case(world: World, *, indicators: bool) -> tuple[Case, CasePerson]:
    signal = (
        municipality_signal(world) if indicators else municipality_signal(world, indicator_ids=[])
    )
    case = open_case(world, [signal])
    return case, _victim(case)


def _dublin(world: World, person: CasePerson, status: str = "dublin_claimant") -> None:
    persons.record_migration_status(person, status, actor=world.users["care_coordinator"])


def _trafficking(world: World, person: CasePerson, status: str = "possible_victim") -> None:
    persons.record_trafficking_status(
        person,
        status,
        deciding_organisation=world.municipality_a,
        decided_on=date(2026, 11, 25),
        basis="Gesprek met cliënt",
        actor=world.users["care_coordinator"],
    )


def _held(world: World) -> tuple[Case, CasePerson, TransferHold]:
    """A Dublin claimant in an open signal with indicators: under a hold."""
    case, person = _case(world, indicators=True)
    _dublin(world, person)
    hold = holds.active_hold(person)
    assert hold is not None and hold.reasons == ["open_signal"]
    return case, person, hold


def _agree_both(world: World, hold: TransferHold, liaison: User) -> None:
    holds.agree_to_lift(
        hold, rationale="Beoordeling afgerond.", actor=world.users["care_coordinator"]
    )
    holds.agree_to_lift(hold, rationale="IND is akkoord.", actor=liaison)


# --- Into the hold ----------------------------------------------------------------------------


def test_a_dublin_claimant_recorded_as_a_possible_victim_comes_under_a_hold(
    world: World, liaison: User
) -> None:
    case, person = _case(world, indicators=False)
    _dublin(world, person)
    assert holds.active_hold(person) is None  # a Dublin claimant alone: no hold
    _trafficking(world, person)
    hold = holds.active_hold(person)
    assert hold is not None and hold.reasons == ["trafficking_status"]
    assert hold.liaison_organisation == liaison.organisation
    task = hold.task
    assert task is not None and task.owner_organisation == liaison.organisation
    assert task.reference == case.reference and task.priority == "urgent"
    assert VICTIM_NAME[1] not in task.title + task.description
    assert AuditEntry.objects.filter(object_type="cases.transferhold", action="place").exists()
    _trafficking(world, person, "actual_victim")  # evaluated again: still the one hold
    assert TransferHold.objects.filter(person=person).count() == 1


def test_a_victim_recorded_later_as_a_dublin_claimant_comes_under_a_hold(
    world: World, liaison: User
) -> None:
    _unused, person = _case(world, indicators=False)
    _trafficking(world, person, "actual_victim")
    assert holds.active_hold(person) is None
    _dublin(world, person)
    hold = holds.active_hold(person)
    assert hold is not None and hold.reasons == ["trafficking_status"]


def test_a_dublin_claimant_in_an_open_signal_with_indicators_comes_under_a_hold(
    world: World, liaison: User
) -> None:
    _unused, person = _case(world, indicators=True)
    _dublin(world, person)
    hold = holds.active_hold(person)
    assert hold is not None and hold.reasons == ["open_signal"]


def test_a_dublin_claimant_named_in_a_later_signal_with_indicators_comes_under_a_hold(
    world: World, liaison: User
) -> None:
    """No status is recorded after the new signal: the periodic job alone finds it."""
    case, person = _case(world, indicators=False)
    _dublin(world, person)
    assert holds.active_hold(person) is None  # her only signal carries no indicators
    assert not person.trafficking_statuses.exists()
    statuses = person.migration_statuses.count()

    # Later signals of the NGO name her, with indicators; linkage joins them to her.
    now_hers = absorbed_by_linkage(world, person, VICTIM_NAME)
    later = Signal.objects.filter(entity_mentions__mention__entity=now_hers).exclude(
        case_links__case=case
    )
    assert later.exists() and all(s.indicator_set.exists() for s in later.distinct())
    assert holds.active_hold(person) is None  # intake and linkage never call the cases context

    assert PERIODIC_JOBS["transfer-holds"]() == "1 Dublin transfer holds active"
    hold = holds.active_hold(person)
    assert hold is not None and hold.reasons == ["open_signal"]
    assert hold.case == case and hold.liaison_organisation == liaison.organisation
    task = hold.task
    assert task is not None and task.status == "open" and task.priority == "urgent"
    assert task.owner_organisation == liaison.organisation and task.reference == case.reference
    assert VICTIM_NAME[1] not in task.title + task.description
    assert AuditEntry.objects.filter(object_type="cases.transferhold", action="place").exists()
    # Nothing was recorded about her on the way; the job is safe to repeat.
    assert person.migration_statuses.count() == statuses
    assert not person.trafficking_statuses.exists()
    PERIODIC_JOBS["transfer-holds"]()
    assert TransferHold.objects.filter(person=person).count() == 1


def test_without_a_liaison_organisation_the_hold_stands_without_a_task(world: World) -> None:
    _unused, person = _case(world, indicators=True)
    _dublin(world, person)
    hold = holds.active_hold(person)
    assert hold is not None and hold.task is None and hold.liaison_organisation is None


# --- Out of the hold --------------------------------------------------------------------------


def test_the_case_lead_and_the_liaison_lift_the_hold_together(world: World, liaison: User) -> None:
    _unused, person = _case(world, indicators=True)
    _dublin(world, person)
    hold = holds.active_hold(person)
    assert hold is not None
    carla = world.users["care_coordinator"]
    for persona in ("police_analyst", "ngo_worker", "outsider"):
        with pytest.raises(NotAllowed):
            holds.agree_to_lift(hold, rationale="Nee", actor=world.users[persona])
    with pytest.raises(InvalidFields) as why:
        holds.agree_to_lift(hold, rationale=" ", actor=carla)
    assert why.value.field == "rationale"
    holds.agree_to_lift(hold, rationale="Beoordeling afgerond.", actor=carla)
    assert holds.active_hold(person) is not None  # one side is not enough
    with pytest.raises(Conflict):
        holds.agree_to_lift(hold, rationale="Nogmaals", actor=carla)
    holds.agree_to_lift(hold, rationale="IND is akkoord.", actor=liaison)
    lifted = TransferHold.objects.get(pk=hold.pk)
    assert lifted.lifted_because == "decision" and holds.active_hold(person) is None
    assert lifted.task is not None and lifted.task.status == "done"
    assert list(lifted.agreements.values_list("side", flat=True)) == ["lead", "liaison"]
    # Nothing new since: the periodic job leaves it lifted; a new status record re-places it.
    PERIODIC_JOBS["transfer-holds"]()
    assert holds.active_hold(person) is None
    _trafficking(world, person, "actual_victim")
    assert holds.active_hold(person) is not None


def test_the_hold_ends_when_the_person_is_no_longer_a_dublin_claimant(
    world: World, liaison: User
) -> None:
    _unused, person = _case(world, indicators=True)
    _dublin(world, person)
    hold = holds.active_hold(person)
    assert hold is not None
    _dublin(world, person, "refugee")
    lifted = TransferHold.objects.get(pk=hold.pk)
    assert lifted.lifted_because == "conditions_ended"
    assert lifted.task is not None and lifted.task.status == "cancelled"


def test_the_hold_ends_when_the_person_is_found_not_a_victim(world: World, liaison: User) -> None:
    _unused, person = _case(world, indicators=False)
    _dublin(world, person)
    _trafficking(world, person)
    hold = holds.active_hold(person)
    assert hold is not None
    _trafficking(world, person, "not_a_victim")
    assert TransferHold.objects.get(pk=hold.pk).lifted_because == "conditions_ended"


def test_the_hold_ends_when_the_signal_is_no_longer_open(world: World, liaison: User) -> None:
    _unused, person = _case(world, indicators=True)
    _dublin(world, person)
    hold = holds.active_hold(person)
    assert hold is not None
    Signal.objects.filter(case_links__case=person.case).update(anonymised_at=timezone.now())
    assert PERIODIC_JOBS["transfer-holds"]() == "0 Dublin transfer holds active"
    assert TransferHold.objects.get(pk=hold.pk).lifted_because == "conditions_ended"


def test_a_hold_stays_when_linkage_merges_the_persons_entity_into_another(
    world: World, liaison: User
) -> None:
    _unused, person, hold = _held(world)
    absorbed_by_linkage(world, person, VICTIM_NAME)
    # Her signals are found through the entity that holds her mentions now.
    assert holds.reasons_for_hold(person) == ["open_signal"]
    PERIODIC_JOBS["transfer-holds"]()
    kept = TransferHold.objects.get(pk=hold.pk)
    assert kept.lifted_at is None and kept.task is not None and kept.task.status == "open"


def test_a_case_is_not_closed_while_a_hold_protects_someone_in_it(
    world: World, liaison: User
) -> None:
    case, person, hold = _held(world)
    carla = world.users["care_coordinator"]
    for status in ("closed", "closed_referred"):
        with pytest.raises(InvalidFields) as why:
            services.change_status(
                case, status, reason="Klaar.", referred_to=world.ngo_a, actor=carla
            )
        assert why.value.field == "status" and "Dublin" in why.value.message
    case.refresh_from_db()
    assert case.status == "active" and holds.active_hold(person) is not None
    assert services.change_status(case, "follow_up", actor=carla).status == "follow_up"
    _agree_both(world, hold, liaison)
    assert services.change_status(case, "closed", reason="Klaar.", actor=carla).status == "closed"


def test_reopening_a_case_places_the_hold_its_people_need_now(world: World, liaison: User) -> None:
    case, person = _case(world, indicators=True)
    carla = world.users["care_coordinator"]
    services.change_status(case, "closed", reason="Geen aanknopingspunten.", actor=carla)
    _dublin(world, person)  # recorded on the closed case: no hold while it is closed
    assert holds.active_hold(person) is None
    services.change_status(case, "active", actor=carla)
    hold = holds.active_hold(person)
    assert hold is not None and hold.reasons == ["open_signal"] and hold.task is not None


# --- Who sees and decides it -----------------------------------------------------------------


def test_the_hold_page_per_persona(world: World, liaison: User, signed_in: SignIn) -> None:
    case, person = _case(world, indicators=True)
    _dublin(world, person)
    hold = holds.active_hold(person)
    assert hold is not None
    url = reverse("case_transfer_hold", args=[hold.pk])
    case_url = reverse("case_detail", args=[case.pk])
    carla = world.users["care_coordinator"]
    case_page = signed_in(carla).get(case_url).content.decode()
    assert 'data-testid="transfer-hold"' in case_page and url in case_page
    page = signed_in(carla).get(url).content.decode()
    assert 'data-testid="hold-person"' in page and "<form" in page
    # The police analyst at the table: that it is there, not whom; the NGO sees neither.
    police = world.users["police_analyst"]
    assert 'data-testid="transfer-hold"' in signed_in(police).get(case_url).content.decode()
    shown = signed_in(police).get(url)
    assert shown.status_code == 200
    assert 'data-testid="hold-person"' not in shown.content.decode()
    assert signed_in(police).post(url, {"rationale": "Nee"}).status_code == 403
    assert signed_in(world.users["ngo_worker"]).get(url).status_code == 404
    assert signed_in(world.users["outsider"]).get(url).status_code == 404
    receiving = create_user(world.municipality_b, "rob", roles=[Role.COORDINATOR])
    assert signed_in(receiving).get(url).status_code == 404
    # The liaison sees whom it is about without seeing the case, and both sides decide.
    assert signed_in(liaison).get(case_url).status_code == 404
    assert 'data-testid="hold-person"' in signed_in(liaison).get(url).content.decode()
    assert signed_in(carla).post(url, {"rationale": ""}).status_code == 200
    assert signed_in(carla).post(url, {"rationale": "Afgerond"}).status_code == 302
    assert signed_in(liaison).post(url, {"rationale": "Akkoord"}).status_code == 302
    assert TransferHold.objects.get(pk=hold.pk).lifted_because == "decision"
    assert 'data-testid="transfer-hold"' not in signed_in(carla).get(case_url).content.decode()


def test_holds_through_the_api_per_persona(
    world: World, liaison: User, token_client: TokenClient
) -> None:
    case, person = _case(world, indicators=True)
    _dublin(world, person)
    hold = holds.active_hold(person)
    assert hold is not None
    detail = f"/api/v1/transfer-holds/{hold.pk}/"
    carla = token_client(world.users["care_coordinator"])
    data = carla.get(detail).json()
    assert data["active"] is True and VICTIM_NAME[1] in data["person"]
    police = token_client(world.users["police_analyst"])
    seen = police.get(detail).json()
    assert seen["case_reference"] == case.reference and "person" not in seen
    assert police.post(f"{detail}agree/", {"rationale": "Nee"}, format="json").status_code == 403
    assert token_client(world.users["ngo_worker"]).get(detail).status_code == 404
    outsider = token_client(world.users["outsider"])
    assert outsider.get(detail).status_code == 404
    assert outsider.get("/api/v1/transfer-holds/").json()["results"] == []
    assert outsider.post(f"{detail}agree/", {"rationale": "x"}, format="json").status_code == 404
    ivo = token_client(liaison)
    assert [h["id"] for h in ivo.get("/api/v1/transfer-holds/?active=true").json()["results"]] == [
        hold.pk
    ]
    assert carla.post(f"{detail}agree/", {"rationale": ""}, format="json").status_code == 400
    assert carla.post(f"{detail}agree/", {"rationale": "Klaar"}, format="json").status_code == 200
    assert carla.post(f"{detail}agree/", {"rationale": "Klaar"}, format="json").status_code == 409
    lifted = ivo.post(f"{detail}agree/", {"rationale": "Akkoord"}, format="json").json()
    assert lifted["active"] is False and lifted["lifted_because"] == "decision"
    paths = carla.get("/api/v1/openapi.json").json()["paths"]
    assert "post" in paths["/api/v1/transfer-holds/{id}/agree/"]
