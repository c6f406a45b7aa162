"""Django's PostgreSQL backend, with the connection's health check skipped while the
connection is in steady use.

With ``CONN_HEALTH_CHECKS`` Django asks the server ``SELECT 1`` before the first query of
every request, so that a connection the server dropped while it lay idle (a restart, an
idle timeout) is replaced instead of failing the request. That is a round trip per request:
about a fiftieth of the CPU of a signal taken in over the API. A connection whose last
request ended without a database error less than :data:`QUIET_SECONDS` ago is taken as
healthy without asking; one idle for longer is checked as before. A connection lost in that
second fails its request, as it would between the check and the query, and Django replaces
it at the end of that request.
"""

from __future__ import annotations

import time

from django.db.backends.postgresql import base

#: How long after a request that used it without error a connection is trusted unchecked.
QUIET_SECONDS = 1.0


class DatabaseWrapper(base.DatabaseWrapper):
    _used_without_error_at: float | None = None

    def close_if_unusable_or_obsolete(self) -> None:
        # Django calls this at the start and at the end of every request.
        now = time.monotonic()
        steady = (
            self.connection is not None
            and not self.errors_occurred
            and self._used_without_error_at is not None
            and now - self._used_without_error_at < QUIET_SECONDS
        )
        super().close_if_unusable_or_obsolete()
        if self.connection is None or self.errors_occurred:
            self._used_without_error_at = None
            return
        self._used_without_error_at = now
        if steady:
            self.health_check_done = True
