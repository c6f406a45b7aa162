"""The secured line between the police or prosecution and the care coordinator: structured,
case-bound messages with purpose and legal basis, seen only by their parties and audited;
consent records mapped to HTCDS, whose withdrawal takes effect at once on what was shared
under them; and the messages on the case timeline, as far as each viewer may see them."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schakel.access import policy
from schakel.access.policy import Viewer
from schakel.appendonly import AppendOnlyError
from schakel.audit.models import AuditEntry
from schakel.cases import consents, messages
from schakel.cases.models import CaseMessage, Consent
from schakel.cases.tests.line_helpers import (
    REQUEST_BODY,
    REQUEST_SUBJECT,
    SHARED_BODY,
    consent_for_police,
    inspector,
    line_case,
    police_request,
    prosecutor,
    share_under,
    victim_of,
)
from schakel.cases.timeline import build_timeline, personal_ids
from schakel.cases.vocabulary import htcds_consent
from schakel.errors import InvalidFields, NotAllowed
from schakel.notifications.models import Notification
from schakel.partners.models import Organisation, User
from schakel.partners.services import create_user
from schakel.partners.vocabulary import Role, Sector
from schakel.signals.tests.factories import VICTIM_NAME
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db


def test_the_police_ask_and_the_care_coordinator_answers_on_the_line(world: World) -> None:
    case = line_case(world)
    carla, piet = world.users["care_coordinator"], world.users["police_analyst"]
    request = police_request(world, case)
    assert request.sender_organisation == world.police_a and request.sender == piet
    assert list(request.recipients.all()) == [world.municipality_a]
    assert (request.purpose, request.legal_basis) == ("criminal_investigation", "wpg_art_13")
    answer = messages.reply(
        request,
        kind="information_shared",
        subject="Antwoord",
        body="Zij wil eerst met haar advocaat spreken.",
        purpose="criminal_investigation",
        legal_basis="avg_vital_interest",
        actor=carla,
    )
    assert answer.in_reply_to == request
    assert list(answer.recipients.all()) == [world.police_a]
    with pytest.raises(AppendOnlyError):
        request.save()
    with pytest.raises(AppendOnlyError):
        answer.delete()
    sent = AuditEntry.objects.filter(object_type="cases.casemessage", action="send")
    assert [(e.object_ids, e.purpose) for e in sent.order_by("position")] == [
        ([request.pk], "criminal_investigation"),
        ([answer.pk], "criminal_investigation"),
    ]
    assert sent.order_by("position").last().details["in_reply_to"] == request.pk


def test_only_the_parties_see_a_message(world: World) -> None:
    case = line_case(world)
    olga, ilse = prosecutor(world), inspector(world)
    request = police_request(world, case)
    colleague = create_user(world.police_a, "paul", roles=[Role.PROFESSIONAL])
    for user in (world.users["police_analyst"], colleague, world.users["care_coordinator"]):
        assert policy.can(user, "view", request), user
        assert list(messages.visible_messages(user, case)) == [request]
    others = ("ngo_worker", "front_desk", "national_coordinator", "outsider")
    for user in (olga, ilse, *(world.users[name] for name in others)):
        assert not policy.can(user, "view", request), user
        assert not messages.visible_messages(user, case).exists(), user
    # The prosecution at the table may write on the line itself; the others are no party.
    assert messages.may_send(olga, case)
    assert messages.may_use_line(olga, case)
    for user in (ilse, world.users["ngo_worker"], world.users["outsider"]):
        assert not messages.may_use_line(user, case), user


def test_only_justice_partners_and_the_care_side_write_and_only_to_each_other(
    world: World,
) -> None:
    case = line_case(world)
    olga, ilse = prosecutor(world), inspector(world)
    values = {
        "kind": "request_for_information",
        "subject": "Vraag",
        "body": "Vraag",
        "purpose": "criminal_investigation",
        "legal_basis": "wpg_art_13",
    }
    for user in (ilse, world.users["ngo_worker"], world.users["outsider"]):
        with pytest.raises(NotAllowed):
            messages.send_message(case, recipients=[world.municipality_a], actor=user, **values)
    piet = world.users["police_analyst"]
    with pytest.raises(InvalidFields) as elsewhere:
        messages.send_message(case, recipients=[world.ngo_a], actor=piet, **values)
    assert elsewhere.value.field == "recipients"
    with pytest.raises(InvalidFields) as basis:
        messages.send_message(
            case,
            recipients=[world.municipality_a],
            actor=piet,
            **{**values, "legal_basis": "wmo_art_5_2_1"},
        )
    assert basis.value.field == "legal_basis"  # not one the police may invoke
    with pytest.raises(InvalidFields) as typed:
        messages.send_message(
            case,
            recipients=[world.municipality_a],
            actor=piet,
            **{**values, "kind": "consent_given"},
        )
    assert typed.value.field == "kind"  # consent messages come from the consent records
    carla = world.users["care_coordinator"]
    with pytest.raises(InvalidFields) as care_to_ngo:
        messages.send_message(
            case,
            recipients=[world.ngo_a],
            actor=carla,
            **{**values, "legal_basis": "avg_vital_interest"},
        )
    assert care_to_ngo.value.field == "recipients"
    both = messages.send_message(
        case,
        recipients=[world.police_a, olga.organisation],
        actor=carla,
        **{**values, "kind": "intention_to_report", "legal_basis": "avg_vital_interest"},
    )
    assert set(both.recipients.all()) == {world.police_a, olga.organisation}
    assert policy.can(olga, "view", both) and policy.can(piet, "view", both)


def test_a_consent_is_recorded_by_the_care_side_and_mapped_to_htcds(world: World) -> None:
    case = line_case(world)
    piet = world.users["police_analyst"]
    with pytest.raises(NotAllowed):
        consents.record_consent(
            case,
            person=victim_of(case),
            purpose="criminal_investigation",
            scope="Alles",
            organisations=[world.police_a],
            informed=True,
            given_on=date(2026, 11, 28),
            actor=piet,
        )
    with pytest.raises(InvalidFields) as uninformed:
        consents.record_consent(
            case,
            person=victim_of(case),
            purpose="criminal_investigation",
            scope="Alles",
            organisations=[world.ngo_a],
            informed=False,
            given_on=date(2026, 11, 28),
            actor=world.users["care_coordinator"],
        )
    assert set(uninformed.value.problems) == {"organisations", "informed"}
    consent = consent_for_police(world, case)
    assert htcds_consent(withdrawn=messages.is_withdrawn(consent)) == {"con_Consent": True}
    assert consent.recorded_organisation == world.municipality_a
    assert policy.can(world.users["care_coordinator"], "view", consent)
    for name in ("police_analyst", "ngo_worker", "outsider"):
        assert not policy.can(world.users[name], "view", consent), name
    # The police named in it hear of it on the line.
    given = CaseMessage.objects.get(case=case, kind="consent_given")
    assert list(given.recipients.all()) == [world.police_a] and given.consent == consent
    assert AuditEntry.objects.filter(object_type="cases.consent", action="record").exists()


def test_sharing_under_a_consent_stays_within_its_purpose_basis_and_recipients(
    world: World,
) -> None:
    case = line_case(world)
    olga = prosecutor(world)
    carla = world.users["care_coordinator"]
    consent = consent_for_police(world, case)
    values = {
        "kind": "information_shared",
        "subject": "Info",
        "body": SHARED_BODY,
        "purpose": "criminal_investigation",
        "legal_basis": "wgbo_consent",
        "consent": consent,
        "actor": carla,
    }
    with pytest.raises(InvalidFields) as outside:
        messages.send_message(case, recipients=[olga.organisation], **values)
    assert outside.value.field == "recipients"
    with pytest.raises(InvalidFields) as purpose:
        messages.send_message(
            case,
            recipients=[world.police_a],
            **{**values, "purpose": "care_referral"},
        )
    assert purpose.value.field == "purpose"
    with pytest.raises(InvalidFields) as basis:
        messages.send_message(
            case,
            recipients=[world.police_a],
            **{**values, "legal_basis": "avg_vital_interest"},
        )
    assert basis.value.field == "legal_basis"
    shared = share_under(world, case, consent)
    assert shared.consent == consent


def test_a_withdrawal_takes_effect_at_once_on_what_was_shared(world: World) -> None:
    case = line_case(world)
    carla, piet = world.users["care_coordinator"], world.users["police_analyst"]
    consent = consent_for_police(world, case)
    shared = share_under(world, case, consent)
    before = messages.present_message(piet, shared)
    assert before.body_shown and before.body == SHARED_BODY
    consents.withdraw_consent(consent, note="Cliënt trekt toestemming in.", actor=carla)
    consent.refresh_from_db()
    assert htcds_consent(withdrawn=messages.is_withdrawn(consent)) == {"con_Consent": False}
    shared = messages.message_queryset().get(pk=shared.pk)
    after = messages.present_message(piet, shared)
    assert not after.body_shown and after.body == "" and "Verblijf" not in after.subject
    assert after.consent_withdrawn_at is not None
    assert messages.present_message(carla, shared).body == SHARED_BODY  # the sender's own
    with pytest.raises(InvalidFields) as refused:
        share_under(world, case, consent)
    assert refused.value.field == "consent"
    with pytest.raises(InvalidFields):
        consents.withdraw_consent(consent, actor=carla)
    with pytest.raises(NotAllowed):
        consents.withdraw_consent(consent, actor=piet)
    told = CaseMessage.objects.get(case=case, kind="consent_withdrawn")
    assert list(told.recipients.all()) == [world.police_a]
    assert AuditEntry.objects.filter(object_type="cases.consent", action="withdraw").exists()
    assert messages.shown_bodies([after]) == {}


def test_the_recipients_are_notified_without_personal_data(world: World) -> None:
    case = line_case(world)
    request = police_request(world, case)
    note = Notification.objects.get(recipient__username="carla", kind="line_message")
    assert case.reference in note.title and note.emailed_at is not None
    assert note.link.endswith(f"/line/{request.pk}/")
    text = note.title + note.body
    assert VICTIM_NAME[1] not in text and REQUEST_SUBJECT not in text and REQUEST_BODY not in text
    assert not Notification.objects.filter(recipient__username="noor", kind="line_message")
    messages.reply(
        request,
        kind="information_shared",
        subject="Antwoord",
        body="Ja.",
        purpose="criminal_investigation",
        legal_basis="avg_vital_interest",
        actor=world.users["care_coordinator"],
    )
    assert Notification.objects.filter(recipient__username="piet", kind="line_message").exists()


def test_the_timeline_shows_messages_to_their_parties_only(world: World) -> None:
    case = line_case(world)
    olga = prosecutor(world)
    request = police_request(world, case)
    consent = consent_for_police(world, case)
    shared = share_under(world, case, consent)
    carla, piet = world.users["care_coordinator"], world.users["police_analyst"]
    mine = build_timeline(carla, case).of_kind("message")
    assert [e.url.rsplit("/", 2)[-2] for e in mine] == [
        str(m.pk) for m in CaseMessage.objects.filter(case=case).order_by("sent_at", "pk")
    ]
    assert all(REQUEST_BODY not in e.detail for e in mine)  # bodies are on the message page
    assert personal_ids(mine)["cases.casemessage"] == sorted(
        CaseMessage.objects.filter(case=case).values_list("pk", flat=True)
    )
    for user in (world.users["ngo_worker"], olga):
        assert build_timeline(user, case).of_kind("message") == [], user
    consents.withdraw_consent(consent, actor=carla)
    seen = {e.url: e for e in build_timeline(piet, case).of_kind("message")}
    hidden = next(e for url, e in seen.items() if url.endswith(f"/line/{shared.pk}/"))
    assert "Verblijf" not in hidden.description and hidden.personal == ()
    assert any(url.endswith(f"/line/{request.pk}/") for url in seen)


def test_a_case_without_a_care_coordinator_has_no_line_to_write_on(world: World) -> None:
    case = line_case(world)
    case.care_coordinator = None
    case.save(update_fields=["care_coordinator"])
    with pytest.raises(InvalidFields) as nobody:
        police_request(world, case)
    assert nobody.value.field == "recipients"
    assert not messages.recipients_for(world.users["police_analyst"], case).exists()


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_the_list_filter_and_the_object_check_agree_for_any_viewer(
    world: World, data: st.DataObject
) -> None:
    if not CaseMessage.objects.exists():
        case = line_case(world)
        olga = prosecutor(world)
        request = police_request(world, case)
        consent = consent_for_police(world, case)
        share_under(world, case, consent)
        messages.reply(
            request,
            kind="information_shared",
            subject="Antwoord",
            body="Ja.",
            purpose="criminal_investigation",
            legal_basis="avg_vital_interest",
            actor=world.users["care_coordinator"],
        )
        messages.send_message(
            case,
            kind="intention_to_report",
            recipients=[world.municipality_a],
            subject="Aangifte",
            body="Aangifte volgt.",
            purpose="criminal_investigation",
            legal_basis="wjsg_art_39f",
            actor=olga,
        )
    organisations = list(Organisation.objects.values_list("pk", flat=True))
    users = list(User.objects.values_list("pk", flat=True))
    viewer = Viewer(
        user_id=data.draw(st.sampled_from(users)),
        organisation_id=data.draw(st.one_of(st.none(), st.sampled_from(organisations))),
        sector=data.draw(st.sampled_from([None, *Sector.values])),
        roles=data.draw(st.frozensets(st.sampled_from(Role.values), max_size=3)),
    )
    for model, actions in ((CaseMessage, ("view", "send")), (Consent, ("view", "withdraw"))):
        everything = list(model.objects.all())
        for action in actions:
            listed = set(policy.visible(viewer, model.objects.all(), action))
            checked = {o for o in everything if policy.can(viewer, action, o)}
            assert listed == checked, (model.__name__, action)
