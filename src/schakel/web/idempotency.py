"""``Idempotency-Key`` for API POSTs: a retry gets the original answer instead of a second
record.

A client that did not hear the answer to a POST sends it again with the same key. The first
successful answer is stored with the user, the key and a fingerprint of the request:

- same user, key and request → the stored answer (status and body) again, with
  ``Idempotent-Replayed: true``; nothing is created;
- same user and key, another request → 422 (the key was meant for something else);
- an error answer (400, 403, 409, ...) is not stored: the transaction that would have
  created the record is rolled back with it, and the key stays free for a corrected request.

Concurrent retries: the record is inserted in the same transaction as the work, with the
answer, and *before* the work's own rows (``Answer.hold``, in the same round trip). The unique
constraint on (user, key) makes a second insert wait until the first transaction ends; if
that committed, the insert fails, the retry's transaction is rolled back whole and the retry
replays the committed answer; if it rolled back, the retry's insert goes through and its work
is kept. No window exists in which both create. Coming before the work's rows, the key is
what a retry collides with first (not, say, the ``external_id`` the same signal carries).

Keys expire after :data:`KEY_LIFETIME` (the periodic job ``expire-idempotency-keys``
deletes them; an expired key that is still stored counts as unused).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.request import Request
from rest_framework.response import Response

from schakel.constraints import violates_unique
from schakel.errors import Conflict, InvalidInput, SchakelError
from schakel.partners.models import User
from schakel.rows import Deferred, insert_values
from schakel.web.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_LIFETIME = timedelta(hours=24)
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, as in the IETF draft


class IdempotencyKeyReused(SchakelError):
    status_code = 422
    code = "idempotency_key_reused"
    default_message = _(
        "This Idempotency-Key was already used for a different request. Use a new key for a "
        "new request; send exactly the same request to get the original answer again."
    )


class _AlreadyAnswered(Exception):
    """Another transaction holds (or held) this user's key."""


class Answer:
    """The answer to a request being given, handed to the handler. A handler that writes
    its work in a ``schakel.rows.deferred`` block ``hold``s its answer in that block before
    its own statements: the key's record, answer included, is then inserted first and in
    the same round trip as the work. A handler that holds nothing has the record inserted
    after its work, in a statement of its own."""

    def __init__(self, record: _NewRecord | None) -> None:
        self._record = record
        self.held: Response | None = None

    def hold(self, response: Response, statements: Deferred | None) -> None:
        """``response`` is the answer (the handler returns this very object); its record is
        written with ``statements``, or at once without a block."""
        if self.held is not None:
            raise RuntimeError("an answer is held once")
        if self._record is not None and 200 <= response.status_code < 300:
            _insert_record(self._record, response, cursor=statements)
        self.held = response


def respond_once(request: Request, handle: Callable[[Answer], Response]) -> Response:
    """Answer ``request`` with ``handle(answer)`` — or, when it carries a key already
    answered, with the stored answer. ``handle`` must do all its writes in the caller's
    thread and database connection (it runs inside this function's transaction), and may
    hold its answer with its own writes (``Answer.hold``)."""
    key = request.headers.get(HEADER)
    if key is None:
        # One transaction all the same, so that a failure is rolled back before the caller
        # looks at the database again.
        with transaction.atomic():
            return handle(Answer(None))
    if not _VALID_KEY.match(key):
        raise InvalidInput(
            _("An Idempotency-Key is 1 to 255 visible ASCII characters."), field=HEADER
        )
    fingerprint = fingerprint_of(request)
    user: User = request.user  # type: ignore[assignment]  # the API admits signed-in users only
    # Twice at most: once more after an expired record of the same key was cleared away.
    for _attempt in range(2):
        try:
            response = _answer_first_time(user, key, fingerprint, handle)
        except _AlreadyAnswered:
            stored = _stored_answer(user, key, fingerprint)
            if stored is None:
                continue
            return stored
        except Exception:
            # The key is only known to be taken when the record is written, after the work:
            # a retry of a request answered before gets that answer even if the work would
            # now fail (the organisation left the group since, say), and another request
            # with a key used before gets 422 whatever its own problems.
            stored = _stored_answer(user, key, fingerprint)
            if stored is not None:
                return stored
            raise
        if not 200 <= response.status_code < 300:
            stored = _stored_answer(user, key, fingerprint)
            if stored is not None:
                return stored
        return response
    raise Conflict(_("This request is being answered already; try again in a moment."))


def _stored_answer(user: User, key: str, fingerprint: str) -> Response | None:
    """The answer stored for this user's key: replayed for the same request, 422 for
    another; None when there is none, or only an expired one (then removed)."""
    record = IdempotencyRecord.objects.filter(user=user, key=key).first()
    if record is None:
        return None
    if record.expires_at <= timezone.now():
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return None
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused(field=HEADER)
    return _replay(record)


#: The columns of a new record, in the order ``_insert_record`` gives them.
_RECORD_COLUMNS = (
    "user",
    "key",
    "fingerprint",
    "status_code",
    "response_body",
    "location",
    "created_at",
    "expires_at",
)


@dataclass(frozen=True)
class _NewRecord:
    user_id: int
    key: str
    fingerprint: str
    at: datetime


def _answer_first_time(
    user: User, key: str, fingerprint: str, handle: Callable[[Answer], Response]
) -> Response:
    record = _NewRecord(user.pk, key, fingerprint, timezone.now())
    with transaction.atomic():
        # Leaving the block with _AlreadyAnswered rolls back the work done meanwhile.
        try:
            answer = Answer(record)
            response = handle(answer)
            if not 200 <= response.status_code < 300:
                # Not remembered: the key stays free, and the work (if any) is undone.
                transaction.set_rollback(True)
                return response
            if answer.held is None:
                _insert_record(record, response, cursor=None)
            elif answer.held is not response:
                raise RuntimeError("the handler answered otherwise than the answer it held")
        except IntegrityError as exc:
            if not violates_unique(exc, IdempotencyRecord, "idempotency_user_key_unique"):
                raise
            raise _AlreadyAnswered from None
        return response


def _insert_record(record: _NewRecord, response: Response, *, cursor: Any) -> None:
    insert_values(
        IdempotencyRecord,
        _RECORD_COLUMNS,
        [
            (
                record.user_id,
                record.key,
                record.fingerprint,
                response.status_code,
                response.data,
                response.get("Location", "")[:500],
                record.at,
                record.at + KEY_LIFETIME,
            )
        ],
        cursor=cursor,
    )


def _replay(record: IdempotencyRecord) -> Response:
    headers = {REPLAYED_HEADER: "true"}
    if record.location:
        headers["Location"] = record.location
    return Response(record.response_body, status=record.status_code, headers=headers)


def fingerprint_of(request: Request) -> str:
    """Method, path and the parsed body: the same JSON with other spacing or key order is the
    same request."""
    canonical = json.dumps(
        {"method": request.method, "path": request.path, "body": _plain(request.data)},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    # A lone surrogate ("\ud800") is not UTF-8: kept as it is, for validation to refuse by
    # its field, where encoding failed first (a 500).
    return hashlib.sha256(canonical.encode("utf-8", errors="surrogatepass")).hexdigest()


def _plain(data: Any) -> Any:
    # A form-encoded body parses to a QueryDict; compare it as a plain mapping of lists.
    if hasattr(data, "lists"):
        return dict(data.lists())
    return data


def forget_expired_keys() -> str:
    """The periodic job: delete the records of expired keys."""
    deleted, _deleted = IdempotencyRecord.objects.filter(expires_at__lte=timezone.now()).delete()
    return f"{deleted} expired idempotency keys removed"
