"""The keyed hash chain: canonical serialisation of an entry and its HMAC.

Each entry's HMAC covers every field in :data:`~schakel.audit.models.CHAINED_FIELDS`,
including its position and the previous entry's HMAC, so that changing, inserting or
removing an entry breaks the chain at that point. Without ``SCHAKEL_AUDIT_KEY`` nobody can
forge a valid entry; with a checkpoint kept outside the database, not even a key holder can
silently rewrite the history before it.

The format is deliberately simple so that an auditor can recompute it without Schakel:
``HMAC-SHA256(key, "schakel.audit.entry.v1\\n" + json)``, where ``json`` is the entry's
fields with sorted keys, no spaces, ASCII only, and the time as ISO 8601 in UTC with
microseconds.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from schakel.audit.models import CHAINED_FIELDS

#: The ``prev_hmac`` of the first entry.
GENESIS_HMAC = "0" * 64

# Domain separation: an entry HMAC can never equal a keyed user-name hash, or a hash made
# for any future purpose, even for the same bytes.
_ENTRY_DOMAIN = b"schakel.audit.entry.v1\n"
_USERNAME_DOMAIN = b"schakel.audit.username.v1\n"


def _key() -> bytes:
    key = str(getattr(settings, "SCHAKEL_AUDIT_KEY", "") or "")
    if not key:
        raise ImproperlyConfigured("SCHAKEL_AUDIT_KEY is empty: the audit log cannot be written")
    return key.encode("utf-8")


def format_time(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(fields: Mapping[str, Any]) -> bytes:
    """The bytes an entry's HMAC is computed over. Extra keys (such as ``hmac``) are ignored."""
    payload = {name: fields[name] for name in CHAINED_FIELDS}
    payload["at"] = format_time(payload["at"])
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


def entry_hmac(fields: Mapping[str, Any]) -> str:
    return hmac.new(_key(), _ENTRY_DOMAIN + canonical(fields), hashlib.sha256).hexdigest()


def username_hash(username: str) -> str:
    """A keyed hash of a typed user name, so investigators can match failed logins to an
    account name they already know, while the log itself holds no names.

    Case and surrounding spaces are ignored: user names are unique regardless of case, so
    "Alice " and "alice" name the same account and should match.
    """
    normalised = username.strip().casefold().encode("utf-8")
    return hmac.new(_key(), _USERNAME_DOMAIN + normalised, hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two hex digests."""
    return hmac.compare_digest(a.encode("ascii", "replace"), b.encode("ascii", "replace"))


def normalise_json(value: Any) -> Any:
    """``value`` as it will come back from a JSON column, so the HMAC computed before the
    insert matches the one recomputed on read (tuples become lists, keys become strings).
    Raises TypeError for anything that is not plain JSON data."""
    return json.loads(json.dumps(value, allow_nan=False))
