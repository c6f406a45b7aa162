"""The reflection period (bedenktijd): three months from a recorded offer in which a possible
victim decides, in safety, whether to report or cooperate (Vreemdelingencirculaire B8/3).

Its end is shown counting down on the case, and a task reaches the lead organisation
``REMINDER_DAYS`` before it ends. ``raise_reflection_reminders`` is idempotent: a periodic
job (``schakel_periodic reflection-reminders``) runs it as often as it likes; an offer gets
one reminder, found again by the task's subject.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from schakel.cases.models import CasePerson, ReflectionOffer
from schakel.cases.vocabulary import OPEN_STATUSES
from schakel.tasks.models import Priority, Task
from schakel.tasks.services import create_task

#: The length of the period in the Netherlands.
PERIOD_MONTHS = 3
#: How long before the end the lead organisation gets its task.
REMINDER_DAYS = 14


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; the month's last day where it has no such day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_end(offered_on: date) -> date:
    return add_months(offered_on, PERIOD_MONTHS)


@dataclass(frozen=True)
class ReflectionState:
    offer: ReflectionOffer
    today: date

    @property
    def ends_on(self) -> date:
        return self.offer.ends_on

    @property
    def days_left(self) -> int:
        return max((self.offer.ends_on - self.today).days, 0)

    @property
    def has_ended(self) -> bool:
        return self.today >= self.offer.ends_on

    @property
    def ends_soon(self) -> bool:
        return not self.has_ended and self.days_left <= REMINDER_DAYS


def current_offer(person: CasePerson) -> ReflectionOffer | None:
    """The latest offer for the person (a later one replaces an earlier)."""
    offers = list(person.reflection_offers.all())  # uses a prefetch when there is one
    return max(offers, key=lambda o: (o.recorded_at, o.pk)) if offers else None


def state_of(person: CasePerson, today: date | None = None) -> ReflectionState | None:
    offer = current_offer(person)
    return ReflectionState(offer, today or timezone.localdate()) if offer else None


def _due_offers(today: date) -> list[ReflectionOffer]:
    """The current offers of people in open cases whose period ends within the reminder
    window (or has ended without a reminder: a job that did not run must not lose one)."""
    latest = (
        ReflectionOffer.objects.filter(person=OuterRef("person"))
        .order_by("-recorded_at", "-pk")
        .values("pk")[:1]
    )
    return list(
        ReflectionOffer.objects.filter(
            pk=Subquery(latest),
            ends_on__lte=today + timedelta(days=REMINDER_DAYS),
            person__case__status__in=OPEN_STATUSES,
        )
        .select_related("person__case__lead_organisation", "person__case__care_coordinator")
        .order_by("ends_on", "pk")
    )


def raise_reflection_reminders(today: date | None = None) -> int:
    """A task for each reflection period about to end that has none yet. Returns how many
    tasks were made; a second run the same day makes none."""
    today = today or timezone.localdate()
    offer_type = ContentType.objects.get_for_model(ReflectionOffer)
    made = 0
    for offer in _due_offers(today):
        with transaction.atomic():
            # Lock the offer: two runs at once make one task.
            ReflectionOffer.objects.select_for_update().filter(pk=offer.pk).exists()
            if Task.objects.filter(subject_type=offer_type, subject_id=str(offer.pk)).exists():
                continue
            case = offer.person.case
            coordinator = case.care_coordinator
            owner = (
                coordinator
                if coordinator is not None
                and coordinator.organisation_id == case.lead_organisation_id
                else None
            )
            # No names in the task: the task list is seen by the whole organisation; the case
            # page shows who it is to those who may see it.
            create_task(
                case.lead_organisation,
                _("Reflection period ends on %(date)s (case %(case)s)")
                % {"date": offer.ends_on.strftime("%d-%m-%Y"), "case": case.reference},
                description=_(
                    "The reflection period of a person in case %(case)s ends on %(date)s. "
                    "Talk with them about the next step: reporting, a residence permit, "
                    "return or other support."
                )
                % {"case": case.reference, "date": offer.ends_on.strftime("%d-%m-%Y")},
                due_date=offer.ends_on,
                priority=Priority.HIGH,
                owner_user=owner,
                subject=offer,
                # Filed under the case, so the task list finds it by the case's reference.
                reference=case.reference,
            )
            made += 1
    return made


def run_reflection_reminders() -> str:
    """The periodic job's entry point."""
    return f"{raise_reflection_reminders()} reflection-period reminders raised"
