"""The secured line's pages and endpoints per persona: the police analyst and the care
coordinator (its parties) see its messages in full, audited with each message's purpose; the
NGO worker at the table, a justice partner at the table who is no party of the message and the
outsider get 404; consents are the case lead's and care coordinator's."""

from __future__ import annotations

import pytest
from django.urls import reverse

from schakel.audit.models import AuditEntry
from schakel.cases.models import Case, CaseMessage, Consent
from schakel.cases.tests.helpers import SignIn, TokenClient
from schakel.cases.tests.line_helpers import (
    REQUEST_BODY,
    SHARED_BODY,
    consent_for_police,
    inspector,
    line_case,
    police_request,
    prosecutor,
    share_under,
    victim_of,
)
from schakel.partners.models import User
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db


def _reads_of(user: User) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(action="read", actor_id=user.pk, object_type__contains="message")
    )


# --- Pages -----------------------------------------------------------------------------------


def test_the_parties_see_the_line_and_the_others_get_404(world: World, signed_in: SignIn) -> None:
    case = line_case(world)
    olga, ilse = prosecutor(world), inspector(world)
    request = police_request(world, case)
    line = reverse("case_line", args=[case.pk])
    detail = reverse("case_line_message", args=[request.pk])
    case_url = reverse("case_detail", args=[case.pk])
    for name in ("police_analyst", "care_coordinator"):
        user = world.users[name]
        client = signed_in(user)
        page = client.get(line).content.decode()
        assert REQUEST_BODY in page and detail in page, name
        assert 'data-testid="line-form"' in page
        assert REQUEST_BODY in client.get(detail).content.decode()
        assert line in client.get(case_url).content.decode()  # the link, for parties
        reads = _reads_of(user)
        assert reads and all(e.purpose == "criminal_investigation" for e in reads)
        assert all(e.object_ids["cases.casemessage"] == [request.pk] for e in reads)
    # The prosecution at the table writes on the line but does not see the police's message.
    client = signed_in(olga)
    assert REQUEST_BODY not in client.get(line).content.decode()
    assert client.get(detail).status_code == 404
    assert not _reads_of(olga)
    for user in (ilse, world.users["ngo_worker"], world.users["outsider"]):
        client = signed_in(user)
        assert client.get(line).status_code == 404, user
        assert client.get(detail).status_code == 404, user
        assert client.post(line, {"subject": "x"}).status_code == 404, user
    # The NGO worker sees the case, but no link to its line.
    assert line not in signed_in(world.users["ngo_worker"]).get(case_url).content.decode()


def test_a_message_is_sent_and_answered_from_the_pages(world: World, signed_in: SignIn) -> None:
    case = line_case(world)
    line = reverse("case_line", args=[case.pk])
    piet, carla = world.users["police_analyst"], world.users["care_coordinator"]
    form = {
        "kind": "request_for_information",
        "recipients": [world.municipality_a.pk],
        "subject": "Vraag",
        "body": REQUEST_BODY,
        "purpose": "criminal_investigation",
        "legal_basis": "wmo_art_5_2_1",
    }
    refused = signed_in(piet).post(line, form)
    assert refused.status_code == 200
    assert "legal_basis" in refused.context["form"].errors
    sent = signed_in(piet).post(line, {**form, "legal_basis": "wpg_art_13"})
    assert sent.status_code == 302 and sent["Location"] == line
    message = CaseMessage.objects.get(case=case)
    url = reverse("case_line_message", args=[message.pk])
    answer = {
        "kind": "information_shared",
        "subject": "Antwoord",
        "body": "Ja, na de bedenktijd.",
        "purpose": "criminal_investigation",
        "legal_basis": "avg_vital_interest",
    }
    replied = signed_in(carla).post(url, answer)
    assert replied.status_code == 302
    reply = CaseMessage.objects.get(in_reply_to=message)
    assert list(reply.recipients.all()) == [world.police_a]
    assert "Ja, na de bedenktijd." in signed_in(piet).get(url).content.decode()


