"""Who sees which case, by the one policy: the object check and the list filter agree with
each other for any viewer, and the personas see what the matrix says."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schakel.access import policy
from schakel.access.matrix import Level
from schakel.access.policy import Viewer
from schakel.cases import services
from schakel.cases.models import Case
from schakel.cases.tests.helpers import municipality_signal, ngo_signal, open_case
from schakel.partners.vocabulary import Role, Sector
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db


def _cases(world: World) -> dict[str, Case]:
    signal, from_ngo = municipality_signal(world), ngo_signal(world)
    cases = {
        "amber": open_case(world, [signal, from_ngo]),
        "care_referral": open_case(world, [signal], purpose="care_referral"),
        "investigation": open_case(world, [signal], purpose="criminal_investigation"),
        "strict": open_case(world, [signal], tlp="AMBER+STRICT"),
        "red": open_case(world, [signal, from_ngo], tlp="RED"),
    }
    outsider = world.users["outsider"]
    cases["region_b"] = services.open_case(
        lead_organisation=world.municipality_b,
        region=world.region_b,
        signals=[],
        care_coordinator=outsider,
        sharing_groups=[world.table_b],
        actor=outsider,
    )
    return cases


EXPECTED: dict[str, dict[str, dict[str, Level] | None]] = {
    # persona -> case -> levels (general, care, justice), None: not visible (404)
    "care_coordinator": {
        "amber": {"general": Level.FULL, "care": Level.FULL, "justice": Level.FULL},
        "red": {"general": Level.FULL, "care": Level.FULL, "justice": Level.FULL},
        "region_b": None,
    },
    "police_analyst": {
        "amber": {"general": Level.FULL, "care": Level.REDACTED, "justice": Level.FULL},
        "investigation": {"general": Level.FULL, "care": Level.REDACTED, "justice": Level.FULL},
        "care_referral": {
            "general": Level.REDACTED,
            "care": Level.REDACTED,
            "justice": Level.REDACTED,
        },
        "strict": {"general": Level.FULL, "care": Level.REDACTED, "justice": Level.FULL},
        "red": None,
        "region_b": None,
    },
    "ngo_worker": {
        "amber": {"general": Level.REDACTED, "care": Level.REDACTED, "justice": Level.REDACTED},
        "care_referral": None,  # the NGO contributed nothing to it
        "red": None,
    },
    "org_admin": {  # a professional of the lead organisation
        "amber": {"general": Level.FULL, "care": Level.FULL, "justice": Level.FULL},
    },
    "front_desk": {"amber": None, "red": None},
    "national_coordinator": {"amber": None},
    "outsider": {
        "amber": None,
        "red": None,
        "region_b": {"general": Level.FULL, "care": Level.FULL, "justice": Level.FULL},
    },
}


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_each_persona_sees_what_the_matrix_says(world: World, persona: str) -> None:
    cases = _cases(world)
    user = world.users[persona]
    listed = set(services.visible_cases(user))
    for name, expected in EXPECTED[persona].items():
        case = cases[name]
        if expected is None:
            assert not policy.can(user, "view", case), name
            assert case not in listed, name
        else:
            assert policy.decide(user, "view", case).levels == expected, name
            assert case in listed, name


def test_the_lead_and_the_care_coordinator_change_a_case_others_do_not(world: World) -> None:
    case = _cases(world)["amber"]
    assert policy.can(world.users["care_coordinator"], "change", case)
    assert policy.can(world.users["org_admin"], "change", case)  # a professional of the lead
    for persona in ("police_analyst", "ngo_worker", "front_desk", "outsider"):
        assert not policy.can(world.users[persona], "change", case), persona


viewers = st.builds(
    Viewer,
    user_id=st.integers(min_value=1, max_value=12),
    organisation_id=st.one_of(st.none(), st.integers(min_value=1, max_value=6)),
    sector=st.sampled_from([None, *Sector.values]),
    roles=st.frozensets(st.sampled_from(Role.values), max_size=3),
    group_ids=st.frozensets(st.integers(min_value=1, max_value=3), max_size=3),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(viewer=viewers)
def test_the_list_filter_and_the_object_check_agree_for_any_viewer(
    world: World, viewer: Any
) -> None:
    if not Case.objects.exists():
        _cases(world)
    everything = list(Case.objects.all())
    for action in ("view", "change", "open"):
        listed = set(policy.visible(viewer, Case.objects.all(), action))
        checked = {case for case in everything if policy.can(viewer, action, case)}
        assert listed == checked, action
