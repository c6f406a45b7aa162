"""Persona fixtures shared by every test: the people of the chain as tests meet them.

Region A (Zeeland-West-Brabant) holds a signal table with a municipality, the police and an
NGO. Region B (Noord-Nederland) is elsewhere: its care coordinator is the *outsider* who must
never see region A's records (every object page and endpoint tests that they get 404).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    # Imported lazily below: this module loads as a pytest plugin, before Django is set up.
    from django.test import Client

    from schakel.partners.models import Organisation, Region, SharingGroup, User
    from schakel.partners.vocabulary import Role

__all__ = [
    "PASSWORD",
    "World",
    "build_world",
    "care_coordinator",
    "front_desk",
    "login",
    "national_coordinator",
    "ngo_worker",
    "org_admin",
    "outsider",
    "police_analyst",
    "signed_in",
    "world",
]

PASSWORD = "correct horse battery staple 42"


@dataclass
class World:
    netherlands: Region
    region_a: Region
    region_b: Region
    breda: Region
    groningen: Region
    municipality_a: Organisation
    police_a: Organisation
    ngo_a: Organisation
    national: Organisation
    municipality_b: Organisation
    table_a: SharingGroup
    table_b: SharingGroup
    users: dict[str, User]


def _user(org: Organisation, username: str, *roles: Role, first: str, last: str) -> User:
    from schakel.partners.services import create_user

    return create_user(
        org,
        username,
        roles=roles,
        password=PASSWORD,
        first_name=first,
        last_name=last,
        email=f"{username}@example.test",
    )


def build_world() -> World:
    from schakel.partners.models import (
        Organisation,
        OrganisationFunction,
        Region,
        RegionContact,
        SharingGroup,
    )
    from schakel.partners.services import add_group_member
    from schakel.partners.vocabulary import ContactKind, Function, RegionKind, Role, Sector

    nl = Region.objects.create(
        code="NL", name="Nederland", kind=RegionKind.COUNTRY, country_code="NL"
    )
    region_a = Region.objects.create(
        code="PR-ZWB",
        name="Zeeland-West-Brabant",
        kind=RegionKind.REGION,
        parent=nl,
        country_code="NL",
    )
    region_b = Region.objects.create(
        code="PR-NN", name="Noord-Nederland", kind=RegionKind.REGION, parent=nl, country_code="NL"
    )
    breda = Region.objects.create(
        code="GM0758",
        name="Breda",
        kind=RegionKind.MUNICIPALITY,
        parent=region_a,
        country_code="NL",
    )
    groningen = Region.objects.create(
        code="GM0014",
        name="Groningen",
        kind=RegionKind.MUNICIPALITY,
        parent=region_b,
        country_code="NL",
    )
    municipality_a = Organisation.objects.create(
        name="Gemeente Breda", sector=Sector.MUNICIPALITY, region=breda
    )
    OrganisationFunction.objects.create(
        organisation=municipality_a, function=Function.CARE_COORDINATION
    )
    police_a = Organisation.objects.create(
        name="Politie Zeeland-West-Brabant", sector=Sector.POLICE, region=region_a
    )
    ngo_a = Organisation.objects.create(
        name="Stichting Voorbeeldhulp", sector=Sector.NGO, region=breda
    )
    national = Organisation.objects.create(
        name="Landelijk Coördinatiepunt", sector=Sector.OTHER, region=nl
    )
    OrganisationFunction.objects.create(
        organisation=national, function=Function.NATIONAL_COORDINATION_CENTRE
    )
    municipality_b = Organisation.objects.create(
        name="Gemeente Groningen", sector=Sector.MUNICIPALITY, region=groningen
    )

    users = {
        "care_coordinator": _user(
            municipality_a, "carla", Role.CARE_COORDINATOR, first="Carla", last="Zorg"
        ),
        "police_analyst": _user(police_a, "piet", Role.ANALYST, first="Piet", last="Politie"),
        "front_desk": _user(municipality_a, "fenna", Role.FRONT_DESK, first="Fenna", last="Balie"),
        "ngo_worker": _user(ngo_a, "noor", Role.PROFESSIONAL, first="Noor", last="Hulp"),
        "org_admin": _user(
            municipality_a, "arie", Role.ORG_ADMIN, Role.PROFESSIONAL, first="Arie", last="Beheer"
        ),
        "national_coordinator": _user(
            national, "nadia", Role.NATIONAL_COORDINATOR, first="Nadia", last="Landelijk"
        ),
        "outsider": _user(
            municipality_b, "otto", Role.CARE_COORDINATOR, first="Otto", last="Buiten"
        ),
    }
    table_a = SharingGroup.objects.create(
        name="Signaaltafel Zeeland-West-Brabant", region=region_a, chair_organisation=municipality_a
    )
    for org in (municipality_a, police_a, ngo_a):
        add_group_member(table_a, org)
    table_a.chair_users.add(users["care_coordinator"])
    table_b = SharingGroup.objects.create(
        name="Signaaltafel Noord-Nederland", region=region_b, chair_organisation=municipality_b
    )
    add_group_member(table_b, municipality_b)
    RegionContact.objects.create(
        region=region_a,
        kind=ContactKind.CARE_COORDINATOR,
        name="Carla Zorg",
        organisation=municipality_a,
        user=users["care_coordinator"],
        email="zorg@example.test",
        phone="+31 76 000 0000",
    )
    RegionContact.objects.create(
        region=region_a,
        kind=ContactKind.POLICE,
        name="Team AVIM ZWB",
        organisation=police_a,
        email="avim@example.test",
    )
    RegionContact.objects.create(
        region=region_b,
        kind=ContactKind.CARE_COORDINATOR,
        name="Otto Buiten",
        organisation=municipality_b,
        email="zorg-nn@example.test",
    )
    return World(
        nl,
        region_a,
        region_b,
        breda,
        groningen,
        municipality_a,
        police_a,
        ngo_a,
        national,
        municipality_b,
        table_a,
        table_b,
        users,
    )


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


def _persona(name: str) -> Callable[..., User]:
    @pytest.fixture(name=name)
    def fixture(world: World) -> User:
        return world.users[name]

    return fixture


care_coordinator = _persona("care_coordinator")
police_analyst = _persona("police_analyst")
front_desk = _persona("front_desk")
ngo_worker = _persona("ngo_worker")
org_admin = _persona("org_admin")
national_coordinator = _persona("national_coordinator")
outsider = _persona("outsider")


def login(client: Client, user: User) -> Client:
    """Sign ``user`` in on ``client`` with a verified second factor, as after a real login."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user, backend="schakel.partners.auth.SchakelBackend")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def signed_in(client: Client) -> Callable[[User], Client]:
    """``signed_in(user)`` returns the test client signed in as that user."""

    def sign_in(user: User) -> Client:
        client.logout()
        return login(client, user)

    return sign_in
