"""``schakel.constraints.violates_unique``: the violation of one unique key told apart from any
other integrity error, on SQLite and PostgreSQL, from an ORM statement and from ``COPY``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from schakel.constraints import violates_unique
from schakel.rows import MANY_ROWS, insert_values
from schakel.signals.models import SOURCE_KEY_UNIQUE, Channel, Signal
from schakel.signals.services import create_signal
from schakel.signals.tests.factories import make_signal, signal_input
from schakel.testing.personas import World
from schakel.web.models import IdempotencyRecord

pytestmark = pytest.mark.django_db

REFERENCE_UNIQUE = "signal_reference_unique"


def _refused(change: Callable[[], Any]) -> IntegrityError:
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        change()
    return caught.value


def test_a_taken_source_key_is_told_from_a_taken_reference_and_a_missing_value(
    world: World,
) -> None:
    carla = world.users["care_coordinator"]
    first = create_signal(
        signal_input(), submitted_by=carla, channel=Channel.API, source_key="crm-1"
    )
    second = Signal.objects.filter(pk=make_signal(carla).pk)
    key = _refused(lambda: second.update(source_key="crm-1"))
    reference = _refused(lambda: second.update(reference=first.reference))
    missing = _refused(lambda: second.update(reference=None))
    assert violates_unique(key, Signal, SOURCE_KEY_UNIQUE)
    assert not violates_unique(key, Signal, REFERENCE_UNIQUE)
    assert violates_unique(reference, Signal, REFERENCE_UNIQUE)
    assert not violates_unique(reference, Signal, SOURCE_KEY_UNIQUE)
    assert not violates_unique(missing, Signal, SOURCE_KEY_UNIQUE)
    assert not violates_unique(ValueError("UNIQUE"), Signal, SOURCE_KEY_UNIQUE)


def test_a_constraint_the_model_does_not_have_is_a_mistake() -> None:
    with pytest.raises(LookupError, match="no unique constraint"):
        violates_unique(IntegrityError(), Signal, "signal_made_up")


def test_a_unique_key_refusing_many_rows_at_once_is_djangos_error_and_named(
    world: World,
) -> None:
    """Many rows go by ``COPY`` on PostgreSQL, on psycopg's own cursor: its error is Django's
    ``IntegrityError`` all the same, as every other statement's, so that callers catch one
    kind of error."""
    user, now = world.users["care_coordinator"], timezone.now()
    row = (user.pk, "same-key", "f" * 64, 201, {}, "", now, now + timedelta(days=1))
    columns = ("user", "key", "fingerprint", "status_code", "response_body", "location")
    columns += ("created_at", "expires_at")
    error = _refused(lambda: insert_values(IdempotencyRecord, columns, [row] * MANY_ROWS))
    assert violates_unique(error, IdempotencyRecord, "idempotency_user_key_unique")
    assert IdempotencyRecord.objects.count() == 0
