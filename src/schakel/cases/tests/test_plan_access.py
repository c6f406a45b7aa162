"""Who sees which plan and request, by the one policy: the object check and the list filter
agree for any viewer, and the personas get the levels the matrix gives (cases.plan)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from schakel.access import policy
from schakel.access.matrix import Level
from schakel.cases import plans, referrals
from schakel.cases.models import Plan, PlanRequest
from schakel.cases.tests.plan_helpers import case_with_plan, shelter
from schakel.cases.tests.test_access import viewers
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db

FULL = {"general": Level.FULL, "care": Level.FULL, "justice": Level.FULL}


def _plans(world: World) -> dict[str, Plan]:
    carla = world.users["care_coordinator"]
    made = {}
    for name, options in {
        "amber": {},
        "care_referral": {"purpose": "care_referral"},
        "red": {"tlp": "RED"},
    }.items():
        _case, plan = case_with_plan(world, **options)
        made[name] = plan
    plans.add_action(
        made["red"],
        domain="health",
        description="Huisarts",
        owner_organisation=world.ngo_a,
        actor=carla,
    )
    referrals.request_shelter_placement(made["amber"], recipient=shelter(world), actor=carla)
    return made


@pytest.fixture
def made(world: World) -> dict[str, Plan]:
    return _plans(world)


def test_the_personas_get_what_the_matrix_gives(world: World, made: dict[str, Plan]) -> None:
    def levels(persona: str, name: str) -> dict[str, Level]:
        return policy.decide(world.users[persona], "view", made[name]).levels

    assert levels("care_coordinator", "red") == FULL
    assert levels("police_analyst", "amber") == {
        "general": Level.FULL,
        "care": Level.REDACTED,
        "justice": Level.FULL,
    }
    assert levels("police_analyst", "care_referral")["general"] is Level.REDACTED
    assert not policy.can(world.users["police_analyst"], "view", made["red"])
    # The NGO contributed a signal to each case; it owns an action in the RED one only.
    assert levels("ngo_worker", "amber")["general"] is Level.REDACTED
    assert levels("ngo_worker", "red") == {
        "general": Level.FULL,
        "care": Level.REDACTED,
        "justice": Level.REDACTED,
    }
    for persona in ("outsider", "front_desk", "national_coordinator"):
        assert not policy.visible(world.users[persona], Plan.objects.all()).exists(), persona


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(viewer=viewers)
def test_the_list_filter_and_the_object_check_agree_for_any_viewer(
    world: World, viewer: Any
) -> None:
    if not Plan.objects.exists():
        _plans(world)
    for model in (Plan, PlanRequest):
        everything = list(model.objects.all())
        for action in ("view", "change", "respond", "withdraw"):
            listed = set(policy.visible(viewer, model.objects.all(), action))
            checked = {o for o in everything if policy.can(viewer, action, o)}
            assert listed == checked, (model.__name__, action)
