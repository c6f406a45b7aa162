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

from schakel.appendonly import AppendOnly
from schakel.cases.vocabulary import (
    OPEN_STATUSES,
    CaseStatus,
    DecidingOrganisationType,
    HandoverStatus,
    MessageKind,
    PlanStatus,
    RequestKind,
    RequestStatus,
    TraffickingStatus,
)
from schakel.signals.models import Tlp


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


# --- The one plan per victim ----------------------------------------------------------------


class Plan(models.Model):
    """The one plan of a possible or actual victim, whichever organisations and regions act
    on it: the database holds one per person (entity), so a second case about the same person
    finds the plan the first one made.

    ``case`` is the case that carries the plan: its lead organisation directs it, its label
    and purpose decide who sees it (``schakel/access/matrix.yaml``, ``cases.plan``).
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="plans")
    person = models.OneToOneField(CasePerson, on_delete=models.PROTECT, related_name="plan")
    entity = models.ForeignKey("entities.Entity", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    next_review_on = models.DateField(_("next review"), null=True, blank=True)
    planned_end_on = models.DateField(_("planned end"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # A plan merged into another (``PlanMerge``): its objectives and actions moved there.
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("plan")
        constraints = [models.UniqueConstraint(fields=["entity"], name="plan_one_per_person")]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"P-{self.pk:05d}" if self.pk else "P-?"

    # The access policy reads a resource's label and purpose both as an attribute of one
    # record and as a lookup in a query; a plan's are its case's. These two names serve both.
    @property
    def case__tlp(self) -> str:
        return self.case.tlp

    @property
    def case__purpose(self) -> str:
        return self.case.purpose


class PlanObjective(models.Model):
    """What the plan aims at in one domain (HTCDS ``spl_Objectives``)."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="objectives")
    domain = models.CharField(_("domain"), max_length=32)
    text = models.TextField(_("objective"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("objective")

    def __str__(self) -> str:
        # Shown in the action form's list of objectives: the domain as readers know it and
        # the objective whole (a cut-off one was hard to tell from the next).
        return f"{self.domain_label}: {self.text}"

    @property
    def domain_label(self) -> str:
        from schakel.cases import rules

        return rules.domains().get(self.domain).label.get()


class PlanAction(models.Model):
    """An action of the plan. It *is* a task of the one task model: owner organisation, owner
    user, due date, priority, status and result live on ``task`` only, so the plan and the
    owner's task list never disagree."""

    class Kind(models.TextChoices):
        ACTION = "action", _("Action")
        VEILIG_THUIS = "veilig_thuis", _("Report to Veilig Thuis?")

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="actions")
    objective = models.ForeignKey(
        PlanObjective, on_delete=models.PROTECT, null=True, blank=True, related_name="actions"
    )
    domain = models.CharField(_("domain"), max_length=32)
    description = models.TextField(_("action"))
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ACTION)
    task = models.OneToOneField("tasks.Task", on_delete=models.PROTECT, related_name="plan_action")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("plan action")
        constraints = [
            # The question about Veilig Thuis is asked once per plan, however often the
            # plan's conditions are checked.
            models.UniqueConstraint(
                fields=["plan", "kind"],
                condition=~models.Q(kind="action"),
                name="plan_action_special_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan}: {self.description[:40]}"


class PlanReview(AppendOnly):
    """A periodic review of the plan, with the date of the next."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="reviews")
    reviewed_on = models.DateField(_("reviewed on"))
    summary = models.TextField(_("summary"))
    next_review_on = models.DateField(_("next review"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["reviewed_on", "pk"]
        verbose_name = _("plan review")

    def __str__(self) -> str:
        return f"{self.plan} {self.reviewed_on}"


class PlanStatusChange(AppendOnly):
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="status_changes")
    status = models.CharField(_("status"), max_length=16, choices=PlanStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "pk"]


class PlanRequest(models.Model):
    """A structured request from the plan to a partner that acts on it (a shelter placement,
    the registration with CoMensha). ``content`` is generated from what the case holds when
    the request is made: nobody types it twice, and the recipient sees what was sent."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="requests")
    kind = models.CharField(_("request"), max_length=32, choices=RequestKind.choices)
    recipient = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        related_name="plan_requests",
        verbose_name=_("to"),
    )
    # For a registration with CoMensha: the partner obliged to report on whose behalf it is made.
    reporting_organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reported by"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.SENT
    )
    content = models.JSONField(default=dict)
    response_note = models.TextField(_("response"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        verbose_name = _("plan request")
        constraints = [
            # One open request of a kind per plan: a second click does not send it twice.
            models.UniqueConstraint(
                fields=["plan", "kind"],
                condition=models.Q(status="sent"),
                name="plan_request_one_open_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan}: {self.kind}"


class ActionEscalation(AppendOnly):
    """An overdue action was escalated to a level (the owner organisation, then the case
    lead), recorded on the case. Once per action, level and due date: the job may run as
    often as it likes, and a new due date that passes escalates again."""

    action = models.ForeignKey(PlanAction, on_delete=models.PROTECT, related_name="escalations")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="escalations")
    level = models.PositiveSmallIntegerField(_("level"))
    notify = models.CharField(max_length=32)
    due_date = models.DateField(_("due date"))
    recipients = models.JSONField(default=list)
    escalated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["escalated_at", "pk"]
        verbose_name = _("escalation")
        constraints = [
            models.UniqueConstraint(
                fields=["action", "level", "due_date"], name="escalation_once_per_level"
            )
        ]

    def __str__(self) -> str:
        return f"{self.action_id} level {self.level}"


# --- Handovers across organisations and regions ---------------------------------------------


class Handover(models.Model):
    """A request to hand the lead (regie) of a case, or its region, to another organisation.

    What was asked never changes after it is made; its answer is a ``HandoverAnswer`` (written
    once). ``status`` mirrors the answer beside the request so that "one open handover per
    case" is a database constraint and lists filter on it.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="handovers")
    from_organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("from"),
    )
    from_region = models.ForeignKey(
        "partners.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("from region")
    )
    to_organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        related_name="received_handovers",
        verbose_name=_("to"),
    )
    to_region = models.ForeignKey(
        "partners.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("to region")
    )
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=16, choices=HandoverStatus.choices, default=HandoverStatus.OPEN
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)

    class Meta:
        ordering = ["requested_at", "pk"]
        verbose_name = _("handover")
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status="open"),
                name="handover_one_open_per_case",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case}: {self.from_organisation_id} -> {self.to_organisation_id}"

    @property
    def is_open(self) -> bool:
        return self.status == HandoverStatus.OPEN


class HandoverAnswer(AppendOnly):
    """The answer to a handover: accepted or declined by the receiving organisation, or
    withdrawn by the requesting one; with why. One per handover."""

    handover = models.OneToOneField(Handover, on_delete=models.PROTECT, related_name="answer")
    status = models.CharField(_("answer"), max_length=16, choices=HandoverStatus.choices)
    note = models.TextField(_("note"), blank=True)
    # Whom the receiving organisation named as the case's care coordinator when it accepted.
    care_coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("care coordinator"),
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered"), default=timezone.now)

    class Meta:
        verbose_name = _("answer to a handover")

    def __str__(self) -> str:
        return f"{self.handover_id}: {self.status}"


# --- The Dublin transfer hold ---------------------------------------------------------------


class TransferHold(models.Model):
    """A Dublin claimant who may be a victim is not transferred before their situation is
    assessed (``schakel.cases.holds``). ``reasons`` are the routes into the hold; it is lifted
    by the joint decision of the case lead and the liaison organisation (their
    ``TransferHoldAgreement`` records) or when its conditions end."""

    class Lifted(models.TextChoices):
        DECISION = "decision", _("Lifted by the case lead and the liaison organisation")
        CONDITIONS_ENDED = "conditions_ended", _("The conditions for the hold ended")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="transfer_holds")
    person = models.ForeignKey(CasePerson, on_delete=models.PROTECT, related_name="transfer_holds")
    reasons = models.JSONField(default=list)
    liaison_organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfer_holds",
        verbose_name=_("immigration liaison"),
    )
    task = models.OneToOneField(
        "tasks.Task", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    placed_at = models.DateTimeField(_("placed"), default=timezone.now)
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lifted_because = models.CharField(
        _("lifted because"), max_length=24, choices=Lifted.choices, blank=True
    )

    class Meta:
        ordering = ["placed_at", "pk"]
        verbose_name = _("Dublin transfer hold")
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(lifted_at__isnull=True),
                name="transfer_hold_one_active_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case}: {self.person_id}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None

    # The access policy reads a resource's label and purpose as its case's.
    @property
    def case__tlp(self) -> str:
        return self.case.tlp

    @property
    def case__purpose(self) -> str:
        return self.case.purpose


class TransferHoldAgreement(AppendOnly):
    """One side's recorded agreement to lift a transfer hold, with its rationale."""

    class Side(models.TextChoices):
        LEAD = "lead", _("Case lead")
        LIAISON = "liaison", _("Immigration liaison")

    hold = models.ForeignKey(TransferHold, on_delete=models.PROTECT, related_name="agreements")
    side = models.CharField(_("side"), max_length=16, choices=Side.choices)
    organisation = models.ForeignKey(
        "partners.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    rationale = models.TextField(_("rationale"))
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    agreed_at = models.DateTimeField(_("agreed"), default=timezone.now)

    class Meta:
        ordering = ["agreed_at", "pk"]
        verbose_name = _("agreement to lift a transfer hold")
        constraints = [
            models.UniqueConstraint(fields=["hold", "side"], name="transfer_hold_agreement_once")
        ]

    def __str__(self) -> str:
        return f"{self.hold_id}: {self.side}"


# --- Following the entities: plan merges and splits ---------------------------------------


class PlanMerge(models.Model):
    """Linkage merged entities, and two or more plans are now on one person. The plans are
    never merged silently: the lead organisation (or care coordinator) of every case carrying
    one agrees (``PlanMergeAnswer``); the last agreement merges them into the plan the first
    one chose. One declining keeps them apart (an analyst may then split the entity).
    ``schakel.cases.following``."""

    class Status(models.TextChoices):
        OPEN = "open", _("Proposed")
        MERGED = "merged", _("Merged")
        DECLINED = "declined", _("Declined")
        VOID = "void", _("No longer needed")

    entity = models.ForeignKey(
        "entities.Entity", on_delete=models.PROTECT, related_name="+", verbose_name=_("person")
    )
    plans = models.ManyToManyField(Plan, related_name="merge_proposals", verbose_name=_("plans"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    kept_plan = models.ForeignKey(
        Plan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("plan kept"),
    )
    tasks = models.ManyToManyField("tasks.Task", related_name="+", blank=True)
    proposed_at = models.DateTimeField(_("proposed"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["proposed_at", "pk"]
        verbose_name = _("proposed plan merge")
        constraints = [
            models.UniqueConstraint(
                fields=["entity"], condition=models.Q(status="open"), name="plan_merge_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"PM-{self.pk}"


class PlanMergeAnswer(AppendOnly):
    """One case's answer to a proposed plan merge, with the plan it would keep."""

    merge = models.ForeignKey(PlanMerge, on_delete=models.PROTECT, related_name="answers")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    agrees = models.BooleanField(_("agrees"))
    kept_plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered"), default=timezone.now)

    class Meta:
        ordering = ["answered_at", "pk"]
        verbose_name = _("answer to a proposed plan merge")
        constraints = [
            models.UniqueConstraint(fields=["merge", "case"], name="plan_merge_answer_once")
        ]


class PlanSplitChoice(models.Model):
    """Linkage split the entity a plan is for: the plan's coordinator chooses which of the
    entities (the original or a part) keeps it. Until then it stays with the original."""

    class Status(models.TextChoices):
        OPEN = "open", _("To choose")
        CHOSEN = "chosen", _("Chosen")
        VOID = "void", _("No longer needed")

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="split_choices")
    original = models.ForeignKey("entities.Entity", on_delete=models.PROTECT, related_name="+")
    options = models.ManyToManyField("entities.Entity", related_name="+")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    chosen = models.ForeignKey(
        "entities.Entity", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    task = models.ForeignKey(
        "tasks.Task", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    chosen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("choice after a split")
        constraints = [
            models.UniqueConstraint(
                fields=["plan"], condition=models.Q(status="open"), name="plan_split_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan}: {self.status}"


# --- The secured line: police, prosecution and the care coordinator -------------------------


class Consent(AppendOnly):
    """A person's consent to share information about them on the secured line: for which
    purpose, what (``scope``) and with whom (organisations, or sectors), given when, recorded
    by whom. Mapped to HTCDS v2.0 ``con_Consent`` (``vocabulary.htcds_consent``).

    Written once; its withdrawal is a ``ConsentWithdrawal`` and takes effect at once: what was
    shared under it is no longer shown to its recipients, and nothing new is shared under it.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="consents")
    person = models.ForeignKey(
        CasePerson, on_delete=models.PROTECT, related_name="consents", verbose_name=_("person")
    )
    purpose = models.CharField(_("purpose"), max_length=40)
    scope = models.TextField(_("what may be shared"))
    organisations = models.ManyToManyField(
        "partners.Organisation",
        blank=True,
        related_name="+",
        verbose_name=_("with the organisations"),
    )
    sectors = models.JSONField(_("with the sectors"), default=list, blank=True)
    informed = models.BooleanField(
        _("the person was told the purpose, the use of the data and how to withdraw")
    )
    given_on = models.DateField(_("given on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "pk"]
        verbose_name = _("consent")

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"T-{self.pk:05d}" if self.pk else "T-?"


class ConsentWithdrawal(AppendOnly):
    """The person withdrew their consent: recorded by whom, when, with a note."""

    consent = models.OneToOneField(Consent, on_delete=models.PROTECT, related_name="withdrawal")
    note = models.TextField(_("note"), blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn"), default=timezone.now)

    class Meta:
        verbose_name = _("withdrawal of a consent")

    def __str__(self) -> str:
        return f"{self.consent_id} withdrawn"


class CaseMessage(AppendOnly):
    """A structured, case-bound message on the secured line between the police, the
    prosecution or the Royal Marechaussee and the case's care coordinator: its kind, purpose
    and legal basis, from which organisation to which. Only those organisations (and the case's
    care coordinator) see it (``cases.casemessage`` in the access matrix). Written once."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="messages")
    kind = models.CharField(_("kind"), max_length=32, choices=MessageKind.choices)
    sender_organisation = models.ForeignKey(
        "partners.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("from")
    )
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recipients = models.ManyToManyField(
        "partners.Organisation", related_name="received_case_messages", verbose_name=_("to")
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    purpose = models.CharField(_("purpose"), max_length=40)
    legal_basis = models.CharField(_("legal basis"), max_length=40)
    in_reply_to = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replies"
    )
    consent = models.ForeignKey(
        Consent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("shared under the consent"),
    )
    sent_at = models.DateTimeField(_("sent"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["sent_at", "pk"]
        verbose_name = _("message on the secured line")

    def __str__(self) -> str:
        return f"{self.case}: {self.kind}"
