"""Background jobs shared by every context."""

from __future__ import annotations

from django.core.mail import send_mail
from django_tasks import task


@task()
def send_email(subject: str, body: str, recipients: list[str]) -> int:
    """Send one e-mail from the worker, so a slow mail server never holds up a page."""
    return send_mail(subject, body, None, recipients)
