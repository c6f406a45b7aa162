"""Who sees what of a signal: expectations derived from the matrix file itself.

The property test reads ``matrix.yaml`` directly (not through the policy), works out each
viewer's relation to each signal from the raw data, and checks that the object check, the
list filter and that independent reading agree.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
import time_machine
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schakel.access import policy
from schakel.access.matrix import MATRIX_PATH
from schakel.access.policy import Viewer
from schakel.partners.vocabulary import Role, Sector
from schakel.signals.access import seeing_general_details_in_full
from schakel.signals.models import Signal
from schakel.signals.tests.factories import make_signal
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db
LEVELS = {"none": 0, "redacted": 1, "full": 2}


@functools.cache
def _rules() -> tuple[dict[str, Any], ...]:
    # Read once: parsing the matrix file for every signal of every example took 99 % of the
    # property test's time (over 100 s).
    return tuple(yaml.safe_load(MATRIX_PATH.read_text())["resources"]["signals.signal"])


def _selected(rule: dict[str, Any], key: str, value: Any) -> bool:
    chosen = rule.get(key, "*")
    return chosen == "*" or chosen == ["*"] or value in chosen


def expected_levels(viewer: Viewer, signal: Signal, action: str = "view") -> dict[str, int]:
    """The matrix read by hand: relations from raw data, rules from the YAML file."""
    relations = set()
    if viewer.user_id is None:
        return {"general": 0, "care": 0, "justice": 0}
    relations.add("authenticated")
    if viewer.organisation_id and signal.owner_organisation_id == viewer.organisation_id:
        relations.add("owner")
    if signal.submitted_by_id == viewer.user_id:
        relations.add("submitter")
    groups = set(signal.sharing_groups.values_list("pk", flat=True))
    if viewer.group_ids & groups:
        relations.add("group_member")
    if viewer.organisation_id in set(signal.recipients.values_list("pk", flat=True)):
        relations.add("named_recipient")
    levels = {"general": 0, "care": 0, "justice": 0}
    for rule in _rules():
        if rule["relation"] not in relations or action not in rule.get("actions", ["view"]):
            continue
        if not _selected(rule, "sectors", viewer.sector):
            continue
        roles = rule.get("roles", "*")
        if roles not in ("*", ["*"]) and not (set(roles) & viewer.roles):
            continue
        if not (
            _selected(rule, "labels", signal.tlp) and _selected(rule, "purposes", signal.purpose)
        ):
            continue
        for category in levels:
            level = rule["level"] if "level" in rule else rule["categories"].get(category, "none")
            levels[category] = max(levels[category], LEVELS[level])
    return levels


@pytest.fixture
def signals(world: World) -> list[Signal]:
    carla, fenna = world.users["care_coordinator"], world.users["front_desk"]
    piet = world.users["police_analyst"]
    made = []
    with time_machine.travel("2026-11-29", tick=True):
        for tlp in ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"):
            for purpose in ("signal_table_assessment", "criminal_investigation"):
                personal = (
                    {}
                    if tlp != "CLEAR"
                    else {"persons": [], "companies": [], "addresses": [], "ibans": []}
                )
                # RED goes to named recipients only: the NGO here, the police below.
                sharing = (
                    {"groups": [world.table_a]}
                    if tlp != "RED"
                    else {"groups": [], "recipient_ids": [world.ngo_a.pk]}
                )
                made.append(make_signal(carla, tlp=tlp, purpose=purpose, **sharing, **personal))
        made.append(make_signal(fenna, groups=[world.table_a], channel="short_form"))
        made.append(make_signal(piet, groups=[world.table_a], tlp="AMBER+STRICT"))
        made.append(make_signal(piet, tlp="RED", recipient_ids=[world.municipality_a.pk]))
    return made


viewers = st.builds(
    Viewer,
    user_id=st.integers(min_value=1, max_value=9),
    organisation_id=st.one_of(st.none(), st.integers(min_value=1, max_value=6)),
    sector=st.sampled_from([None, *Sector.values]),
    roles=st.frozensets(st.sampled_from(Role.values), max_size=3),
    group_ids=st.frozensets(st.integers(min_value=1, max_value=3), max_size=3),
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(viewer=viewers, action=st.sampled_from(["view", "change", "retriage"]))
def test_the_list_filter_the_object_check_and_the_matrix_agree(
    signals: list[Signal], viewer: Viewer, action: str
) -> None:
    listed = set(policy.visible(viewer, Signal.objects.all(), action))
    for signal in signals:
        expected = expected_levels(viewer, signal, action)
        decided = {
            c: int(level) for c, level in policy.decide(viewer, action, signal).levels.items()
        }
        assert decided == expected, (signal.tlp, signal.purpose)
        needed = 1 if action == "view" else 2
        assert (signal in listed) == (expected["general"] >= needed)
        assert policy.can(viewer, action, signal) == (expected["general"] >= needed)


def _levels(world: World, persona: str, signal: Signal) -> dict[str, str]:
    decision = policy.decide(world.users[persona], "view", signal)
    return {c: level.label for c, level in decision.levels.items()}


def test_each_persona_sees_what_the_matrix_gives_them(world: World, signals: list[Signal]) -> None:
    amber = signals[4]  # AMBER, for the table's assessment
    assert amber.tlp == "AMBER" and amber.purpose == "signal_table_assessment"
    assert _levels(world, "care_coordinator", amber) == {
        "general": "full",
        "care": "full",
        "justice": "full",
    }
    assert _levels(world, "police_analyst", amber) == {
        "general": "full",
        "care": "redacted",
        "justice": "full",
    }
    assert _levels(world, "ngo_worker", amber)["general"] == "none"  # civil society: not AMBER
    green = signals[2]
    assert _levels(world, "ngo_worker", green) == {
        "general": "redacted",
        "care": "redacted",
        "justice": "redacted",
    }
    assert not policy.can(world.users["outsider"], "view", amber)
    assert not policy.can(world.users["national_coordinator"], "view", amber)


def test_a_front_desk_worker_sees_only_their_own_submissions(
    world: World, signals: list[Signal]
) -> None:
    fenna = world.users["front_desk"]
    own = {s for s in signals if s.submitted_by_id == fenna.pk}
    assert len(own) == 1
    assert set(policy.visible(fenna, Signal.objects.all())) == own


def test_red_goes_only_to_named_recipients(world: World, signals: list[Signal]) -> None:
    red = signals[-1]
    assert policy.can(world.users["care_coordinator"], "view", red)  # named recipient
    assert not policy.can(world.users["ngo_worker"], "view", red)  # same table, not named
    not_named = signals[8]  # RED by the municipality, for the NGO alone
    assert not policy.can(world.users["police_analyst"], "view", not_named)


def test_the_role_categories_use_codes_of_the_vocabulary() -> None:
    from schakel.signals.access import CARE_ROLES, JUSTICE_ROLES
    from schakel.signals.rules.vocabulary import current

    assert current().codes("person_roles") >= (CARE_ROLES | JUSTICE_ROLES)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(viewer=viewers)
def test_the_filter_of_signals_seen_in_full_agrees_with_the_matrix(
    signals: list[Signal], viewer: Viewer
) -> None:
    """Search looks in a description only where the viewer sees it: the signals whose general
    details the matrix gives them in full, and no other."""
    in_full = set(seeing_general_details_in_full(viewer, Signal.objects.all()))
    for signal in signals:
        expected = expected_levels(viewer, signal)["general"] == LEVELS["full"]
        assert (signal in in_full) == expected, (signal.tlp, signal.purpose)
        assert policy.decide(viewer, "view", signal).is_full("general") == expected
