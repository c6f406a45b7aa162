"""The secured line for tests: a case whose care coordinator (Carla, of the municipality) and
police analyst (Piet) are its parties, a prosecution office and a labour inspectorate at the
same table (justice partners who are not parties of Piet's messages), and messages and
consents made through the real services."""

from __future__ import annotations

from datetime import date

from schakel.cases import consents, messages
from schakel.cases.models import Case, CaseMessage, CasePerson, Consent
from schakel.cases.tests.helpers import municipality_signal, ngo_signal, open_case
from schakel.partners.models import Organisation, User
from schakel.partners.services import add_group_member, create_user
from schakel.partners.vocabulary import Role, Sector
from schakel.testing.personas import World

REQUEST_SUBJECT = "Vraag over de werkgever"
REQUEST_BODY = "Is de cliënt bereid een verklaring af te leggen over de werkgever?"
SHARED_BODY = "Cliënt verblijft sinds maandag in de opvang en wil aangifte doen."


def line_case(world: World) -> Case:
    return open_case(world, [municipality_signal(world), ngo_signal(world)])


def prosecutor(world: World) -> User:
    """Olga, an analyst of the Public Prosecution Service at region A's table."""
    org = Organisation.objects.create(
        name="OM Zeeland-West-Brabant", sector=Sector.PUBLIC_PROSECUTION, region=world.region_a
    )
    add_group_member(world.table_a, org)
    return create_user(
        org, "olga", roles=[Role.ANALYST], email="olga@example.test", first_name="Olga"
    )


def inspector(world: World) -> User:
    """Ilse, of the Labour Inspectorate at region A's table: a justice partner, not on the line."""
    org = Organisation.objects.create(
        name="NLA Zuid", sector=Sector.LABOUR_INSPECTORATE, region=world.region_a
    )
    add_group_member(world.table_a, org)
    return create_user(org, "ilse", roles=[Role.ANALYST], email="ilse@example.test")


def victim_of(case: Case) -> CasePerson:
    person = case.people.filter(role="possible_victim").order_by("pk").first()
    assert person is not None
    return person


def police_request(world: World, case: Case) -> CaseMessage:
    return messages.send_message(
        case,
        kind="request_for_information",
        recipients=[world.municipality_a],
        subject=REQUEST_SUBJECT,
        body=REQUEST_BODY,
        purpose="criminal_investigation",
        legal_basis="wpg_art_13",
        actor=world.users["police_analyst"],
    )


def consent_for_police(world: World, case: Case) -> Consent:
    return consents.record_consent(
        case,
        person=victim_of(case),
        purpose="criminal_investigation",
        scope="Verblijfplaats en bereidheid tot aangifte",
        organisations=[world.police_a],
        informed=True,
        given_on=date(2026, 11, 28),
        actor=world.users["care_coordinator"],
    )


def share_under(world: World, case: Case, consent: Consent) -> CaseMessage:
    return messages.send_message(
        case,
        kind="information_shared",
        recipients=[world.police_a],
        subject="Verblijf en aangifte",
        body=SHARED_BODY,
        purpose="criminal_investigation",
        legal_basis="wgbo_consent",
        consent=consent,
        actor=world.users["care_coordinator"],
    )