def test_consents_are_recorded_and_withdrawn_from_the_pages(
    world: World, signed_in: SignIn
) -> None:
    case = line_case(world)
    carla, piet = world.users["care_coordinator"], world.users["police_analyst"]
    consents = reverse("case_consents", args=[case.pk])
    assert consents in signed_in(carla).get(reverse("case_line", args=[case.pk])).content.decode()
    missing = signed_in(carla).post(
        consents,
        {
            "person": victim_of(case).pk,
            "purpose": "criminal_investigation",
            "scope": "Verblijfplaats",
            "organisations": [world.police_a.pk],
            "given_on": "2026-11-28",
        },
    )
    assert missing.status_code == 200 and "informed" in missing.context["form"].errors
    recorded = signed_in(carla).post(
        consents,
        {
            "person": victim_of(case).pk,
            "purpose": "criminal_investigation",
            "scope": "Verblijfplaats",
            "organisations": [world.police_a.pk],
            "given_on": "2026-11-28",
            "informed": "on",
        },
    )
    assert recorded.status_code == 302
    consent = Consent.objects.get(case=case)
    shared = share_under(world, case, consent)
    withdraw = reverse("case_consent_withdraw", args=[consent.pk])
    for user in (piet, world.users["ngo_worker"], world.users["outsider"]):
        client = signed_in(user)
        assert client.get(consents).status_code == 404, user
        assert client.get(withdraw).status_code == 404, user
    assert signed_in(carla).post(withdraw, {"note": "Telefonisch."}).status_code == 302
    assert 'data-testid="consent-withdrawn"' in signed_in(carla).get(consents).content.decode()
    page = signed_in(piet).get(reverse("case_line_message", args=[shared.pk])).content.decode()
    assert SHARED_BODY not in page and "Verblijf en aangifte" not in page
    # Sharing under it from the page is refused, naming the field.
    line = reverse("case_line", args=[case.pk])
    form = signed_in(carla).get(line).context["form"]
    assert not form.fields["consent"].queryset.exists()  # no longer offered
    refused = signed_in(carla).post(
        line,
        {
            "kind": "information_shared",
            "recipients": [world.police_a.pk],
            "subject": "Meer",
            "body": "Meer",
            "purpose": "criminal_investigation",
            "legal_basis": "wgbo_consent",
            "consent": consent.pk,
        },
    )
    assert "consent" in refused.context["form"].errors


def test_the_timeline_lists_messages_for_the_parties(world: World, signed_in: SignIn) -> None:
    case = line_case(world)
    request = police_request(world, case)
    url = reverse("case_timeline", args=[case.pk]) + "?kind=message"
    detail = reverse("case_line_message", args=[request.pk])
    assert detail in signed_in(world.users["police_analyst"]).get(url).content.decode()
    assert detail in signed_in(world.users["care_coordinator"]).get(url).content.decode()
    assert detail not in signed_in(world.users["ngo_worker"]).get(url).content.decode()
    assert signed_in(world.users["outsider"]).get(url).status_code == 404


# --- API -------------------------------------------------------------------------------------


def _api_message(world: World, case: Case) -> dict[str, object]:
    return {
        "kind": "request_for_information",
        "recipients": [world.municipality_a.pk],
        "subject": "Vraag",
        "body": REQUEST_BODY,
        "purpose": "criminal_investigation",
        "legal_basis": "wpg_art_13",
    }


