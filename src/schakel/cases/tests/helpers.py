"""Cases for tests, built through the real services from signals made by the real intake."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.test import Client, TestCase
from django.utils import timezone
from rest_framework.test import APIClient

from schakel.cases import services
from schakel.cases.models import Case, CasePerson
from schakel.entities.clustering import write_groups
from schakel.entities.models import Entity, Mention, Schema
from schakel.partners.models import User
from schakel.signals.intake import PersonInput
from schakel.signals.models import Signal
from schakel.signals.tests.factories import make_signal
from schakel.signaltable import services as table
from schakel.signaltable.models import Decision, Meeting
from schakel.testing.personas import World

SignIn = Callable[[User], Client]
#: ``token_client(user)`` (the conftest fixture): an API client sending the user's token.
TokenClient = Callable[[User], APIClient]

#: The NGO's signal names a possible victim of its own; the municipality's signal names
#: Ioana Popescu (a possible victim) and Marius Dragomir (a suspect).
NGO_VICTIM = ("Dana", "Ionescu")


def municipality_signal(world: World, **overrides: Any) -> Signal:
    return make_signal(world.users["care_coordinator"], groups=[world.table_a], **overrides)


def ngo_signal(world: World, **overrides: Any) -> Signal:
    values: dict[str, Any] = {
        "persons": [
            PersonInput(
                role="possible_victim", given_names=NGO_VICTIM[0], family_name=NGO_VICTIM[1]
            )
        ],
        "companies": [],
        "addresses": [],
        "ibans": [],
    }
    values.update(overrides)
    return make_signal(world.users["ngo_worker"], groups=[world.table_a], **values)


def open_case(
    world: World,
    signals: list[Signal],
    *,
    tlp: str = "AMBER",
    purpose: str = "victim_protection",
    by: str = "care_coordinator",
    groups: list[Any] | None = None,
) -> Case:
    """A case led by the municipality of region A, Carla its care coordinator, shared with
    the signal table of region A."""
    return services.open_case(
        lead_organisation=world.municipality_a,
        region=world.region_a,
        signals=signals,
        care_coordinator=world.users["care_coordinator"],
        tlp=tlp,
        purpose=purpose,
        sharing_groups=[world.table_a] if groups is None else groups,
        actor=world.users[by],
    )


def meeting_of_table_a(world: World) -> Meeting:
    return table.create_meeting(
        world.table_a,
        starts_at=timezone.make_aware(datetime(2026, 12, 3, 14, 0)),
        actor=world.users["care_coordinator"],
    )


def decide(
    world: World, meeting: Meeting, signals: list[Signal], outcome: str = "open_case"
) -> Decision:
    return table.record_decision(
        meeting,
        [s.pk for s in signals],
        outcome=outcome,
        rationale="Meerdere partners zien dezelfde uitbuitingssituatie.",
        actor=world.users["care_coordinator"],
    )


def absorbed_by_linkage(world: World, person: CasePerson, name: tuple[str, str]) -> Entity:
    """Two later signals of the NGO name the same person; linkage joins them first, then the
    case's own mention to them, so the entity the case person was recorded as is the one
    merged away (the larger group keeps its entity). Returns the entity that holds her now."""
    same = [PersonInput(role="possible_victim", given_names=name[0], family_name=name[1])]
    later = [ngo_signal(world, persons=same), ngo_signal(world, persons=same)]
    services.people_of(later)
    ours = Mention.objects.filter(entity_id=person.entity_id, schema=Schema.PERSON).first()
    assert ours is not None
    theirs = [Mention.objects.get(signal=s, role="possible_victim").pk for s in later]
    with TestCase.captureOnCommitCallbacks(execute=True):
        write_groups("Person", [theirs])
    with TestCase.captureOnCommitCallbacks(execute=True):
        write_groups("Person", [[*theirs, ours.pk]])
    recorded = Entity.objects.get(pk=person.entity_id)
    assert recorded.merged_into_id is not None, "the case person's entity was to be merged away"
    return Entity.objects.get(pk=Mention.objects.get(pk=ours.pk).entity_id)
