"""Organisation administrators manage their own users, and nobody else's."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from schakel.audit.models import AuditEntry
from schakel.partners.models import User
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db
SignIn = Callable[[User], Client]


def test_the_user_list_shows_only_the_own_organisation(world: World, signed_in: SignIn) -> None:
    client = signed_in(world.users["org_admin"])
    page = client.get(reverse("orgadmin_users")).content.decode()
    assert "Carla Zorg" in page and "Fenna Balie" in page
    assert "Piet Politie" not in page and "Otto Buiten" not in page


def test_an_administrator_adds_a_user_who_gets_an_invitation(
    world: World, signed_in: SignIn
) -> None:
    client = signed_in(world.users["org_admin"])
    response = client.post(
        reverse("orgadmin_user_create"),
        {
            "username": "bart",
            "first_name": "Bart",
            "last_name": "Nieuw",
            "email": "bart@example.test",
            "roles": ["professional"],
        },
    )
    assert response.status_code == 302
    bart = User.objects.get(username="bart")
    assert bart.organisation == world.municipality_a and bart.roles == {"professional"}
    assert not bart.has_usable_password()
    assert mail.outbox[-1].to == ["bart@example.test"]
    assert AuditEntry.objects.filter(action="create", object_type="partners.user").exists()


def test_a_form_error_names_the_field(world: World, signed_in: SignIn) -> None:
    client = signed_in(world.users["org_admin"])
    response = client.post(
        reverse("orgadmin_user_create"), {"username": "carla", "email": "not-an-email", "roles": []}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"username", "email", "roles"}


def test_an_administrator_changes_roles_disables_and_resets_two_factor(
    world: World, signed_in: SignIn
) -> None:
    client = signed_in(world.users["org_admin"])
    fenna = world.users["front_desk"]
    TOTPDevice.objects.create(user=fenna, name="app", confirmed=True)
    client.post(
        reverse("orgadmin_user_edit", args=[fenna.pk]),
        {
            "first_name": "Fenna",
            "last_name": "Balie",
            "email": "fenna@example.test",
            "roles": ["front_desk", "professional"],
        },
    )
    assert User.objects.get(pk=fenna.pk).roles == {"front_desk", "professional"}
    client.post(reverse("orgadmin_user_reset_two_factor", args=[fenna.pk]))
    assert not TOTPDevice.objects.filter(user=fenna).exists()
    client.post(reverse("orgadmin_user_set_active", args=[fenna.pk]), {"active": "0"})
    assert not User.objects.get(pk=fenna.pk).is_active


def test_an_administrator_cannot_disable_themselves(world: World, signed_in: SignIn) -> None:
    admin = world.users["org_admin"]
    client = signed_in(admin)
    client.post(reverse("orgadmin_user_set_active", args=[admin.pk]), {"active": "0"})
    assert User.objects.get(pk=admin.pk).is_active


@pytest.mark.parametrize(
    "name",
    [
        "orgadmin_user_edit",
        "orgadmin_user_set_active",
        "orgadmin_user_reset_two_factor",
        "orgadmin_user_invite",
    ],
)
def test_it_checks_access(world: World, signed_in: SignIn, name: str) -> None:
    target = world.users["care_coordinator"]
    method = "get" if name == "orgadmin_user_edit" else "post"
    # The outsider, a colleague without the admin role, and another organisation's admin.
    other_admin = User.objects.create(username="admin-b", organisation=world.municipality_b)
    other_admin.role_set.create(role="org_admin")
    for user in (world.users["outsider"], world.users["front_desk"], other_admin):
        client = signed_in(user)
        response = getattr(client, method)(reverse(name, args=[target.pk]), {"active": "0"})
        assert response.status_code == 404, (user, name)
    assert User.objects.get(pk=target.pk).is_active


def test_the_user_pages_do_not_exist_for_non_administrators(
    world: World, signed_in: SignIn
) -> None:
    for page in ("orgadmin_users", "orgadmin_user_create"):
        assert signed_in(world.users["outsider"]).get(reverse(page)).status_code == 404


def test_the_django_admin_is_for_superusers_only(world: World, signed_in: SignIn) -> None:
    admin = world.users["org_admin"]
    User.objects.filter(pk=admin.pk).update(is_staff=True)
    response = signed_in(User.objects.get(pk=admin.pk)).get("/admin/")
    assert response.status_code == 302  # to the admin login, i.e. not allowed in


def test_superuser_changes_in_the_django_admin_are_audited(world: World, client: Client) -> None:
    from schakel.partners.services import create_user

    root = create_user(None, "root", roles=[], is_superuser=True, password=None)
    client.force_login(root)
    # A superuser needs a second factor too (see TwoFactorRequiredMiddleware).
    from schakel.testing.personas import login

    login(client, root)
    org = world.ngo_a
    response = client.post(
        f"/admin/partners/organisation/{org.pk}/change/",
        {
            "name": "Stichting Voorbeeldhulp Zuid",
            "short_name": "",
            "sector": "ngo",
            "country_code": "NL",
            "region": world.breda.pk,
            "email": "",
            "phone": "",
            "website": "",
            "is_active": "on",
            "function_set-TOTAL_FORMS": "0",
            "function_set-INITIAL_FORMS": "0",
            "function_set-MIN_NUM_FORMS": "0",
            "function_set-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    entry = AuditEntry.objects.filter(action="admin_change").get()
    assert entry.object_type == "partners.organisation" and entry.object_ids == [org.pk]
    assert entry.actor_id == root.pk