def test_the_messages_endpoint_per_persona(world: World, token_client: TokenClient) -> None:
    case = line_case(world)
    olga = prosecutor(world)
    url = f"/api/v1/cases/{case.pk}/messages/"
    piet, carla = world.users["police_analyst"], world.users["care_coordinator"]
    created = token_client(piet).post(url, _api_message(world, case), format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["body"] == REQUEST_BODY and data["recipients"][0]["id"] == world.municipality_a.pk
    detail = data["url"]
    assert created["Location"].endswith(detail)
    for user in (piet, carla):
        listed = token_client(user).get(url)
        assert [m["id"] for m in listed.json()] == [data["id"]]
        assert token_client(user).get(detail).json()["body"] == REQUEST_BODY
    read = AuditEntry.objects.filter(action="read", actor_id=carla.pk).last()
    assert read is not None and read.purpose == "criminal_investigation"
    assert token_client(olga).get(url).json() == []  # may write, sees none of these
    assert token_client(olga).get(detail).status_code == 404
    for name in ("ngo_worker", "outsider"):
        client = token_client(world.users[name])
        assert client.get(url).status_code == 404, name
        assert client.get(detail).status_code == 404, name
        posted = client.post(url, _api_message(world, case), format="json")
        assert posted.status_code in (403, 404), name
    ngo = token_client(world.users["ngo_worker"]).post(
        url, _api_message(world, case), format="json"
    )
    assert ngo.status_code == 403  # sees the case, may not write on its line
    outsider = token_client(world.users["outsider"])
    assert outsider.post(url, _api_message(world, case), format="json").status_code == 404
    reply = token_client(carla).post(
        url,
        {
            "kind": "information_shared",
            "subject": "Antwoord",
            "body": "Nog niet.",
            "purpose": "criminal_investigation",
            "legal_basis": "avg_vital_interest",
            "in_reply_to": data["id"],
        },
        format="json",
    )
    assert reply.status_code == 201 and reply.json()["in_reply_to"] == data["id"]
    bad = token_client(piet).post(
        url, {**_api_message(world, case), "legal_basis": "wmo_art_5_2_1"}, format="json"
    )
    assert bad.status_code == 400 and "legal_basis" in bad.content.decode()


def test_the_consents_endpoint_per_persona(world: World, token_client: TokenClient) -> None:
    case = line_case(world)
    url = f"/api/v1/cases/{case.pk}/consents/"
    carla = world.users["care_coordinator"]
    created = token_client(carla).post(
        url,
        {
            "person": victim_of(case).pk,
            "purpose": "criminal_investigation",
            "scope": "Verblijfplaats",
            "organisations": [world.police_a.pk],
            "informed": True,
            "given_on": "2026-11-28",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    consent = created.json()
    assert consent["htcds"] == {"con_Consent": True}
    assert [c["id"] for c in token_client(carla).get(url).json()] == [consent["id"]]
    for name in ("police_analyst", "ngo_worker", "outsider"):
        client = token_client(world.users[name])
        assert client.get(url).status_code == 404, name
        withdraw = client.post(f"{url}{consent['id']}/withdraw/", {}, format="json")
        assert withdraw.status_code == 404, name
    shared = share_under(world, case, Consent.objects.get(pk=consent["id"]))
    withdrawn = token_client(carla).post(
        f"{url}{consent['id']}/withdraw/", {"note": "Ingetrokken."}, format="json"
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["htcds"] == {"con_Consent": False}
    seen = token_client(world.users["police_analyst"]).get(
        f"/api/v1/cases/{case.pk}/messages/{shared.pk}/"
    )
    assert seen.json()["body"] == "" and seen.json()["body_shown"] is False
    again = token_client(carla).post(
        f"/api/v1/cases/{case.pk}/messages/",
        {
            "kind": "information_shared",
            "recipients": [world.police_a.pk],
            "subject": "Meer",
            "body": "Meer",
            "purpose": "criminal_investigation",
            "legal_basis": "wgbo_consent",
            "consent": consent["id"],
        },
        format="json",
    )
    assert again.status_code == 400 and "consent" in again.content.decode()


def test_the_api_documents_the_line_endpoints(world: World, token_client: TokenClient) -> None:
    client = token_client(world.users["care_coordinator"])
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/cases/{case_pk}/messages/"])
    assert "get" in paths["/api/v1/cases/{case_pk}/messages/{id}/"]
    assert {"get", "post"} <= set(paths["/api/v1/cases/{case_pk}/consents/"])
    assert "post" in paths["/api/v1/cases/{case_pk}/consents/{id}/withdraw/"]


def test_the_line_page_reads_a_bounded_number_of_queries(world: World, signed_in: SignIn) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = line_case(world)
    line = reverse("case_line", args=[case.pk])
    client = signed_in(world.users["care_coordinator"])
    consent = consent_for_police(world, case)
    police_request(world, case)
    share_under(world, case, consent)
    with CaptureQueriesContext(connection) as few:
        assert client.get(line).status_code == 200
    for _ in range(4):
        police_request(world, case)
        share_under(world, case, consent)
    with CaptureQueriesContext(connection) as many:
        assert client.get(line).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
