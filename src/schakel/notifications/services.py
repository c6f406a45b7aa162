"""Send notifications: a row per user for the in-app list, and an e-mail through the worker."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from schakel.access import policy
from schakel.constraints import violates_unique
from schakel.notifications.models import Notification
from schakel.partners.models import User


def notify(
    users: Iterable[User],
    *,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    source_type: str = "",
    source_id: str = "",
    email: bool = True,
) -> list[Notification]:
    """Notify each user once per (kind, source); e-mail copies are queued for the worker.

    Idempotent: calling it again for the same source adds nobody twice.
    """
    from schakel.jobs.tasks import send_email

    created: list[Notification] = []
    for user in {u.pk: u for u in users if u.is_active}.values():
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    recipient=user,
                    kind=kind,
                    title=title,
                    body=body,
                    link=link,
                    source_type=source_type,
                    source_id=source_id,
                )
        except IntegrityError as exc:
            # Already told about this source; any other broken rule is a fault.
            if not violates_unique(exc, Notification, "notification_once_per_source"):
                raise
            continue
        created.append(notification)
        if email and user.email:
            send_email.enqueue(title, f"{body}\n\n{link}".strip(), [user.email])
            Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
    return created


def for_user(user: Any) -> QuerySet[Notification]:
    return policy.visible(user, Notification.objects.all())


def unread_count(user: Any) -> int:
    return for_user(user).filter(read_at__isnull=True).count()


def mark_read(user: Any, ids: Iterable[int] | None = None) -> int:
    unread = for_user(user).filter(read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())
