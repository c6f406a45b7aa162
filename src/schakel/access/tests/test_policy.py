"""The policy's two faces agree, and the matrix decides what each persona sees."""

from __future__ import annotations

import copy
import functools
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schakel.access import policy
from schakel.access.checks import problems
from schakel.access.matrix import MATRIX_PATH, Level, MatrixError, current, parse
from schakel.access.policy import Viewer
from schakel.partners.models import Organisation, RegionContact, SharingGroup, User
from schakel.partners.vocabulary import Role, Sector
from schakel.tasks.models import Task
from schakel.tasks.services import create_task
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db

MODELS = (Organisation, RegionContact, SharingGroup, User, Task)


@functools.cache
def _parsed() -> dict[str, Any]:
    parsed: dict[str, Any] = yaml.safe_load(MATRIX_PATH.read_text(encoding="utf-8"))
    return parsed


def _document() -> dict[str, Any]:
    """The matrix file as data, a copy of its own to change (parsed once: the file takes a
    quarter of a second to parse, and the property test below builds a matrix per example)."""
    return copy.deepcopy(_parsed())


def _tasks(world: World) -> None:
    for org in (world.municipality_a, world.police_a, world.municipality_b):
        create_task(org, f"Task of {org}")


def test_the_installed_matrix_is_valid_and_fits_the_registered_resources() -> None:
    matrix = current()
    assert problems(matrix) == []
    assert {"partners.user", "partners.sharinggroup", "tasks.task"} <= matrix.resources


def test_a_malformed_matrix_is_refused_naming_the_place() -> None:
    document = _document()
    document["resources"]["partners.user"][0]["level"] = "everything"
    with pytest.raises(MatrixError, match=r"resources/partners.user/0/level"):
        parse(document)


def test_a_rule_with_an_unknown_relation_is_reported() -> None:
    document = _document()
    document["resources"]["partners.user"].append({"relation": "neighbour", "level": "full"})
    assert any("unknown relation 'neighbour'" in p for p in problems(parse(document)))


def test_a_rule_selecting_labels_on_a_resource_without_labels_is_reported() -> None:
    document = _document()
    document["resources"]["tasks.task"].append(
        {"relation": "owner_organisation", "labels": ["RED"], "level": "full"}
    )
    assert any("carries none" in p for p in problems(parse(document)))


def test_unknown_roles_in_the_matrix_are_reported() -> None:
    document = _document()
    document["resources"]["tasks.task"].append(
        {"relation": "owner_organisation", "roles": ["janitor"], "level": "full"}
    )
    assert any("unknown roles ['janitor']" in p for p in problems(parse(document)))


def test_legal_bases_per_sector_come_from_the_matrix() -> None:
    assert "wpg_art_13" in policy.legal_bases_for(Sector.POLICE)
    assert "wpg_art_13" not in policy.legal_bases_for(Sector.SHELTER)
    for sector in Sector.values:
        assert policy.legal_bases_for(sector), sector


def test_the_outsider_sees_no_user_group_or_task_of_region_a(world: World) -> None:
    _tasks(world)
    outsider = world.users["outsider"]
    assert not policy.can(outsider, "view", world.table_a)
    assert not policy.can(outsider, "view", world.users["care_coordinator"])
    task_a = Task.objects.get(owner_organisation=world.municipality_a)
    assert not policy.can(outsider, "view", task_a)
    assert world.table_a not in policy.visible(outsider, SharingGroup.objects.all())
    # ... but everyone sees the directory of organisations and the region contacts.
    assert policy.can(outsider, "view", world.municipality_a)
    assert policy.visible(outsider, Organisation.objects.all()).count() == 5


def test_group_members_see_their_table_and_national_coordinators_see_all(world: World) -> None:
    assert policy.can(world.users["ngo_worker"], "view", world.table_a)
    assert not policy.can(world.users["ngo_worker"], "view", world.table_b)
    national = world.users["national_coordinator"]
    assert set(policy.visible(national, SharingGroup.objects.all())) == {
        world.table_a,
        world.table_b,
    }


