"""The audit log's public API: what other apps call to record reads, changes and events,
and what administrators call to verify the chain and keep checkpoints.

Callers hand the log ids, codes and counts, never personal data: the log itself must be
safe to show to an investigator who may not see the records it points at.
"""

from __future__ import annotations

import json
import os
import tempfile
import weakref
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections, router, transaction
from django.http import HttpRequest
from django.utils import timezone

from schakel.audit import chain
from schakel.audit.models import AuditEntry, AuditHead
from schakel.audit.verification import Problem, VerifyReport, verify
from schakel.rows import Deferred, deferred, execute, insert_rows, update_row

__all__ = [
    "Problem",
    "VerifyReport",
    "checkpoint",
    "record_change",
    "record_event",
    "record_read",
    "username_hash",
    "verify",
    "write_checkpoint",
]

ObjectId = int | str

#: Where the middleware keeps a request's reads until the response is ready.
_COLLECTOR_ATTRIBUTE = "_schakel_audit_reads"

username_hash = chain.username_hash


class ReadCollector:
    """The objects one request has shown, grouped per object type, without duplicates."""

    def __init__(self) -> None:
        self.ids: dict[str, set[ObjectId]] = {}
        self.purposes: set[str] = set()

    def add(self, object_type: str, ids: Iterable[ObjectId], purpose: str) -> None:
        new = _normalise_ids(ids)
        if not new:
            return
        self.ids.setdefault(object_type, set()).update(new)
        if purpose:
            self.purposes.add(purpose)

    def __bool__(self) -> bool:
        return any(self.ids.values())

    def object_ids(self) -> dict[str, list[ObjectId]]:
        return {kind: sorted(ids, key=_id_sort_key) for kind, ids in sorted(self.ids.items())}

    def purpose(self) -> str:
        return "; ".join(sorted(self.purposes))


def _id_sort_key(value: ObjectId) -> tuple[int, int, str]:
    return (0, value, "") if isinstance(value, int) else (1, 0, value)


def _normalise_ids(ids: Iterable[Any]) -> list[ObjectId]:
    if isinstance(ids, str | bytes):
        # A lone string is iterable too; "123" must not become ["1", "2", "3"].
        raise TypeError("ids must be a collection of ids, not a single string")
    result: dict[ObjectId, None] = {}
    for value in ids:
        if isinstance(value, bool) or value is None:
            raise TypeError(f"not an object id: {value!r}")
        result[value if isinstance(value, int) else str(value)] = None
    return list(result)


def _actor(request: HttpRequest | None, actor: Any = None) -> tuple[int | None, int | None]:
    user = actor if actor is not None else getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None, None
    organisation_id = getattr(user, "organisation_id", None)
    return (
        int(user.pk) if user.pk is not None else None,
        int(organisation_id) if organisation_id is not None else None,
    )


def _request_id(request: HttpRequest | None) -> str:
    return str(getattr(request, "request_id", "") or "")[:64]


def _lock_head() -> tuple[int, str]:
    """The chain's last position and HMAC, with the head row locked until the caller's
    transaction ends. Plain SQL: this runs for every audited request."""
    connection = connections[router.db_for_write(AuditHead)]
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        execute(
            cursor,
            "SELECT position, hmac FROM audit_audithead WHERE id = %s" + lock,  # noqa: S608 - a constant suffix
            [AuditHead.SINGLETON_ID],
        )
        row = cursor.fetchone()
    if row is not None:
        return int(row[0]), str(row[1])
    # First write ever, or after a flush. Continue from the last entry if there is one, so a
    # lost head row never restarts the chain; get_or_create settles a race between writers.
    last = AuditEntry.objects.order_by("-position").values_list("position", "hmac").first()
    position, last_hmac = last if last is not None else (0, chain.GENESIS_HMAC)
    head, _ = AuditHead.objects.select_for_update().get_or_create(
        pk=AuditHead.SINGLETON_ID, defaults={"position": position, "hmac": last_hmac}
    )
    return head.position, head.hmac


def _append(
    *,
    action: str,
    object_type: str = "",
    object_ids: list[ObjectId] | dict[str, list[ObjectId]] | None = None,
    purpose: str = "",
    request_id: str = "",
    details: Mapping[str, Any] | None = None,
    actor_id: int | None = None,
    organisation_id: int | None = None,
    statements: Deferred | None = None,
) -> AuditEntry:
    if not action or len(action) > 64:
        raise ValueError("an audit action is a short code of 1 to 64 characters")
    entry = AuditEntry(
        at=timezone.now(),
        actor_id=actor_id,
        organisation_id=organisation_id,
        action=action,
        object_type=object_type,
        object_ids=chain.normalise_json(object_ids if object_ids is not None else []),
        purpose=purpose,
        request_id=request_id,
        details=chain.normalise_json(dict(details or {})),
    )
    # Inside the caller's transaction when there is one: the entry commits or rolls back
    # with the change it records, and the head lock is held until then.
    # No savepoint: an entry that cannot be written fails the whole transaction.
    with transaction.atomic(savepoint=False):
        # An entry held in a deferred block before this one moved the head, but the
        # block has not been sent: chain from it, not from the head the database still has.
        held_head = _HELD_HEADS.get(statements) if statements is not None else None
        position, last_hmac = held_head if held_head is not None else _lock_head()
        entry.position = position + 1
        entry.prev_hmac = last_hmac
        entry.hmac = chain.entry_hmac(entry.chained_fields())
        # The entry and the head's new position in one round trip (the head row exists:
        # ``_lock_head`` read and locked it), or held in the caller's deferred block.
        if statements is not None:
            _write_entry(entry, statements)
            _HELD_HEADS[statements] = (entry.position, entry.hmac)
        else:
            connection = connections[router.db_for_write(AuditEntry)]
            with connection.cursor() as cursor, deferred(cursor) as held:
                _write_entry(entry, held)
    return entry


