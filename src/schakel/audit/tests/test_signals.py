from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from schakel.audit import services
from schakel.audit.models import CHAINED_FIELDS, AuditEntry

pytestmark = pytest.mark.django_db


def test_a_login_and_a_logout_are_recorded(client: Client, care_coordinator: Any) -> None:
    before = AuditEntry.objects.count()

    client.force_login(care_coordinator, backend="schakel.partners.auth.SchakelBackend")
    client.logout()

    entries = list(AuditEntry.objects.filter(position__gt=before))
    assert [e.action for e in entries] == ["login", "logout"]
    for entry in entries:
        assert entry.actor_id == care_coordinator.pk
        assert entry.organisation_id == care_coordinator.organisation_id


def test_a_failed_login_stores_a_keyed_hash_never_the_typed_name(client: Client) -> None:
    typed = "Mevrouw.Jansen-Geheim"

    response = client.post(reverse("login"), {"username": typed, "password": "wrong guess 1"})

    assert response.status_code in {200, 403}
    entry = AuditEntry.objects.get(action="login_failed")
    assert entry.details == {"username_hmac": services.username_hash(typed)}
    assert entry.request_id == response["X-Request-ID"]
    assert entry.actor_id is None
    stored = json.dumps({name: str(getattr(entry, name)) for name in CHAINED_FIELDS})
    assert typed.casefold() not in stored.casefold()
    assert "wrong guess" not in stored
    assert services.verify().ok


def test_an_anonymous_logout_records_nothing(client: Client) -> None:
    client.logout()

    assert not AuditEntry.objects.exists()
