"""Records that are written once: a correction is a new record, never an update.

The base for every append-only decision record (CONVENTIONS: decisions are append-only, with
who, when, why). ``save`` on a stored record and ``delete`` on a record refuse. Deleting the
record a decision belongs to still deletes the decision (Django's cascade does not call
``delete`` on each record): retention removes a signal with its history.

The one change to a stored record is retention's, when it forgets what a decision is about:
its free text goes by a queryset update, past ``save`` on purpose, audited, and the rest of
the record stays (``BandDecision.forget_reasons``, ``Decision.forget_texts``).
"""

from __future__ import annotations

from typing import Any

from django.db import models


class AppendOnlyError(Exception):
    """An attempt to change or delete a record that may only be added to."""


class AppendOnly(models.Model):
    """A record that is written once: a correction is a new record, never an update."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} records are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{type(self).__name__} records are append-only")
