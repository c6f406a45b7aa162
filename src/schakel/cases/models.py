"""A case: the people it is for, the signals it grew from, who leads it, and what was decided
about each person (trafficking status, migration status, the reflection period).

Decisions about a person and changes of a case's status are append-only records: a
correction is a new record, never an update in place; the latest one is the current state.
The case's ``status`` is kept beside its history so that lists filter on it in the database.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schakel.cases.vocabulary import (
    OPEN_STATUSES,
    CaseStatus,
    DecidingOrganisationType,
    TraffickingStatus,
)
from schakel.signals.models import Tlp
from schakel.signaltable.models import AppendOnly


class Case(models.Model):
    lead_organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        related_name="led_cases",
        verbose_name=_("lead organisation"),
    )
    care_coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="coordinated_cases",
        verbose_name=_("care coordinator"),
    )
    region = models.ForeignKey(
        "partners.Region",
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("region"),
    )
    tlp = models.CharField(_("sharing label"), max_length=16, choices=Tlp.choices)
    purpose = models.CharField(_("purpose of sharing"), max_length=40)
    legal_basis = models.CharField(_("legal basis"), max_length=40, blank=True)
    sharing_groups = models.ManyToManyField(
        "partners.SharingGroup",
        blank=True,
        related_name="cases",
        verbose_name=_("shared with groups"),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=CaseStatus.choices,
        default=CaseStatus.ACTIVE,
        db_index=True,
    )
    # The signal-table decision the case was opened from: the first of its chain of
    # corrections, so that neither a re-sent event nor a correction opens a second case.
    source_decision = models.OneToOneField(
        "signaltable.Decision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="case",
        verbose_name=_("opened by the decision"),
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("opened by"),
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["lead_organisation", "status"], name="case_lead_status"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """How people name the case on the phone and in minutes."""
        return f"Z-{self.pk:05d}" if self.pk else "Z-?"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def hold_name(self) -> str:
        """The name under which the case holds its signals past their retention date."""
        return f"case:{self.pk}"


class CaseStatusChange(AppendOnly):
    """A change of a case's status, with why; the first one records its opening."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="status_changes")
    status = models.CharField(_("status"), max_length=16, choices=CaseStatus.choices)
    reason = models.TextField(_("reason"), blank=True)
    referred_to = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("referred to"),
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        ordering = ["changed_at", "pk"]
        verbose_name = _("case status change")

    def __str__(self) -> str:
        return f"{self.get_status_display()} ({self.changed_at:%Y-%m-%d})"


class CaseSignal(models.Model):
    """A signal the case grew from or was linked to. The reference is kept so that the case
    still names a signal that retention removed after the case closed."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="signal_links")
    signal = models.ForeignKey(
        "signals.Signal", on_delete=models.SET_NULL, null=True, related_name="case_links"
    )
    reference = models.CharField(_("reference"), max_length=32)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "signal"], name="case_signal_unique")
        ]

    def __str__(self) -> str:
        return self.reference


class CasePerson(models.Model):
    """A person involved in the case: an entity (as linkage resolved the signals' mentions),
    with the role they have in it."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="people")
    entity = models.ForeignKey(
        "entities.Entity", on_delete=models.PROTECT, related_name="case_people"
    )
    role = models.CharField(_("role"), max_length=32)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("person involved")
        verbose_name_plural = _("people involved")
        constraints = [
            models.UniqueConstraint(fields=["case", "entity"], name="case_person_unique")
        ]

    def __str__(self) -> str:
        return f"{self.case}: {self.entity_id} ({self.role})"


class PersonRecord(AppendOnly):
    """A decision or fact about a person in a case: who recorded it, when."""

    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["recorded_at", "pk"]


class TraffickingStatusDecision(PersonRecord):
    """Possible victim, actual victim or not a victim: who decided it, of which type
    (HTCDS), when and on what basis."""

    person = models.ForeignKey(
        CasePerson, on_delete=models.PROTECT, related_name="trafficking_statuses"
    )
    status = models.CharField(
        _("trafficking status"), max_length=24, choices=TraffickingStatus.choices
    )
    deciding_organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    deciding_organisation_type = models.CharField(
        _("type of deciding organisation"), max_length=40, choices=DecidingOrganisationType.choices
    )
    decided_on = models.DateField(_("decided on"))
    basis = models.TextField(_("basis"))

    class Meta(PersonRecord.Meta):
        verbose_name = _("trafficking status decision")

    def __str__(self) -> str:
        return f"{self.get_status_display()} ({self.decided_on})"


class MigrationStatusRecord(PersonRecord):
    """A person's migration status (a code of the reviewed vocabulary) from a date on."""

    person = models.ForeignKey(
        CasePerson, on_delete=models.PROTECT, related_name="migration_statuses"
    )
    status = models.CharField(_("migration status"), max_length=32)
    since = models.DateField(_("since"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta(PersonRecord.Meta):
        verbose_name = _("migration status")

    def __str__(self) -> str:
        return self.status


class ReflectionOffer(PersonRecord):
    """The reflection period (bedenktijd) was offered: it runs from ``offered_on`` to
    ``ends_on``. A later offer for the same person replaces an earlier one."""

    person = models.ForeignKey(
        CasePerson, on_delete=models.PROTECT, related_name="reflection_offers"
    )
    offered_on = models.DateField(_("offered on"))
    offered_by = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("offered by"),
    )
    ends_on = models.DateField(_("ends on"))
    note = models.TextField(_("note"), blank=True)

    class Meta(PersonRecord.Meta):
        verbose_name = _("reflection period offer")
        indexes = [models.Index(fields=["ends_on"], name="reflection_ends_on")]

    def __str__(self) -> str:
        return f"{self.offered_on} - {self.ends_on}"
