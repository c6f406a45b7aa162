"""The audit log's tables: the entries themselves and the one-row head of the chain.

Actor and organisation are plain integers, not foreign keys: the log must outlive the users
and organisations it names, and ``audit`` sits below ``partners`` in the dependency stack.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

#: The fields covered by an entry's HMAC, in the order an investigator reads them.
CHAINED_FIELDS: tuple[str, ...] = (
    "position",
    "at",
    "actor_id",
    "organisation_id",
    "action",
    "object_type",
    "object_ids",
    "purpose",
    "request_id",
    "details",
    "prev_hmac",
)


class AppendOnlyError(Exception):
    """Raised when code tries to change or remove an audit entry through the ORM."""


class AuditEntry(models.Model):
    """One audited event. Written once by :mod:`schakel.audit.services`, never changed."""

    # The position is the key: gapless, assigned under the head lock, covered by the HMAC.
    position = models.PositiveBigIntegerField(_("position"), primary_key=True)
    at = models.DateTimeField(_("time"), db_index=True)
    actor_id = models.BigIntegerField(_("actor"), null=True, blank=True)
    organisation_id = models.BigIntegerField(_("organisation"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=64)
    # A read entry may list several object types, joined with commas.
    object_type = models.TextField(_("object type"), blank=True)
    # A list of ids, or for reads an object {object_type: [ids]}.
    object_ids = models.JSONField(_("object ids"), default=list, blank=True)
    purpose = models.TextField(_("purpose"), blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True, db_index=True)
    # Never personal data: counts, field names, role codes, keyed hashes.
    details = models.JSONField(_("details"), default=dict, blank=True)
    prev_hmac = models.CharField(_("previous HMAC"), max_length=64)
    hmac = models.CharField(_("HMAC"), max_length=64)

    class Meta:
        ordering = ["position"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            # Investigations ask "what did this person / organisation do, and when".
            models.Index(fields=["actor_id", "at"], name="audit_actor_at"),
            models.Index(fields=["organisation_id", "at"], name="audit_organisation_at"),
        ]

    def __str__(self) -> str:
        return f"#{self.position} {self.action} {self.object_type}".rstrip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The database refuses updates too (see migration 0002); this catches mistakes early,
        # with a clearer message than a trigger error.
        if not self._state.adding:
            raise AppendOnlyError("audit entries cannot be changed")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit entries cannot be deleted")

    def chained_fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in CHAINED_FIELDS}


class AuditHead(models.Model):
    """The chain's last position and HMAC, in one row.

    Writers lock this row (``SELECT ... FOR UPDATE``) before appending, so that two
    transactions on PostgreSQL can never both extend the same entry and fork the chain.
    """

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID)
    position = models.PositiveBigIntegerField(_("position"), default=0)
    hmac = models.CharField(_("HMAC"), max_length=64)

    class Meta:
        verbose_name = _("audit chain head")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="audit_head_single_row"),
        ]

    def __str__(self) -> str:
        return f"head at {self.position}"
