"""Fixtures shared by the signal table's tests."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.utils import timezone

from schakel.signaltable import services
from schakel.signaltable.models import Meeting
from schakel.testing.personas import World


@pytest.fixture
def meeting(world: World) -> Meeting:
    """A meeting of table A on 3 December 2026, planned by its coordinator."""
    return services.create_meeting(
        world.table_a,
        starts_at=timezone.make_aware(datetime(2026, 12, 3, 14, 0)),
        actor=world.users["care_coordinator"],
    )