#: The chain's head as the entries held in each unsent deferred block leave it.
_HELD_HEADS: weakref.WeakKeyDictionary[Deferred, tuple[int, str]] = weakref.WeakKeyDictionary()


def _write_entry(entry: AuditEntry, statements: Deferred) -> None:
    insert_rows(AuditEntry, [entry], cursor=statements)
    update_row(
        AuditHead,
        AuditHead.SINGLETON_ID,
        position=entry.position,
        hmac=entry.hmac,
        cursor=statements,
    )


def record_read(
    request: HttpRequest | None,
    object_type: str,
    ids: Iterable[ObjectId],
    *,
    purpose: str = "",
) -> None:
    """Note that the current request showed personal data of these objects.

    Views call this for every record whose personal data they display. The middleware
    writes one ``read`` entry per request listing all of them; without a request (the
    command line, a job) or without the middleware the read is written at once.
    """
    collector = getattr(request, _COLLECTOR_ATTRIBUTE, None)
    if isinstance(collector, ReadCollector):
        collector.add(object_type, ids, purpose)
        return
    alone = ReadCollector()
    alone.add(object_type, ids, purpose)
    if alone:
        _write_reads(request, alone)


def record_change(
    request: HttpRequest | None,
    action: str,
    object_type: str,
    ids: Iterable[ObjectId],
    *,
    actor: Any = None,
    purpose: str = "",
    details: Mapping[str, Any] | None = None,
    statements: Deferred | None = None,
) -> AuditEntry:
    """Record a change (create, update, delete, ...) in the caller's transaction.

    ``actor`` (a user) overrides ``request.user``; with neither, the change is the system's.
    ``statements``: the caller's ``schakel.rows.deferred`` block, to send the entry with the
    change it records (the chain's head is read and locked at once all the same; entries
    held in one block chain from each other). Until the block is sent, every entry of the
    transaction must go into it: one written beside it would read a head that is behind.
    """
    actor_id, organisation_id = _actor(request, actor)
    return _append(
        action=action,
        object_type=object_type,
        object_ids=_normalise_ids(ids),
        purpose=purpose,
        request_id=_request_id(request),
        details=details,
        actor_id=actor_id,
        organisation_id=organisation_id,
        statements=statements,
    )


def record_event(
    request: HttpRequest | None,
    action: str,
    *,
    actor_id: int | None = None,
    organisation_id: int | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Record an event that concerns no object: login, login_failed, logout, export, ...

    Without ``actor_id`` the actor is ``request.user`` (if signed in).
    """
    if actor_id is None:
        actor_id, request_organisation = _actor(request)
        if organisation_id is None:
            organisation_id = request_organisation
    return _append(
        action=action,
        request_id=_request_id(request),
        details=details,
        actor_id=actor_id,
        organisation_id=organisation_id,
    )


def start_collecting(request: HttpRequest) -> ReadCollector:
    """Attach a collector to ``request`` (the middleware does this for every request)."""
    collector = ReadCollector()
    setattr(request, _COLLECTOR_ATTRIBUTE, collector)
    return collector


def write_collected_reads(request: HttpRequest) -> AuditEntry | None:
    """Write the one ``read`` entry for ``request``, if it read anything."""
    collector = getattr(request, _COLLECTOR_ATTRIBUTE, None)
    if not isinstance(collector, ReadCollector) or not collector:
        return None
    entry = _write_reads(request, collector)
    # A second call (a middleware stack that runs twice) must not write the entry again.
    setattr(request, _COLLECTOR_ATTRIBUTE, ReadCollector())
    return entry


def _write_reads(request: HttpRequest | None, collector: ReadCollector) -> AuditEntry:
    actor_id, organisation_id = _actor(request)
    object_ids = collector.object_ids()
    return _append(
        action="read",
        object_type=",".join(object_ids),
        object_ids=object_ids,
        purpose=collector.purpose(),
        request_id=_request_id(request),
        details={"count": sum(len(ids) for ids in object_ids.values())},
        actor_id=actor_id,
        organisation_id=organisation_id,
    )


def checkpoint() -> dict[str, Any]:
    """The chain's current end, to keep outside the database: position, HMAC and the time
    the checkpoint was taken. A later :func:`verify` with it detects a truncated log."""
    last = AuditEntry.objects.order_by("-position").values_list("position", "hmac").first()
    position, last_hmac = last if last is not None else (0, chain.GENESIS_HMAC)
    return {"position": position, "hmac": last_hmac, "at": timezone.now().isoformat()}


def write_checkpoint(path: Path | None = None) -> Path:
    """Write :func:`checkpoint` as JSON to ``path`` (default: a new, time-stamped file in
    ``SCHAKEL_AUDIT_CHECKPOINT_DIR``) and return the path written."""
    data = checkpoint()
    if path is None:
        directory = Path(settings.SCHAKEL_AUDIT_CHECKPOINT_DIR)
        stamp = timezone.now().strftime("%Y%m%dT%H%M%S.%fZ")
        path = directory / f"{stamp}-{data['position']}.json"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename, so a crash never leaves half a checkpoint.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".checkpoint-")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def read_checkpoint(path: Path) -> dict[str, Any]:
    """Load a checkpoint file; ValueError when it is not one."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not a checkpoint file: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a checkpoint file")
    return data
