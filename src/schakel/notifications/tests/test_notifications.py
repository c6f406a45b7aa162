from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from schakel.notifications.services import notify, unread_count
from schakel.partners.models import User
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db


def test_a_user_sees_and_reads_their_own_notifications_only(
    world: World, signed_in: Callable[[User], Client]
) -> None:
    carla, otto = world.users["care_coordinator"], world.users["outsider"]
    notify([carla], kind="test", title="Voor Carla", source_type="x", source_id="1", email=False)
    client = signed_in(carla)
    page = client.get(reverse("notification_list")).content.decode()
    assert "Voor Carla" in page and 'data-testid="unread"' in page
    client.post(reverse("notification_mark_read"))
    assert unread_count(carla) == 0
    other = signed_in(otto).get(reverse("notification_list")).content.decode()
    assert "Voor Carla" not in other


def test_a_notification_reaches_a_user_once_per_source(world: World) -> None:
    carla = world.users["care_coordinator"]
    for _ in range(2):
        notify([carla, carla], kind="test", title="t", source_type="x", source_id="1", email=False)
    assert unread_count(carla) == 1


def test_only_the_once_per_source_rule_is_taken_as_already_told(world: World) -> None:
    from django.db import IntegrityError

    carla = world.users["care_coordinator"]
    # Another broken rule (a title of NULL) is a fault, not "already told": it is raised, not
    # passed over in silence as it was.
    with pytest.raises(IntegrityError):
        notify([carla], kind="test", title=None, source_type="x", source_id="2", email=False)  # type: ignore[arg-type]
    assert unread_count(carla) == 0
