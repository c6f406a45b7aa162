"""The partners API: filtered by the policy; the outsider gets 404 on others' records."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from schakel.partners.models import User
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db
SignIn = Callable[[User], Client]


def test_me_returns_the_user_and_organisation(world: World, signed_in: SignIn) -> None:
    data = signed_in(world.users["police_analyst"]).get("/api/me/").json()
    assert data["user"]["username"] == "piet"
    assert data["organisation"]["sector"] == "police"


def test_users_lists_colleagues_only(world: World, signed_in: SignIn) -> None:
    data = signed_in(world.users["care_coordinator"]).get("/api/users/").json()
    assert {u["username"] for u in data["results"]} == {"carla", "fenna", "arie"}


def test_sharing_groups_list_the_members_tables(world: World, signed_in: SignIn) -> None:
    data = signed_in(world.users["ngo_worker"]).get("/api/sharing-groups/").json()
    assert [g["name"] for g in data["results"]] == ["Signaaltafel Zeeland-West-Brabant"]


@pytest.mark.parametrize("path", ["/api/users/{carla}/", "/api/sharing-groups/{table_a}/"])
def test_it_checks_access(world: World, signed_in: SignIn, path: str) -> None:
    url = path.format(carla=world.users["care_coordinator"].pk, table_a=world.table_a.pk)
    assert signed_in(world.users["care_coordinator"]).get(url).status_code == 200
    assert signed_in(world.users["outsider"]).get(url).status_code == 404


def test_organisations_and_region_contacts_are_the_chains_directory(
    world: World, signed_in: SignIn
) -> None:
    client = signed_in(world.users["outsider"])
    assert client.get(f"/api/organisations/{world.municipality_a.pk}/").status_code == 200
    assert client.get("/api/region-contacts/").json()["count"] == 3


def test_anonymous_requests_are_refused(world: World, client: Client) -> None:
    assert client.get("/api/organisations/").status_code in {401, 403}


def test_the_openapi_document_describes_the_endpoints(world: World, signed_in: SignIn) -> None:
    schema = signed_in(world.users["care_coordinator"]).get("/api/schema/").content.decode()
    for path in ("/api/tasks/", "/api/users/", "/api/sharing-groups/", "/api/me/"):
        assert path in schema


def test_showing_users_through_the_api_is_audited_once(world: World, signed_in: SignIn) -> None:
    from schakel.audit.models import AuditEntry

    client = signed_in(world.users["care_coordinator"])
    before = AuditEntry.objects.filter(action="read").count()
    client.get("/api/users/")
    entries = AuditEntry.objects.filter(action="read").order_by("-position")
    assert entries.count() == before + 1
    ids = entries[0].object_ids["partners.user"]
    assert sorted(ids) == sorted(
        u.pk
        for u in (
            world.users["care_coordinator"],
            world.users["front_desk"],
            world.users["org_admin"],
        )
    )
