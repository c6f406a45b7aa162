"""Odd input the API must answer with a 400 (or as it always does), never a 500: JSON nested
too deeply, a lone surrogate with an Idempotency-Key, a NUL character in the address; and a
re-triage with the same model that must give the same band."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection

from schakel.signals.tests.conftest import TokenClient
from schakel.signals.tests.test_api import URL, body
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quiet_rate_limit() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize(
    "path", [URL, "/api/v1/cases/", "/api/v1/tasks/"], ids=["signals", "cases", "tasks"]
)
def test_json_nested_too_deeply_is_a_400(
    world: World, token_client: TokenClient, path: str
) -> None:
    client = token_client(world.users["care_coordinator"])
    client.raise_request_exception = False
    nested = "[" * 5000 + "]" * 5000
    response = client.post(path, data=nested, content_type="application/json")
    assert response.status_code == 400, response.status_code
    assert response["Content-Type"].startswith("application/json")
    retried = client.post(
        URL, data=nested, content_type="application/json", HTTP_IDEMPOTENCY_KEY="deep-1"
    )
    assert retried.status_code == 400


def test_a_lone_surrogate_with_an_idempotency_key_is_refused_by_its_field(
    world: World, token_client: TokenClient
) -> None:
    client = token_client(world.users["care_coordinator"])
    client.raise_request_exception = False
    raw = '{"description": "\\ud800", "indicator_ids": []}'
    plain = client.post(URL, data=raw, content_type="application/json")
    keyed = client.post(
        URL, data=raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY="retry-1"
    )
    assert plain.status_code == keyed.status_code == 400, keyed.status_code
    assert keyed.json() == plain.json()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/signals/S%00/",
        "/api/v1/entities/?q=a%00b",
        "/api/v1/signals/?received_after=2026%00",
        "/signals/?q=a%00b",
    ],
)
def test_a_nul_character_never_reaches_the_database(
    world: World, token_client: TokenClient, path: str
) -> None:
    """PostgreSQL cannot hold a NUL in a text value and fails the query (a 500); SQLite
    quietly finds nothing. Refused before any view runs."""
    sent: list[str] = []

    def spy(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        flat = params if not many else [p for row in params for p in row]
        sent.extend(p for p in (flat or []) if isinstance(p, str) and "\x00" in p)
        return execute(sql, params, many, context)

    client = token_client(world.users["care_coordinator"])
    client.force_login(world.users["care_coordinator"])
    with connection.execute_wrapper(spy):
        response = client.get(path)
    assert response.status_code == 400
    assert sent == []
    if path.startswith("/api/"):
        assert response.json()["errors"][0]["code"] == "invalid"


def test_retriage_with_the_same_model_keeps_the_band(
    world: World, token_client: TokenClient
) -> None:
    """Received at 00:30 in the Netherlands on the day a possible victim turns 18: intake
    sees an adult; re-triage took the date in UTC, the day before, and saw a minor."""
    client = token_client(world.users["care_coordinator"])
    data = body(
        world,
        external_id="",
        observed_on=None,
        indicator_ids=["labour.lives_at_workplace"],
        persons=[{"role": "possible_victim", "given_names": "Ana", "date_of_birth": "2008-11-29"}],
    )
    with time_machine.travel("2026-11-28 23:30 +00:00", tick=False):
        cache.clear()
        created = client.post(URL, data, format="json")
        assert created.status_code == 201, created.json()
        again = client.post(f"{URL}{created.json()['reference']}/retriage/")
    assert again.status_code == 200
    assert again.json()["triage"]["band"] == created.json()["band"]
