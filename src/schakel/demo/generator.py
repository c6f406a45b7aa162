"""Deterministic synthetic demo data.

``generate(size="small", seed=1)`` builds the Dutch regions, about 25 organisations across all
sectors, sharing groups (regional signal tables), region contacts and a user for every
persona. ``size="large"`` adds as many extra organisations (with users) as asked, for
benchmarks. Running it again with the same seed changes nothing (get-or-create by natural
keys), so ``make demo`` can be repeated.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from schakel.errors import NotAllowed
from schakel.partners.models import (
    Organisation,
    OrganisationFunction,
    Region,
    RegionContact,
    SharingGroup,
    SharingGroupMembership,
    User,
    UserRole,
)
from schakel.partners.vocabulary import ContactKind, Function, RegionKind, Role, Sector
from schakel.signals.models import Signal

from .names import FIRST_NAMES, LAST_NAMES

#: Signals per size; the large set for benchmarks is sized with ``--signals``.
SIGNALS_PER_SIZE = {"small": 300, "large": 1_000_000}

REGIONS_FILE = Path(__file__).resolve().parent / "data" / "regions.yaml"

#: The one demo password, printed by ``make demo``. Demo accounts cannot sign in in
#: production mode (``SchakelBackend``), and ``schakel demo`` refuses to run there.
DEMO_PASSWORD = "schakel-demo"  # noqa: S105

Progress = Callable[[str, int], Iterator[int]]


@dataclass(frozen=True)
class OrgSpec:
    name: str
    sector: Sector
    place: str  # region or municipality code; "NL" for national bodies
    functions: tuple[Function, ...] = ()
    country: str = "NL"


SMALL_ORGANISATIONS: tuple[OrgSpec, ...] = (
    OrgSpec("Politie Eenheid Zeeland-West-Brabant", Sector.POLICE, "PE-ZWB"),
    OrgSpec("Politie Eenheid Noord-Nederland", Sector.POLICE, "PE-NN"),
    OrgSpec("Politie Eenheid Amsterdam", Sector.POLICE, "PE-AM"),
    OrgSpec("Openbaar Ministerie Zeeland-West-Brabant", Sector.PUBLIC_PROSECUTION, "PE-ZWB"),
    OrgSpec("Openbaar Ministerie Noord-Nederland", Sector.PUBLIC_PROSECUTION, "PE-NN"),
    OrgSpec(
        "Nederlandse Arbeidsinspectie",
        Sector.LABOUR_INSPECTORATE,
        "NL",
        (Function.FINANCIAL_INVESTIGATION,),
    ),
    OrgSpec(
        "Koninklijke Marechaussee", Sector.ROYAL_MARECHAUSSEE, "NL", (Function.IMMIGRATION_LIAISON,)
    ),
    OrgSpec(
        "Immigratie- en Naturalisatiedienst",
        Sector.IMMIGRATION_SERVICE,
        "NL",
        (Function.IMMIGRATION_LIAISON,),
    ),
    OrgSpec(
        "Centraal Orgaan opvang asielzoekers",
        Sector.ASYLUM_RECEPTION,
        "NL",
        (Function.REPORTING_OBLIGATION,),
    ),
    OrgSpec("Gemeente Breda", Sector.MUNICIPALITY, "GM0758"),
    OrgSpec("Gemeente Tilburg", Sector.MUNICIPALITY, "GM0855"),
    OrgSpec("Gemeente Middelburg", Sector.MUNICIPALITY, "GM0687"),
    OrgSpec("Gemeente Groningen", Sector.MUNICIPALITY, "GM0014"),
    OrgSpec("Gemeente Amsterdam", Sector.MUNICIPALITY, "GM0363"),
    OrgSpec(
        "Zorgcoördinatie Mensenhandel West-Brabant (demo)",
        Sector.CARE_COORDINATION,
        "GM0758",
        (Function.CARE_COORDINATION, Function.SIGNAL_TABLE_CHAIR),
    ),
    OrgSpec(
        "Zorgcoördinatie Mensenhandel Groningen (demo)",
        Sector.CARE_COORDINATION,
        "GM0014",
        (Function.CARE_COORDINATION, Function.SIGNAL_TABLE_CHAIR),
    ),
    OrgSpec(
        "Zorgcoördinatie Mensenhandel Amsterdam (demo)",
        Sector.CARE_COORDINATION,
        "GM0363",
        (Function.CARE_COORDINATION, Function.SIGNAL_TABLE_CHAIR),
    ),
    OrgSpec(
        "Opvang De Veilige Haven (demo)", Sector.SHELTER, "GM0855", (Function.SHELTER_PLACEMENT,)
    ),
    OrgSpec("Jeugdzorg Brabant (demo)", Sector.YOUTH_CARE, "GM0758", (Function.YOUTH_PROTECTION,)),
    OrgSpec("GGD West-Brabant (demo)", Sector.HEALTH_CARE, "GM0758"),
    OrgSpec("Stichting Kompas (demo)", Sector.NGO, "GM0758", (Function.REPORTING_OBLIGATION,)),
    OrgSpec("Stichting Eerlijk Werk (demo)", Sector.NGO, "GM0363"),
    OrgSpec("Migrantenplatform Zuid (demo)", Sector.MIGRANT_ORGANISATION, "GM0855"),
    OrgSpec(
        "Landelijk Coördinatiecentrum Slachtoffers (demo)",
        Sector.CARE_COORDINATION,
        "NL",
        (Function.NATIONAL_COORDINATION_CENTRE,),
    ),
    OrgSpec("Programma Samen tegen Mensenhandel (demo)", Sector.OTHER, "NL"),
    OrgSpec(
        "Inspectoratul General al Poliției Române (demo partner)",
        Sector.INTERNATIONAL_PARTNER,
        "",
        country="RO",
    ),
    OrgSpec("Woningcorporatie Brabantse Wal (demo)", Sector.OTHER, "GM0748"),
)

#: Sharing groups: name, chair organisation, region code, member organisation names.
_ZWB_MEMBERS = (
    "Politie Eenheid Zeeland-West-Brabant",
    "Openbaar Ministerie Zeeland-West-Brabant",
    "Gemeente Breda",
    "Gemeente Tilburg",
    "Gemeente Middelburg",
    "Zorgcoördinatie Mensenhandel West-Brabant (demo)",
    "Opvang De Veilige Haven (demo)",
    "Jeugdzorg Brabant (demo)",
    "GGD West-Brabant (demo)",
    "Stichting Kompas (demo)",
    "Migrantenplatform Zuid (demo)",
    "Nederlandse Arbeidsinspectie",
    "Koninklijke Marechaussee",
)
SHARING_GROUPS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "Signaaltafel Zeeland-West-Brabant",
        "Zorgcoördinatie Mensenhandel West-Brabant (demo)",
        "PE-ZWB",
        _ZWB_MEMBERS,
    ),
    (
        "Signaaltafel Noord-Nederland",
        "Zorgcoördinatie Mensenhandel Groningen (demo)",
        "PE-NN",
        (
            "Politie Eenheid Noord-Nederland",
            "Openbaar Ministerie Noord-Nederland",
            "Gemeente Groningen",
            "Zorgcoördinatie Mensenhandel Groningen (demo)",
            "Nederlandse Arbeidsinspectie",
        ),
    ),
    (
        "Signaaltafel Amsterdam-Amstelland",
        "Zorgcoördinatie Mensenhandel Amsterdam (demo)",
        "PE-AM",
        (
            "Politie Eenheid Amsterdam",
            "Gemeente Amsterdam",
            "Zorgcoördinatie Mensenhandel Amsterdam (demo)",
            "Stichting Eerlijk Werk (demo)",
        ),
    ),
    (
        "Landelijk Ketenoverleg Mensenhandel",
        "Programma Samen tegen Mensenhandel (demo)",
        "",
        (
            "Programma Samen tegen Mensenhandel (demo)",
            "Landelijk Coördinatiecentrum Slachtoffers (demo)",
            "Nederlandse Arbeidsinspectie",
            "Koninklijke Marechaussee",
            "Immigratie- en Naturalisatiedienst",
            "Centraal Orgaan opvang asielzoekers",
        ),
    ),
)


@dataclass(frozen=True)
class Persona:
    key: str
    username: str
    organisation: str
    roles: tuple[Role, ...]
    description: str


#: One login per persona, printed by ``make demo``.
PERSONAS: tuple[Persona, ...] = (
    Persona(
        "care_coordinator",
        "zorgcoordinator",
        "Zorgcoördinatie Mensenhandel West-Brabant (demo)",
        (Role.CARE_COORDINATOR,),
        "care coordinator, Zeeland-West-Brabant (chairs the signal table)",
    ),
    Persona(
        "police_analyst",
        "politie-analist",
        "Politie Eenheid Zeeland-West-Brabant",
        (Role.ANALYST,),
        "police analyst, Zeeland-West-Brabant",
    ),
    Persona(
        "front_desk",
        "baliemedewerker",
        "Gemeente Breda",
        (Role.FRONT_DESK,),
        "front-desk worker, Gemeente Breda (no second factor needed)",
    ),
    Persona(
        "ngo_worker",
        "ngo-medewerker",
        "Stichting Kompas (demo)",
        (Role.PROFESSIONAL,),
        "NGO worker, Breda",
    ),
    Persona(
        "org_admin",
        "beheerder-breda",
        "Gemeente Breda",
        (Role.ORG_ADMIN, Role.PROFESSIONAL),
        "organisation administrator, Gemeente Breda",
    ),
    Persona(
        "national_coordinator",
        "landelijk-coordinator",
        "Programma Samen tegen Mensenhandel (demo)",
        (Role.NATIONAL_COORDINATOR,),
        "national coordinator",
    ),
    Persona(
        "outsider",
        "zorgcoordinator-groningen",
        "Zorgcoördinatie Mensenhandel Groningen (demo)",
        (Role.CARE_COORDINATOR,),
        "care coordinator in another region (Noord-Nederland)",
    ),
)


@dataclass
class Result:
    regions: int = 0
    organisations: int = 0
    users: int = 0
    groups: int = 0
    contacts: int = 0
    signals: int = 0
    cases: int = 0  # opened by ``schakel.demo.cases`` once the signals' entities exist
    personas: list[Persona] = field(default_factory=list)


def _no_progress(label: str, total: int) -> Iterator[int]:
    return iter(range(total))


class Generator:
    def __init__(self, seed: int, progress: Progress | None = None) -> None:
        self.random = random.Random(seed)  # noqa: S311 - synthetic data, not security
        self.progress = progress or _no_progress
        self.places: dict[str, Region] = {}
        self.organisations: dict[str, Organisation] = {}
        self.result = Result()
        self._usernames: set[str] = set()
        self._password_hash: str | None = None

    def person_name(self) -> tuple[str, str]:
        return self.random.choice(FIRST_NAMES), self.random.choice(LAST_NAMES)

    # Places -----------------------------------------------------------------------------

    def regions(self) -> None:
        document: dict[str, Any] = yaml.safe_load(REGIONS_FILE.read_text(encoding="utf-8"))
        country, _ = Region.objects.get_or_create(
            code=document["country"]["code"],
            defaults={
                "name": document["country"]["name"],
                "kind": RegionKind.COUNTRY,
                "country_code": "NL",
            },
        )
        self.places[country.code] = country
        for entry in document["regions"]:
            region, _ = Region.objects.get_or_create(
                code=entry["code"],
                defaults={
                    "name": entry["name"],
                    "kind": RegionKind.REGION,
                    "parent": country,
                    "country_code": "NL",
                },
            )
            self.places[region.code] = region
            for code, name in entry["municipalities"]:
                municipality, _ = Region.objects.get_or_create(
                    code=code,
                    defaults={
                        "name": name,
                        "kind": RegionKind.MUNICIPALITY,
                        "parent": region,
                        "country_code": "NL",
                    },
                )
                self.places[code] = municipality
        self.result.regions = len(self.places)

    # Organisations ----------------------------------------------------------------------

    def organisation(self, spec: OrgSpec) -> Organisation:
        slug = "".join(ch for ch in spec.name.lower() if ch.isalnum())[:20]
        org, _ = Organisation.objects.get_or_create(
            name=spec.name,
            defaults={
                "sector": spec.sector,
                "country_code": spec.country,
                "region": self.places.get(spec.place),
                "email": f"info@{slug}.demo.invalid",
            },
        )
        for function in spec.functions:
            OrganisationFunction.objects.get_or_create(organisation=org, function=function)
        self.organisations[org.name] = org
        return org

    def small_organisations(self) -> None:
        for spec in SMALL_ORGANISATIONS:
            self.organisation(spec)

    def large_organisations(self, count: int) -> None:
        municipalities = sorted(
            code for code, place in self.places.items() if place.kind == RegionKind.MUNICIPALITY
        )
        sectors = [s for s in Sector if s is not Sector.INTERNATIONAL_PARTNER]
        for index in self.progress("organisations", count):
            sector = sectors[index % len(sectors)]
            place = municipalities[self.random.randrange(len(municipalities))]
            spec = OrgSpec(
                f"{sector.label} {self.places[place].name} {index + 1:05d} (demo)", sector, place
            )
            org = self.organisation(spec)
            for _ in range(3):
                self.user(
                    org,
                    (
                        self.random.choice(
                            [Role.PROFESSIONAL, Role.ANALYST, Role.COORDINATOR, Role.FRONT_DESK]
                        ),
                    ),
                )

    # Users ------------------------------------------------------------------------------

    def user(
        self,
        org: Organisation,
        roles: tuple[Role, ...],
        username: str | None = None,
    ) -> User:
        first, last = self.person_name()
        if username is None:
            base = f"{first}.{last}".lower().replace(" ", "").replace("ś", "s")
            username, n = base, 1
            while username in self._usernames or User.objects.filter(username=username).exists():
                n += 1
                username = f"{base}{n}"
        self._usernames.add(username)
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "organisation": org,
                "first_name": first,
                "last_name": last,
                "email": f"{username}@demo.invalid",
                "is_demo": True,
            },
        )
        if created:
            # One Argon2 hash for every demo user (they share the password): hashing it per
            # user cost 0.1 s each, ten minutes for the large demo's 6,000 users.
            if self._password_hash is None:
                self._password_hash = make_password(DEMO_PASSWORD)
            user.password = self._password_hash
            user.save(update_fields=["password"])
            UserRole.objects.bulk_create([UserRole(user=user, role=r) for r in roles])
            self.result.users += 1
        return user

    def personas(self) -> None:
        for persona in PERSONAS:
            self.user(
                self.organisations[persona.organisation], persona.roles, username=persona.username
            )
            self.result.personas.append(persona)
        # Every other organisation gets an administrator and a professional.
        for org in self.organisations.values():
            if not UserRole.objects.filter(user__organisation=org, role=Role.ORG_ADMIN).exists():
                self.user(org, (Role.ORG_ADMIN,))
            if not User.objects.filter(organisation=org, role_set__role=Role.PROFESSIONAL).exists():
                self.user(org, (Role.PROFESSIONAL,))

    # Groups and contacts ----------------------------------------------------------------

    def sharing_groups(self) -> None:
        for name, chair, region_code, members in SHARING_GROUPS:
            group, _ = SharingGroup.objects.get_or_create(
                name=name,
                defaults={
                    "chair_organisation": self.organisations[chair],
                    "region": self.places.get(region_code),
                    "description": "Demo sharing group.",
                },
            )
            for member in members:
                SharingGroupMembership.objects.get_or_create(
                    group=group, organisation=self.organisations[member]
                )
            chairs = User.objects.filter(
                organisation=self.organisations[chair],
                role_set__role__in=[
                    Role.CARE_COORDINATOR,
                    Role.ORG_ADMIN,
                    Role.NATIONAL_COORDINATOR,
                ],
            )
            group.chair_users.add(*chairs)
        self.result.groups = len(SHARING_GROUPS)

    def region_contacts(self) -> None:
        police = {
            org.region.code: org
            for org in self.organisations.values()
            if org.sector == Sector.POLICE and org.region is not None
        }
        care = {}
        for org in self.organisations.values():
            if org.sector == Sector.CARE_COORDINATION and org.region is not None:
                region = org.region.police_region()
                if region is not None:
                    care[region.code] = org
        for code, place in self.places.items():
            if place.kind != RegionKind.REGION:
                continue
            for kind, contact_org in (
                (ContactKind.CARE_COORDINATOR, care.get(code)),
                (ContactKind.POLICE, police.get(code)),
            ):
                if contact_org is None:
                    continue
                if RegionContact.objects.filter(region=place, kind=kind).exists():
                    continue
                user = User.objects.filter(organisation=contact_org).order_by("pk").first()
                first, last = self.person_name()
                name = str(user) if user else f"{first} {last}"
                RegionContact.objects.create(
                    region=place,
                    kind=kind,
                    name=name,
                    organisation=contact_org,
                    user=user,
                    email=f"{kind.replace('_', '-')}.{code.lower()}@demo.invalid",
                    phone=f"+31 88 {self.random.randrange(100, 999)} "
                    f"{self.random.randrange(1000, 9999)}",
                )
                self.result.contacts += 1


def generate(
    size: str = "small",
    seed: int = 1,
    *,
    organisations: int | None = None,
    signals: int | None = None,
    progress: Progress | None = None,
) -> Result:
    """Create (or complete) the demo data. Refused in production mode."""
    if settings.PRODUCTION:
        raise NotAllowed("Demo data is refused in production mode (SCHAKEL_MODE=production).")
    if size not in {"small", "large"}:
        raise ValueError(f"unknown size {size!r}")
    generator = Generator(seed, progress)
    with transaction.atomic():
        generator.regions()
        generator.small_organisations()
        generator.personas()
        generator.sharing_groups()
        generator.region_contacts()
    if size == "large":
        # One transaction: an interrupted run leaves nothing half-written.
        with transaction.atomic():
            generator.large_organisations(organisations or 2000)
    wanted = signals if signals is not None else SIGNALS_PER_SIZE[size]
    if wanted and not Signal.objects.exists():
        # Signals are generated once; a second run leaves them as they are.
        from schakel.demo.signals import generate_signals

        generator.result.signals = generate_signals(wanted, seed=seed, progress=progress).created
    generator.result.organisations = Organisation.objects.count()
    return generator.result
