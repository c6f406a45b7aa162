"""Meetings of a signal table and the decisions taken there.

Decisions and their actions are append-only: a correction is a new decision that supersedes
the earlier one, with a reason; nothing is updated in place or deleted. The one exception is
retention (``Decision.forget_texts``): once every signal a decision covers is forgotten, what
people wrote about them goes, and the decision's structure stays.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schakel.appendonly import AppendOnly
from schakel.signals.models import Signal


class Meeting(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        CLOSED = "closed", _("Closed")

    group = models.ForeignKey(
        "partners.SharingGroup",
        on_delete=models.PROTECT,
        related_name="meetings",
        verbose_name=_("signal table"),
    )
    starts_at = models.DateTimeField(_("date and time"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PLANNED
    )
    present_organisations = models.ManyToManyField(
        "partners.Organisation",
        blank=True,
        related_name="+",
        verbose_name=_("present organisations"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-starts_at", "-pk"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        indexes = [models.Index(fields=["group", "-starts_at"], name="meeting_group_starts")]

    def __str__(self) -> str:
        return f"{self.group} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED


class Outcome(models.TextChoices):
    NO_ACTION = "no_action", _("No action")
    MONITOR = "monitor", _("Monitor")
    REFER = "refer", _("Refer to a partner")
    OPEN_CASE = "open_case", _("Open a case")
    REPORT_TO_POLICE = "report_to_police", _("Report to the police")


class Decision(AppendOnly):
    """What the table decided about a bundle of signals, and why."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, related_name="decisions", verbose_name=_("meeting")
    )
    signals: models.ManyToManyField[Signal, DecisionSignal] = models.ManyToManyField(
        "signals.Signal",
        through="DecisionSignal",
        related_name="table_decisions",
        verbose_name=_("signals"),
    )
    outcome = models.CharField(_("outcome"), max_length=32, choices=Outcome.choices)
    refer_to = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("referred to"),
    )
    rationale = models.TextField(_("rationale"))
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("corrects"),
    )
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), default=timezone.now, db_index=True)
    # Set by retention when it removed the free text (rationale, correction reason, the
    # actions' titles) because every signal of the decision was forgotten; the pages show a
    # marker with this date in its place.
    texts_removed_at = models.DateTimeField(_("texts removed by retention"), null=True, blank=True)

    class Meta:
        ordering = ["decided_at", "pk"]
        verbose_name = _("table decision")
        verbose_name_plural = _("table decisions")
        constraints = [
            models.CheckConstraint(
                condition=(Q(outcome="refer") & Q(refer_to__isnull=False))
                | (~Q(outcome="refer") & Q(refer_to__isnull=True)),
                name="decision_refer_names_a_partner",
            ),
            models.CheckConstraint(
                condition=Q(supersedes__isnull=True)
                | ~Q(correction_reason="")
                | Q(texts_removed_at__isnull=False),
                name="decision_correction_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} ({self.decided_at:%Y-%m-%d})"

    @property
    def is_correction(self) -> bool:
        return self.supersedes_id is not None

    @classmethod
    def forget_texts(cls, ids: list[int]) -> list[int]:
        """Retention's one change to stored decisions, when every signal of a decision is
        forgotten: the decision keeps its outcome, partner, meeting, who and when, its signals'
        references and its actions' organisations and due dates, and loses the free text
        (rationale, correction reason, the actions' titles), which often names the people.
        Queryset updates, past ``save``'s refusal on purpose; nothing but retention may call
        it. Returns the ids of the decisions whose texts went (none already gone)."""
        # Locked: a run at the same time waits, then finds them done.
        pending = list(
            cls.objects.select_for_update()
            .filter(pk__in=ids, texts_removed_at__isnull=True)
            .values_list("pk", flat=True)
        )
        cls.objects.filter(pk__in=pending).update(
            rationale="", correction_reason="", texts_removed_at=timezone.now()
        )
        DecisionAction.objects.filter(decision_id__in=pending).update(title="")
        return pending


class DecisionSignal(AppendOnly):
    """A signal a decision covers. The reference is kept so that the minutes still name a
    signal that the retention job has since removed."""

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="signal_links")
    signal = models.ForeignKey(
        "signals.Signal",
        on_delete=models.SET_NULL,
        null=True,
        related_name="table_decision_links",
    )
    # Retention may remove a signal (SET_NULL clears the link in one query, not via save()).
    reference = models.CharField(_("reference"), max_length=32)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "signal"], name="decision_signal_unique")
        ]

    def __str__(self) -> str:
        return self.reference


class DecisionAction(AppendOnly):
    """An action the table agreed for one organisation; carried out as a task of that
    organisation. The table's record of what was agreed stays here, the work in the task."""

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="actions")
    organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )
    title = models.CharField(_("action"), max_length=300)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    task = models.OneToOneField(
        "tasks.Task",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("task"),
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("agreed action")
        verbose_name_plural = _("agreed actions")

    def __str__(self) -> str:
        return f"{self.organisation}: {self.title}"
