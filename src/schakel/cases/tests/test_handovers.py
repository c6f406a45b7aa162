"""Handovers: the lead (regie) or region of a case goes to another organisation by request,
accepted or declined (with why) by that organisation; the case, its plan and its history go on
unchanged; both sides are notified; every step is audited and recorded on the case. Persona
tests for the pages and the endpoints: the care coordinator (the lead), the police analyst and
the NGO worker (at the table), the outsider (404) and the receiving organisation's coordinator.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from schakel.appendonly import AppendOnlyError
from schakel.audit.models import AuditEntry
from schakel.cases import handovers, plans
from schakel.cases.models import Case, Handover, HandoverAnswer, Plan
from schakel.cases.tests.helpers import SignIn, TokenClient
from schakel.cases.tests.plan_helpers import case_with_plan
from schakel.errors import Conflict, InvalidFields, NotAllowed
from schakel.notifications.models import Notification
from schakel.partners.models import Organisation, User
from schakel.partners.services import create_user
from schakel.partners.vocabulary import Role, Sector
from schakel.signals.tests.factories import VICTIM_NAME
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db

REASON = "Cliënt verhuist naar Leeuwarden; de regie hoort daar."


@pytest.fixture
def receiver(world: World) -> User:
    """Rita, coordinator of a municipality in region B (not the outsider's)."""
    from schakel.partners.models import Region
    from schakel.partners.vocabulary import RegionKind

    leeuwarden = Region.objects.create(
        code="GM0080",
        name="Leeuwarden",
        kind=RegionKind.MUNICIPALITY,
        parent=world.region_b,
        country_code="NL",
    )
    org = Organisation.objects.create(
        name="Gemeente Leeuwarden", sector=Sector.MUNICIPALITY, region=leeuwarden
    )
    return create_user(
        org, "rita", roles=[Role.COORDINATOR], email="rita@example.test", first_name="Rita"
    )


@pytest.fixture
def case_and_plan(world: World) -> tuple[Case, Plan]:
    case, plan = case_with_plan(world)
    plans.add_objective(plan, "shelter", "Veilige opvang", actor=world.users["care_coordinator"])
    return case, plan


def _request(world: World, case: Case, receiver: User) -> Handover:
    return handovers.request_handover(
        case,
        to_organisation=receiver.organisation,
        reason=REASON,
        actor=world.users["care_coordinator"],
    )


def _kinds_for(username: str) -> set[str]:
    return set(
        Notification.objects.filter(recipient__username=username).values_list("kind", flat=True)
    )


def test_an_accepted_handover_moves_the_lead_and_keeps_the_case(
    world: World, case_and_plan: tuple[Case, Plan], receiver: User
) -> None:
    case, plan = case_and_plan
    tasks_before = list(plan.actions.values_list("task_id", flat=True))
    history_before = list(case.status_changes.values_list("pk", flat=True))
    handover = _request(world, case, receiver)
    assert handover.to_region == world.region_b  # the receiving organisation's police region
    assert handover.from_organisation == world.municipality_a and handover.is_open
    assert Case.objects.get(pk=case.pk).lead_organisation == world.municipality_a
    handovers.accept(handover, note="Wij nemen het over.", actor=receiver)
    moved = Case.objects.get(pk=case.pk)
    assert (moved.pk, moved.reference) == (case.pk, case.reference)
    assert moved.lead_organisation == receiver.organisation
    assert moved.region == world.region_b
    assert moved.care_coordinator == receiver
    assert Plan.objects.get(pk=plan.pk).case_id == case.pk
    assert list(plan.actions.values_list("task_id", flat=True)) == tasks_before
    assert list(moved.status_changes.values_list("pk", flat=True)) == history_before
    record = Handover.objects.get(pk=handover.pk)
    assert record.status == "accepted" and record.answer.answered_by == receiver
    assert record.reason == REASON  # what was asked stands as asked
    with pytest.raises(AppendOnlyError):
        record.answer.save()
    # The new lead may hand it on; the old one no longer may.
    assert handovers.open_handover(moved) is None
    with pytest.raises(NotAllowed):
        _request(world, moved, receiver)


def test_both_sides_are_notified_in_app_and_by_email_at_each_step(
    world: World, case_and_plan: tuple[Case, Plan], receiver: User
) -> None:
    case, _plan = case_and_plan
    handover = _request(world, case, receiver)
    assert "handover_requested" in _kinds_for("rita")
    assert "handover_requested" in _kinds_for("carla")
    assert "handover_requested" not in _kinds_for("otto")
    handovers.decline(handover, note="Geen capaciteit.", actor=receiver)
    assert "handover_declined" in _kinds_for("carla") and "handover_declined" in _kinds_for("rita")
    note = Notification.objects.filter(kind="handover_declined", recipient__username="carla").get()
    assert case.reference in note.title and note.emailed_at is not None
    assert VICTIM_NAME[1] not in note.title + note.body  # an e-mail leaves our hands
    second = _request(world, case, receiver)
    handovers.withdraw(second, note="Toch niet.", actor=world.users["care_coordinator"])
    assert "handover_withdrawn" in _kinds_for("rita")
    third = _request(world, case, receiver)
    handovers.accept(third, actor=receiver)
    assert "handover_accepted" in _kinds_for("carla") and "handover_accepted" in _kinds_for("rita")


def test_every_step_is_audited_and_recorded_on_the_case(
    world: World, case_and_plan: tuple[Case, Plan], receiver: User
) -> None:
    case, _plan = case_and_plan
    first = _request(world, case, receiver)
    handovers.decline(first, note="Geen capaciteit.", actor=receiver)
    second = _request(world, case, receiver)
    handovers.accept(second, actor=receiver)
    actions = list(
        AuditEntry.objects.filter(object_type="cases.handover")
        .order_by("position")
        .values_list("action", flat=True)
    )
    assert actions == ["request", "declined", "request", "accepted"]
    moved = AuditEntry.objects.get(object_type="cases.case", action="hand_over")
    assert moved.object_ids == [case.pk] and moved.details["handover"] == second.pk
    record = [(h.status, h.answer.status) for h in handovers.handovers_of(case)]
    assert record == [("declined", "declined"), ("accepted", "accepted")]
    assert HandoverAnswer.objects.filter(handover__case=case).count() == 2


def test_only_the_leads_coordinator_requests_and_only_the_receiver_answers(
    world: World, case_and_plan: tuple[Case, Plan], receiver: User
) -> None:
    case, _plan = case_and_plan
    for persona in ("police_analyst", "ngo_worker", "org_admin", "outsider"):
        with pytest.raises(NotAllowed):
            handovers.request_handover(
                case,
                to_organisation=receiver.organisation,
                reason=REASON,
                actor=world.users[persona],
            )
    colleague = create_user(world.municipality_a, "pim", roles=[Role.PROFESSIONAL])
    with pytest.raises(NotAllowed):
        handovers.request_handover(
            case, to_organisation=receiver.organisation, reason=REASON, actor=colleague
        )
    handover = _request(world, case, receiver)
    for user in (world.users["care_coordinator"], world.users["outsider"]):
        with pytest.raises(NotAllowed):
            handovers.accept(handover, actor=user)
    receiving_worker = create_user(receiver.organisation, "ruud", roles=[Role.PROFESSIONAL])
    with pytest.raises(NotAllowed):
        handovers.decline(handover, note="Nee", actor=receiving_worker)
    with pytest.raises(NotAllowed):
        handovers.withdraw(handover, actor=receiver)
    with pytest.raises(InvalidFields) as why:
        handovers.decline(handover, note=" ", actor=receiver)
    assert why.value.field == "note"
    with pytest.raises(InvalidFields) as whom:
        handovers.accept(handover, care_coordinator=world.users["outsider"], actor=receiver)
    assert whom.value.field == "care_coordinator"


def test_one_open_handover_per_case_and_each_answered_once(
    world: World, case_and_plan: tuple[Case, Plan], receiver: User
) -> None:
    case, _plan = case_and_plan
    handover = _request(world, case, receiver)
    with pytest.raises(Conflict):
        handovers.request_handover(
            case,
            to_organisation=world.municipality_b,
            reason=REASON,
            actor=world.users["care_coordinator"],
        )
    handovers.withdraw(handover, actor=world.users["care_coordinator"])
    with pytest.raises(Conflict):
        handovers.accept(handover, actor=receiver)
    with pytest.raises(Conflict):
        handovers.withdraw(handover, actor=world.users["care_coordinator"])
    assert Case.objects.get(pk=case.pk).lead_organisation == world.municipality_a


def test_a_request_names_a_receiver_a_change_and_a_reason(
    world: World, case_and_plan: tuple[Case, Plan], receiver: User
) -> None:
    case, _plan = case_and_plan
    carla = world.users["care_coordinator"]
    with pytest.raises(InvalidFields) as same:
        handovers.request_handover(
            case,
            to_organisation=world.municipality_a,
            to_region=world.region_a,
            reason=REASON,
            actor=carla,
        )
    assert same.value.field == "to_organisation"
    with pytest.raises(InvalidFields) as nobody:
        handovers.request_handover(case, to_organisation=world.ngo_a, reason=REASON, actor=carla)
    assert nobody.value.field == "to_organisation"  # no coordinator there to accept
    with pytest.raises(InvalidFields) as why:
        handovers.request_handover(
            case, to_organisation=receiver.organisation, reason="", actor=carla
        )
    assert why.value.field == "reason"
    # Only the region: the lead stays, the case moves to region B.
    handover = handovers.request_handover(
        case,
        to_organisation=world.municipality_a,
        to_region=world.region_b,
        reason=REASON,
        actor=carla,
    )
    handovers.accept(handover, actor=carla)
    moved = Case.objects.get(pk=case.pk)
    assert (moved.lead_organisation, moved.region) == (world.municipality_a, world.region_b)


# --- Pages -----------------------------------------------------------------------------------


def test_the_handover_pages_per_persona(
    world: World, case_and_plan: tuple[Case, Plan], receiver: User, signed_in: SignIn
) -> None:
    # One test client: ``signed_in`` signs it in as the user named, for the lines that follow.
    case, _plan = case_and_plan
    carla, rita = world.users["care_coordinator"], receiver
    case_url = reverse("case_detail", args=[case.pk])
    new_url = reverse("case_handover_request", args=[case.pk])
    assert new_url in signed_in(carla).get(case_url).content.decode()
    assert signed_in(carla).get(new_url).status_code == 200
    response = signed_in(carla).post(
        new_url, {"to_organisation": receiver.organisation_id, "reason": REASON}
    )
    assert response.status_code == 302
    handover = Handover.objects.get(case=case)
    url = reverse("case_handover", args=[handover.pk])
    assert response["Location"] == url
    assert 'data-testid="handover-open"' in signed_in(carla).get(new_url).content.decode()
    page = signed_in(carla).get(case_url).content.decode()
    assert 'data-testid="handovers"' in page and url in page
    assert REASON in signed_in(carla).get(url).content.decode()
    # At the table: the police analyst and the NGO worker see the case, not its handovers.
    for persona in ("police_analyst", "ngo_worker"):
        user = world.users[persona]
        assert signed_in(user).get(url).status_code == 404
        assert signed_in(user).get(new_url).status_code == 403
        assert url not in signed_in(user).get(case_url).content.decode()
    outsider = world.users["outsider"]
    for page_url in (url, new_url, case_url):
        assert signed_in(outsider).get(page_url).status_code == 404
    assert signed_in(outsider).post(url, {"answer": "accept"}).status_code == 404
    # The receiving coordinator sees the request (not the case, yet) and answers it.
    assert signed_in(rita).get(case_url).status_code == 404
    assert REASON in signed_in(rita).get(url).content.decode()
    assert signed_in(rita).get(new_url).status_code == 404
    assert signed_in(carla).post(url, {"answer": "accept"}).status_code == 200  # not hers
    assert signed_in(rita).post(url, {"answer": "decline", "note": ""}).status_code == 200
    assert Handover.objects.get(pk=handover.pk).is_open
    accepted = signed_in(rita).post(url, {"answer": "accept", "note": "Akkoord"})
    assert accepted.status_code == 302
    assert Case.objects.get(pk=case.pk).lead_organisation == receiver.organisation
    assert signed_in(rita).get(case_url).status_code == 200
    assert "Akkoord" in signed_in(carla).get(url).content.decode()  # the requester's record
    assert signed_in(rita).post(url, {"answer": "withdraw"}).status_code == 403


def test_the_requester_withdraws_by_the_form(
    world: World, case_and_plan: tuple[Case, Plan], receiver: User, signed_in: SignIn
) -> None:
    case, _plan = case_and_plan
    handover = _request(world, case, receiver)
    url = reverse("case_handover", args=[handover.pk])
    response = signed_in(world.users["care_coordinator"]).post(
        url, {"answer": "withdraw", "note": "Toch niet"}
    )
    assert response.status_code == 302
    assert Handover.objects.get(pk=handover.pk).status == "withdrawn"


# --- API -------------------------------------------------------------------------------------


def test_handovers_through_the_api_per_persona(
    world: World,
    case_and_plan: tuple[Case, Plan],
    receiver: User,
    token_client: TokenClient,
) -> None:
    case, _plan = case_and_plan
    body = {"case": case.pk, "to_organisation": receiver.organisation_id, "reason": REASON}
    police = token_client(world.users["police_analyst"])
    assert police.post("/api/v1/handovers/", body, format="json").status_code == 403
    outsider = token_client(world.users["outsider"])
    assert outsider.post("/api/v1/handovers/", body, format="json").status_code == 404
    carla = token_client(world.users["care_coordinator"])
    created = carla.post("/api/v1/handovers/", body, format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["status"] == "open" and data["to_region"] == "PR-NN"
    assert data["case_reference"] == case.reference and data["answer"] is None
    assert carla.post("/api/v1/handovers/", body, format="json").status_code == 409
    detail = f"/api/v1/handovers/{data['id']}/"
    for persona in ("police_analyst", "ngo_worker", "outsider"):
        client = token_client(world.users[persona])
        assert client.get(detail).status_code == 404
        assert client.get("/api/v1/handovers/").json()["results"] == []
        answer = client.post(f"{detail}answer/", {"answer": "accept"}, format="json")
        assert answer.status_code == 404
    rita = token_client(receiver)
    assert [h["id"] for h in rita.get("/api/v1/handovers/").json()["results"]] == [data["id"]]
    assert rita.get(f"/api/v1/cases/{case.pk}/").status_code == 404
    refused = carla.post(f"{detail}answer/", {"answer": "accept"}, format="json")
    assert refused.status_code == 403
    declined = rita.post(f"{detail}answer/", {"answer": "decline"}, format="json")
    assert declined.status_code == 400
    accepted = rita.post(f"{detail}answer/", {"answer": "accept", "note": "Ja"}, format="json")
    assert accepted.status_code == 200
    assert accepted.json()["answer"]["status"] == "accepted"
    assert rita.get(f"/api/v1/cases/{case.pk}/").json()["lead_organisation"]["id"] == (
        receiver.organisation_id
    )
    again = rita.post(f"{detail}answer/", {"answer": "accept"}, format="json")
    assert again.status_code == 409
    mine = carla.get(f"/api/v1/handovers/?case={case.pk}&status=accepted").json()["results"]
    assert [h["id"] for h in mine] == [data["id"]]


def test_the_api_documents_the_handover_endpoints(world: World, token_client: TokenClient) -> None:
    client = token_client(world.users["care_coordinator"])
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "post" in paths["/api/v1/handovers/"]
    assert "post" in paths["/api/v1/handovers/{id}/answer/"]
