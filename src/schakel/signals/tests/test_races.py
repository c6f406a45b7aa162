"""The same signals sent twice at the same moment (PostgreSQL): neither sender sees the other's
signals before it writes, the unique key of (owner organisation, source key) decides, and the
one that loses gets what it would get a moment later — a 409 from the API, rows skipped as
imported before from an import — never a 500, and nothing of it half-written.

Each race is made, not waited for: a third connection holds the locks that writing a signal
takes first until every sender has done its reading and checking and waits for them."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult
from rest_framework.test import APIClient

from schakel.audit.models import AuditEntry, AuditHead
from schakel.signals.bulk import service
from schakel.signals.models import PersonMention, Signal
from schakel.signals.tests.test_api import URL, body
from schakel.signals.tests.test_bulk_import import csv_file, row, run_import
from schakel.testing.personas import World
from schakel.web.api_auth import issue_api_token
from schakel.web.models import IdempotencyRecord

#: Known when the tests are collected, as in ``test_bulk_import``: with
#: ``SCHAKEL_TEST_DATABASE_URL`` set (CI's PostgreSQL leg) these tests run — and fail if the
#: database is not PostgreSQL after all; SQLite, one writer at a time, has no such race.
_ON_POSTGRESQL = os.environ.get("SCHAKEL_TEST_DATABASE_URL", "").startswith("postgres")

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not _ON_POSTGRESQL, reason="concurrent writers need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

Send = Callable[[], Any]


@pytest.fixture(autouse=True)
def _on_postgresql() -> Iterator[None]:
    assert connection.vendor == "postgresql"
    # The API's rate limit counts in the process's cache: none counted before or after.
    cache.clear()
    yield
    cache.clear()


def at_once(senders: list[Send]) -> list[Any]:
    """Run ``senders`` in threads, each with its own connection, so that every one has done
    all its reading and checking before any of them may write: this connection holds the
    audit chain's head (which every write of signals takes) and the signals' table against
    INSERT and COPY until all of them wait. Their answers, in the order of ``senders``."""
    answers: list[Any] = [None] * len(senders)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            answers[index] = senders[index]()
        except BaseException as exc:  # noqa: BLE001 - a thread's failure, asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(senders))]
    try:
        _hold_until_all_wait(threads, errors)
    finally:
        for thread in threads:
            thread.join(timeout=120)
    assert not errors, errors
    return answers


def _hold_until_all_wait(threads: list[threading.Thread], errors: list[BaseException]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {AuditHead._meta.db_table} WHERE id = %s FOR UPDATE",  # noqa: S608
            [AuditHead.SINGLETON_ID],
        )
        assert cursor.fetchone() is not None, "the audit chain has no head yet"
        cursor.execute(f"LOCK TABLE {Signal._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 120
        while _waiting(cursor) < len(threads):
            assert not errors, errors
            assert time.monotonic() < deadline, "the senders never came to their writing"
            time.sleep(0.01)


def _waiting(cursor: Any) -> int:
    """How many sessions of this database wait for a lock (this one's, or another's that
    waits for this one's)."""
    # The activity view is read once per transaction unless its snapshot is cleared.
    cursor.execute("SELECT pg_stat_clear_snapshot()")
    cursor.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND cardinality(pg_blocking_pids(pid)) > 0"
    )
    (count,) = cursor.fetchone()
    return int(count)


# --- The API ------------------------------------------------------------------------------


@pytest.fixture
def post_as_carla(world: World) -> Callable[..., Send]:
    token = issue_api_token(world.users["care_coordinator"])

    def post(payload: dict[str, Any], key: str | None = None) -> Send:
        def send() -> Any:
            client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
            client.raise_request_exception = False  # a failure is the 500 a partner would get
            headers = {"Idempotency-Key": key} if key else {}
            return client.post(URL, payload, format="json", headers=headers)

        return send

    return post


def _the_duplicate(answer: Any, reference: str) -> None:
    assert answer.status_code == 409, answer.content
    assert answer.json()["errors"] == [
        {
            "code": "duplicate_external_id",
            "field": "external_id",
            "message": answer.json()["errors"][0]["message"],
            "reference": reference,
        }
    ]


@pytest.mark.parametrize("keys", [(None, None), ("first-try", "second-try")])
def test_one_external_id_sent_twice_at_once_gets_one_201_and_one_409(
    world: World, post_as_carla: Callable[..., Send], keys: tuple[Any, Any]
) -> None:
    payloads = [body(world), body(world, description="Dezelfde melding, via een ander kanaal.")]
    answers = at_once([post_as_carla(p, k) for p, k in zip(payloads, keys, strict=True)])
    assert sorted(a.status_code for a in answers) == [201, 409], [a.content for a in answers]
    created = next(a for a in answers if a.status_code == 201).json()
    _the_duplicate(next(a for a in answers if a.status_code == 409), created["reference"])
    signal = Signal.objects.get()
    assert (signal.reference, signal.source_key) == (created["reference"], "crm-4711")
    # Nothing of the loser is left: its mentions, audit entry and queued job went with it.
    assert PersonMention.objects.count() == 2
    assert AuditEntry.objects.filter(action="create", object_type="signals.signal").count() == 1
    jobs = DBTaskResult.objects.filter(task_path__endswith="resolve_signal_mentions")
    assert [job.args_kwargs["args"] for job in jobs] == [[[signal.pk]]]
    assert IdempotencyRecord.objects.count() == (1 if keys[0] else 0)


def test_the_loser_retrying_with_its_key_is_refused_again_the_same_way(
    world: World, post_as_carla: Callable[..., Send]
) -> None:
    payloads = {
        "key-one": body(world),
        "key-two": body(world, description="Dezelfde melding, via een ander kanaal."),
    }
    answers = dict(
        zip(payloads, at_once([post_as_carla(p, k) for k, p in payloads.items()]), strict=True)
    )
    (loser_key,) = [k for k, a in answers.items() if a.status_code == 409]
    (winner,) = [a for a in answers.values() if a.status_code == 201]
    # A refusal is not remembered under its key (no error is): no record holds the key
    # half-way, the retry is answered afresh, and refused as before.
    assert not IdempotencyRecord.objects.filter(key=loser_key).exists()
    retry = post_as_carla(payloads[loser_key], loser_key)()
    _the_duplicate(retry, winner.json()["reference"])
    assert retry.json() == answers[loser_key].json() and "Idempotent-Replayed" not in retry
    assert Signal.objects.count() == 1


# --- The bulk import ----------------------------------------------------------------------


@pytest.mark.parametrize("how", ["after checking", "beside checking"])
def test_one_file_imported_twice_at_once_is_written_once(
    world: World, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    if how == "beside checking":
        monkeypatch.setattr(service, "BESIDE_FROM_ROWS", 1)
    rows = [row(external_id="A-1"), row(external_id="", description="Zonder eigen nummer.")]
    data = csv_file(rows)
    outcomes = at_once([lambda: run_import(world, data), lambda: run_import(world, data)])
    assert all(o.ok and o.status == "done" for o in outcomes), [o.as_dict() for o in outcomes]
    first, second = sorted(outcomes, key=lambda o: len(o.created), reverse=True)
    assert [number for number, _reference in first.created] == [2, 3]
    # The other import finds the rows imported before, as it would a moment later.
    assert second.created == []
    assert [(s.row, s.reference) for s in second.skipped] == first.created
    assert Signal.objects.count() == 2
    assert AuditEntry.objects.filter(action="create", object_type="signals.signal").count() == 1