def test_only_organisation_administrators_manage_their_own_users(world: World) -> None:
    admin, colleague = world.users["org_admin"], world.users["front_desk"]
    assert policy.can(admin, "manage", colleague)
    assert not policy.can(admin, "manage", world.users["police_analyst"])
    assert not policy.can(world.users["care_coordinator"], "manage", colleague)
    assert policy.decide(admin, "view", colleague).levels["general"] is Level.FULL


def test_anonymous_users_see_nothing(world: World) -> None:
    from django.contrib.auth.models import AnonymousUser

    for model in MODELS:
        assert not policy.visible(AnonymousUser(), model.objects.all()).exists()
    assert not policy.can(AnonymousUser(), "view", world.municipality_a)


def test_a_user_of_a_deactivated_organisation_sees_nothing_of_the_chain(world: World) -> None:
    world.municipality_a.is_active = False
    world.municipality_a.save()
    user = User.objects.get(pk=world.users["care_coordinator"].pk)
    assert not policy.visible(user, SharingGroup.objects.all()).exists()
    assert not policy.visible(user, User.objects.exclude(pk=user.pk)).exists()


viewers = st.builds(
    Viewer,
    user_id=st.integers(min_value=1, max_value=12),
    organisation_id=st.one_of(st.none(), st.integers(min_value=1, max_value=6)),
    sector=st.sampled_from([None, *Sector.values]),
    roles=st.frozensets(st.sampled_from(Role.values), max_size=3),
    group_ids=st.frozensets(st.integers(min_value=1, max_value=3), max_size=3),
)


def _random_rule(draw: Any, relations: list[str]) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "relation": draw(st.sampled_from(relations)),
        "actions": draw(
            st.lists(
                st.sampled_from(["view", "change", "manage"]), min_size=1, max_size=2, unique=True
            )
        ),
        "categories": {
            c: draw(st.sampled_from(["none", "redacted", "full"]))
            for c in ("general", "care", "justice")
        },
    }
    if draw(st.booleans()):
        rule["sectors"] = draw(
            st.lists(st.sampled_from(Sector.values), min_size=1, max_size=4, unique=True)
        )
    if draw(st.booleans()):
        rule["roles"] = draw(
            st.lists(st.sampled_from(Role.values), min_size=1, max_size=3, unique=True)
        )
    return rule


@st.composite
def matrices(draw: Any) -> Any:
    document = _document()
    for resource_name, resource in policy.resources().items():
        relations = sorted(resource.relations)
        document["resources"][resource_name] = [
            _random_rule(draw, relations) for _ in range(draw(st.integers(0, 4)))
        ]
    return parse(document)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(viewer=viewers, matrix=matrices(), action=st.sampled_from(["view", "change", "manage"]))
def test_the_object_check_and_the_list_filter_agree(
    world: World, viewer: Viewer, matrix: Any, action: str
) -> None:
    if not Task.objects.exists():
        _tasks(world)
    for model in MODELS:
        everything = list(model.objects.all())
        listed = set(policy.visible(viewer, model.objects.all(), action, matrix=matrix))
        checked = {obj for obj in everything if policy.can(viewer, action, obj, matrix=matrix)}
        assert listed == checked, (model.__name__, action)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(viewer=viewers)
def test_the_installed_matrix_agrees_with_itself_for_any_viewer(
    world: World, viewer: Viewer
) -> None:
    if not Task.objects.exists():
        _tasks(world)
    for model in MODELS:
        for action in ("view", "change", "manage"):
            listed = set(policy.visible(viewer, model.objects.all(), action))
            checked = {o for o in model.objects.all() if policy.can(viewer, action, o)}
            assert listed == checked


def test_a_viewer_is_taken_as_given_so_property_tests_exercise_real_rules(world: World) -> None:
    viewer = Viewer(
        user_id=world.users["ngo_worker"].pk,
        organisation_id=world.ngo_a.pk,
        sector="ngo",
        roles=frozenset({"professional"}),
        group_ids=frozenset({world.table_a.pk}),
    )
    assert policy.viewer_for(viewer) is viewer
    assert policy.can(viewer, "view", world.table_a)
    assert not policy.can(viewer, "view", world.table_b)
