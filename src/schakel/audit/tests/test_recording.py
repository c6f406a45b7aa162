from __future__ import annotations

import itertools
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.test import RequestFactory

from schakel.audit import chain as audit_chain
from schakel.audit import services
from schakel.audit.models import AppendOnlyError, AuditEntry, AuditHead

pytestmark = pytest.mark.django_db


def _request(user: Any = None, request_id: str = "req-0123456789") -> Any:
    request = RequestFactory().get("/")
    request.user = user if user is not None else AnonymousUser()
    request.request_id = request_id
    return request


def _person(pk: int = 7, organisation_id: int | None = 3) -> SimpleNamespace:
    return SimpleNamespace(pk=pk, organisation_id=organisation_id, is_authenticated=True)


def test_it_writes_a_gapless_chain_in_which_each_entry_covers_the_one_before(
    chain: Callable[[int], list[AuditEntry]],
) -> None:
    entries = chain(5)

    stored = list(AuditEntry.objects.all())
    assert [e.position for e in stored] == [1, 2, 3, 4, 5]
    assert stored[0].prev_hmac == audit_chain.GENESIS_HMAC
    for before, after in itertools.pairwise(stored):
        assert after.prev_hmac == before.hmac
    for entry in stored:
        assert entry.hmac == audit_chain.entry_hmac(entry.chained_fields())
    head = AuditHead.objects.get()
    assert (head.position, head.hmac) == (5, entries[-1].hmac)
    assert services.verify().ok


def test_a_change_and_its_entry_roll_back_together(
    chain: Callable[[int], list[AuditEntry]],
) -> None:
    chain(2)

    with pytest.raises(RuntimeError), transaction.atomic():
        services.record_change(None, "delete", "test.thing", [1])
        raise RuntimeError("the change failed")

    assert AuditEntry.objects.count() == 2
    assert services.record_change(None, "delete", "test.thing", [1]).position == 3
    assert services.verify().ok


def test_record_change_names_the_request_user_and_their_organisation() -> None:
    entry = services.record_change(
        _request(_person(7, 3)),
        "create",
        "partners.user",
        [42],
        purpose="administration",
        details={"roles": ["front_desk"]},
    )

    entry.refresh_from_db()
    assert (entry.actor_id, entry.organisation_id) == (7, 3)
    assert entry.request_id == "req-0123456789"
    assert (entry.action, entry.object_type, entry.object_ids) == ("create", "partners.user", [42])
    assert entry.purpose == "administration"
    assert entry.details == {"roles": ["front_desk"]}


def test_an_explicit_actor_overrides_the_request_user() -> None:
    entry = services.record_change(
        _request(_person(7, 3)), "update", "partners.user", [1], actor=_person(9, 4)
    )

    assert (entry.actor_id, entry.organisation_id) == (9, 4)


def test_a_change_without_request_or_actor_is_the_systems() -> None:
    entry = services.record_change(None, "create", "partners.user", [1])

    assert (entry.actor_id, entry.organisation_id, entry.request_id) == (None, None, "")


def test_it_refuses_a_single_string_for_ids() -> None:
    with pytest.raises(TypeError):
        services.record_change(None, "update", "test.thing", "123")


def test_it_refuses_details_that_are_not_plain_json() -> None:
    with pytest.raises(TypeError):
        services.record_change(None, "update", "test.thing", [1], details={"when": object()})
    assert not AuditEntry.objects.exists()


def test_record_event_takes_the_actor_from_the_request_unless_given() -> None:
    from_request = services.record_event(_request(_person(7, 3)), "export")
    given = services.record_event(None, "login", actor_id=5, organisation_id=2)

    assert (from_request.actor_id, from_request.organisation_id) == (7, 3)
    assert (given.actor_id, given.organisation_id) == (5, 2)


def test_a_read_without_a_request_is_written_at_once() -> None:
    services.record_read(None, "test.thing", [3, 1, 3], purpose="export")

    entry = AuditEntry.objects.get()
    assert entry.action == "read"
    assert entry.object_ids == {"test.thing": [1, 3]}
    assert entry.purpose == "export"


def test_an_empty_read_writes_nothing() -> None:
    services.record_read(None, "test.thing", [])

    assert not AuditEntry.objects.exists()


def test_the_orm_refuses_to_change_or_delete_an_entry(
    chain: Callable[[int], list[AuditEntry]],
) -> None:
    entry = chain(1)[0]

    entry.action = "something else"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()


def test_a_lost_head_row_continues_from_the_last_entry(
    chain: Callable[[int], list[AuditEntry]],
) -> None:
    chain(3)
    AuditHead.objects.all().delete()

    assert services.record_change(None, "update", "test.thing", [1]).position == 4
    assert services.verify().ok


def test_the_username_hash_is_keyed_and_ignores_case_and_spaces(settings: Any) -> None:
    first = services.username_hash(" Alice ")

    assert first == services.username_hash("alice")
    assert len(first) == 64 and "alice" not in first
    settings.SCHAKEL_AUDIT_KEY = "another key altogether"
    assert services.username_hash("alice") != first
