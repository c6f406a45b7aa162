"""The home page per role: organisation, region, contacts and sharing groups."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from schakel.audit.models import AuditEntry
from schakel.partners.models import User
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db
SignIn = Callable[[User], Client]


def test_a_care_coordinator_sees_organisation_region_contacts_and_table(
    world: World, signed_in: SignIn
) -> None:
    page = signed_in(world.users["care_coordinator"]).get(reverse("home")).content.decode()
    assert "Gemeente Breda" in page and "Zeeland-West-Brabant" in page
    assert "Team AVIM ZWB" in page
    assert "Signaaltafel Zeeland-West-Brabant" in page
    assert "Signaaltafel Noord-Nederland" not in page


def test_the_outsider_sees_their_own_region_only(world: World, signed_in: SignIn) -> None:
    page = signed_in(world.users["outsider"]).get(reverse("home")).content.decode()
    assert "Signaaltafel Noord-Nederland" in page
    assert "Signaaltafel Zeeland-West-Brabant" not in page
    assert "Team AVIM ZWB" not in page


def test_the_front_desk_worker_gets_guidance(world: World, signed_in: SignIn) -> None:
    page = signed_in(world.users["front_desk"]).get(reverse("home")).content.decode()
    assert "112" in page


def test_the_national_coordinator_sees_every_table(world: World, signed_in: SignIn) -> None:
    page = signed_in(world.users["national_coordinator"]).get(reverse("home")).content.decode()
    assert "Signaaltafel Zeeland-West-Brabant" in page
    assert "Signaaltafel Noord-Nederland" in page


def test_showing_the_contacts_writes_one_audit_entry(world: World, signed_in: SignIn) -> None:
    client = signed_in(world.users["care_coordinator"])
    before = AuditEntry.objects.count()
    client.get(reverse("home"))
    reads = AuditEntry.objects.filter(action="read").order_by("-position")
    assert AuditEntry.objects.count() == before + 1
    assert reads[0].actor_id == world.users["care_coordinator"].pk


def test_the_language_switch_turns_the_page_english(world: World, signed_in: SignIn) -> None:
    client = signed_in(world.users["care_coordinator"])
    assert "Welkom" in client.get(reverse("home")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Welcome" in client.get(reverse("home")).content.decode()


def test_signed_out_visitors_are_sent_to_the_login(client: Client) -> None:
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
