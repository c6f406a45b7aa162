"""Plans for tests: cases opened through the real services, and the partners a plan needs
(a shelter, a youth-care organisation, the police obliged to report)."""

from __future__ import annotations

from datetime import date
from typing import Any

from schakel.cases.models import Case, Plan
from schakel.cases.tests.helpers import municipality_signal, ngo_signal, open_case
from schakel.partners.models import Organisation, OrganisationFunction
from schakel.partners.services import add_group_member
from schakel.partners.vocabulary import Function, Sector
from schakel.signals.intake import PersonInput
from schakel.signals.tests.factories import VICTIM_NAME
from schakel.testing.personas import World

#: A possible victim of 15 in the minors' signal.
MINOR_NAME = ("Elena", "Marin")


def plan_of(case: Case, family_name: str = VICTIM_NAME[1]) -> Plan:
    return Plan.objects.select_related("person__entity", "case").get(
        case=case, person__entity__caption__contains=family_name
    )


def shelter(world: World) -> Organisation:
    org, _ = Organisation.objects.get_or_create(
        name="Opvang Zuid", defaults={"sector": Sector.SHELTER, "region": world.breda}
    )
    return org


def youth_care(world: World) -> Organisation:
    org, _ = Organisation.objects.get_or_create(
        name="Jeugdzorg West-Brabant", defaults={"sector": Sector.YOUTH_CARE, "region": world.breda}
    )
    return org


def police_obliged_to_report(world: World) -> Organisation:
    OrganisationFunction.objects.get_or_create(
        organisation=world.police_a, function=Function.REPORTING_OBLIGATION
    )
    return world.police_a


def case_with_plan(world: World, **kwargs: Any) -> tuple[Case, Plan]:
    """The municipality's case about Ioana Popescu (and the NGO's Dana Ionescu): her plan."""
    case = open_case(world, [municipality_signal(world), ngo_signal(world)], **kwargs)
    return case, plan_of(case)


def minor_case(world: World) -> tuple[Case, Plan]:
    signal = municipality_signal(
        world,
        persons=[
            PersonInput(
                role="possible_victim",
                given_names=MINOR_NAME[0],
                family_name=MINOR_NAME[1],
                date_of_birth=date(2011, 5, 1),
            )
        ],
    )
    case = open_case(world, [signal])
    return case, plan_of(case, MINOR_NAME[1])


def add_youth_care_to_table(world: World) -> Organisation:
    org = youth_care(world)
    add_group_member(world.table_a, org)
    return org
