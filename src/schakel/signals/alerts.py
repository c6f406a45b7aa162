"""An urgent signal alerts its region's contacts at once: in-app and by e-mail, through the
worker, audited. The alert names the reference and the reporting organisation only; a
TLP:RED signal alerts only the contacts among its named recipients."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from schakel.access import policy
from schakel.audit import services as audit
from schakel.jobs.backend import enqueue_held
from schakel.jobs.tasks import send_email
from schakel.notifications.services import notify
from schakel.partners.models import Region, RegionContact
from schakel.signals.events import signals_written
from schakel.signals.models import Band, Signal, Tlp


def contacts_for(signal: Signal) -> list[RegionContact]:
    """The contacts of the police region where it was seen (else the reporter's region). For
    a TLP:RED signal only those with an account that may see it (its named recipients): RED
    is for its recipients' eyes only, and even its reference and reporter would tell others
    that it exists."""
    place: Region | None = signal.municipality or signal.owner_organisation.region
    region = place.police_region() if place is not None else None
    if region is None:
        return []
    contacts = list(RegionContact.objects.filter(region=region).select_related("user"))
    if signal.tlp == Tlp.RED:
        contacts = [
            c for c in contacts if c.user is not None and policy.can(c.user, "view", signal)
        ]
    return contacts


#: Ahead of every other job: an urgent signal's alert goes "at once", not after the queue
#: of mentions to make that a busy hour leaves (workers take the highest priority first).
ALERT_PRIORITY = 50


@task(priority=ALERT_PRIORITY)
def alert_urgent_signal(signal_id: int) -> int:
    """Send the alert; safe to run again (a user is notified once per signal)."""
    signal = Signal.objects.select_related("owner_organisation", "municipality").get(pk=signal_id)
    contacts = contacts_for(signal)
    link = reverse("signal_detail", args=[signal.reference])
    with translation.override("nl"):
        title = _("Urgent signal %(reference)s") % {"reference": signal.reference}
        body = _(
            "%(organisation)s recorded a signal that the triage marks as urgent. Open "
            "Schakel to see what you may see of it, and contact the organisation."
        ) % {"organisation": signal.owner_organisation.name}
    users = [c.user for c in contacts if c.user is not None]
    notified = notify(
        users,
        kind="urgent_signal",
        title=title,
        body=body,
        link=link,
        source_type="signals.signal",
        source_id=str(signal.pk),
    )
    emailed_without_account = 0
    if notified or not users:
        # Contacts without an account get the e-mail only; once, with the first run.
        for contact in contacts:
            if contact.user is None and contact.email:
                send_email.enqueue(title, f"{body}\n\n{link}", [contact.email])
                emailed_without_account += 1
    if notified or emailed_without_account:
        audit.record_change(
            None,
            "alert_urgent",
            "signals.signal",
            [signal.pk],
            details={
                "users": sorted(n.recipient_id for n in notified),
                "emails_without_account": emailed_without_account,
            },
        )
    return len(notified) + emailed_without_account


@receiver(signals_written, sender=Signal)
def alert_when_urgent(sender: type[Signal], records: list[Signal], **kwargs: Any) -> None:
    # Queued in the transaction that writes the signals, with their rows when the writer
    # holds them (``statements``): an urgent signal is never committed without its alert,
    # and a 100,000-row import does not commit one job at a time after it.
    for record in records:
        if record.band == Band.URGENT:
            enqueue_held(alert_urgent_signal, kwargs.get("statements"), record.pk)
