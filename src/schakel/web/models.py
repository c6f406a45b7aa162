"""What the site shell keeps: the answers to API requests sent with an Idempotency-Key."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class IdempotencyRecord(models.Model):
    """The first successful answer to a POST with an ``Idempotency-Key``, replayed to retries.

    Only a fingerprint of the request is kept, never its body; the stored answer is an API
    receipt (reference, band, links) without personal data, so that this table never holds
    what retention must delete (see ``schakel.web.idempotency``).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_records"
    )
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body")
    # Filled in before the transaction that inserted the row commits; nobody else ever sees
    # the row without them.
    status_code = models.PositiveSmallIntegerField(default=0)
    response_body = models.JSONField(default=dict)
    location = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            # The lock that makes concurrent retries safe: a second insert waits for the
            # first transaction and then fails, and the retry replays the committed answer.
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
