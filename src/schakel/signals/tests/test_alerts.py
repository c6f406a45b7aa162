"""An urgent signal alerts the region's contacts in-app and by e-mail, through the worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from django.core.management import call_command

from schakel.audit.models import AuditEntry
from schakel.notifications.models import Notification
from schakel.signals.alerts import alert_urgent_signal
from schakel.signals.tests.factories import make_signal
from schakel.testing.personas import World, build_world


@pytest.fixture
def live_world(transactional_db: None) -> Iterator[World]:
    with time_machine.travel("2026-11-29 10:00", tick=True):
        yield build_world()


def test_an_urgent_signal_alerts_the_regions_contacts_through_the_worker(
    live_world: World, mailoutbox: list[object]
) -> None:
    signal = make_signal(
        live_world.users["police_analyst"],
        groups=[live_world.table_a],
        indicator_ids=["ilo.physical_and_sexual_violence"],
    )
    assert signal.band == "urgent"
    assert not Notification.objects.exists()  # the web request does not wait for it
    call_command("schakel_worker", batch=True)
    carla = live_world.users["care_coordinator"]  # the region's care-coordination contact
    notification = Notification.objects.get(recipient=carla)
    assert signal.reference in notification.title
    assert "Popescu" not in notification.title + notification.body  # no personal data
    recipients = sorted(address for message in mailoutbox for address in message.to)
    assert recipients == ["avim@example.test", "carla@example.test"]
    entry = AuditEntry.objects.get(action="alert_urgent")
    assert entry.object_ids == [signal.pk] and entry.details["users"] == [carla.pk]


def test_a_red_signal_alerts_only_the_contacts_among_its_recipients(
    live_world: World, mailoutbox: list[object]
) -> None:
    """TLP:RED is for its named recipients only: a contact who may not see it learns
    nothing of it, not even its reference, and a contact without an account gets no e-mail
    (nothing says they are a recipient)."""
    urgent = {"indicator_ids": ["ilo.physical_and_sexual_violence"], "tlp": "RED"}
    police = live_world.users["police_analyst"]
    hidden = make_signal(police, recipient_ids=[live_world.ngo_a.pk], **urgent)
    shared = make_signal(police, recipient_ids=[live_world.municipality_a.pk], **urgent)
    assert hidden.band == shared.band == "urgent"
    call_command("schakel_worker", batch=True)
    carla = live_world.users["care_coordinator"]  # the region's contact, of the municipality
    assert [n.source_id for n in Notification.objects.filter(recipient=carla)] == [str(shared.pk)]
    assert hidden.reference not in "".join(
        f"{message.subject} {message.body}" for message in mailoutbox
    )
    assert [address for message in mailoutbox for address in message.to] == ["carla@example.test"]
    assert [e.object_ids for e in AuditEntry.objects.filter(action="alert_urgent")] == [[shared.pk]]


def test_the_alert_is_sent_once_however_often_the_job_runs(live_world: World) -> None:
    signal = make_signal(
        live_world.users["police_analyst"], indicator_ids=["ilo.physical_and_sexual_violence"]
    )
    call_command("schakel_worker", batch=True)
    alert_urgent_signal.call(signal.pk)
    assert Notification.objects.filter(source_id=str(signal.pk)).count() == 1
    assert AuditEntry.objects.filter(action="alert_urgent").count() == 1


def test_the_alert_is_queued_with_the_signal_and_rolled_back_with_it(live_world: World) -> None:
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    alerts = DBTaskResult.objects.filter(task_path__endswith="alert_urgent_signal")
    urgent = {"indicator_ids": ["ilo.physical_and_sexual_violence"]}
    with pytest.raises(RuntimeError), transaction.atomic():
        make_signal(live_world.users["police_analyst"], **urgent)
        assert alerts.count() == 1  # in the signal's transaction, not after it
        raise RuntimeError("the request fails after the signal was written")
    assert alerts.count() == 0
    signal = make_signal(live_world.users["police_analyst"], **urgent)
    assert alerts.get().args_kwargs["args"] == [signal.pk]


def test_a_signal_that_is_not_urgent_alerts_nobody(live_world: World) -> None:
    make_signal(live_world.users["care_coordinator"])
    call_command("schakel_worker", batch=True)
    assert not Notification.objects.exists()


def test_the_alert_goes_ahead_of_the_jobs_queued_before_it(live_world: World) -> None:
    """A busy hour leaves jobs to make mentions queued; an urgent signal's alert is the next
    job a worker takes, however many wait before it."""
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    for _ in range(3):
        make_signal(live_world.users["police_analyst"])
    signal = make_signal(
        live_world.users["police_analyst"], indicator_ids=["ilo.physical_and_sexual_violence"]
    )
    assert DBTaskResult.objects.ready().count() == 5
    with transaction.atomic():
        first = DBTaskResult.objects.ready().get_locked()  # as the worker claims its next job
    assert first is not None
    assert first.task_path.endswith("alert_urgent_signal")
    assert first.args_kwargs["args"] == [signal.pk]
