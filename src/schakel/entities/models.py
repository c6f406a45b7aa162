"""Entities and their mentions.

A *mention* is one thing one signal says about a person, company, address, bank account or
vehicle: its values as given, the same values normalised into FollowTheMoney properties, and
where it came from (signal, organisation, time). Mentions are the evidence; an *entity* is
what linkage concluded that several mentions are about, and carries no values of its own —
its properties are the union of its mentions', so every value keeps its provenance.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JSONText(models.Field[Any, Any]):
    """JSON kept as text: written as the application made it, never parsed by the database.
    For a column that is only ever read whole and written in bulk (a batch run's pairs'
    explanations: PostgreSQL's parsing of three million jsonb values took 8 of the 27 s their
    COPY took). Not for values the database must look into."""

    def get_internal_type(self) -> str:
        return "TextField"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return None if value is None else json.loads(value)

    def to_python(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    def get_prep_value(self, value: Any) -> Any:
        return None if value is None else json.dumps(value, separators=(",", ":"))


class Schema(models.TextChoices):
    """The FollowTheMoney schemata entities are typed by."""

    PERSON = "Person", _("Person")
    COMPANY = "Company", _("Company")
    ADDRESS = "Address", _("Address")
    BANK_ACCOUNT = "BankAccount", _("Bank account")
    VEHICLE = "Vehicle", _("Vehicle")


class RelationSchema(models.TextChoices):
    """FollowTheMoney's link schemata used between a signal's mentions, and the property by
    which FollowTheMoney ties a person or company to an address."""

    EMPLOYMENT = "Employment", _("Employment")
    OWNERSHIP = "Ownership", _("Ownership")
    DIRECTORSHIP = "Directorship", _("Directorship")
    FAMILY = "Family", _("Family")
    ASSOCIATE = "Associate", _("Associate")
    UNKNOWN_LINK = "UnknownLink", _("Other link")
    PAYMENT = "Payment", _("Payment")
    ADDRESS = "addressEntity", _("Address")


class Entity(models.Model):
    schema = models.CharField(_("type"), max_length=32, choices=Schema.choices)
    caption = models.CharField(_("name"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Set when linkage or a judgement joined all of this entity's mentions into another one;
    # the row stays so that what refers to it (a case) can follow. Entities are never deleted,
    # and only linkage sets this: the database does not check it at commit (a first batch run
    # over a million mentions marks 800,000 entities merged, and checking each took 5 s);
    # Django's PROTECT still refuses deleting an entity another was merged into (tested).
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("entity")
        verbose_name_plural = _("entities")

    def __str__(self) -> str:
        return self.caption or f"{self.schema} {self.pk}"

    @property
    def ftm_id(self) -> str:
        return f"schakel-{self.pk}"


#: The role of an address mention that is where its signal was observed.
OBSERVED_AT = "observed_at"


class MentionRecord(models.Model):
    """What one signal says of one person, company, address, bank account or vehicle: the
    values and their provenance. Written once when the signal's mentions are made; which
    entity it belongs to lives apart, on ``Mention`` (see there). Use ``Mention``."""

    class Source(models.TextChoices):
        PERSON = "person", _("person")
        COMPANY = "company", _("company")
        ADDRESS = "address", _("address")
        IDENTIFIER = "identifier", _("identifier")

    schema = models.CharField(_("type"), max_length=32, choices=Schema.choices)
    # Provenance: who said it, in which signal, when.
    # Indexed below with the mention's id beside it (``mention_record_signal``).
    signal = models.ForeignKey(
        "signals.Signal",
        on_delete=models.CASCADE,
        related_name="entity_mentions",
        db_index=False,
    )
    # Without an index of its own: nothing looks mentions up by partner (their signal's access
    # decides who sees them).
    organisation = models.ForeignKey(
        "partners.Organisation", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    stated_at = models.DateTimeField(_("stated at"))
    # The row of the signal this mention was made from.
    source = models.CharField(max_length=16, choices=Source.choices)
    source_id = models.BigIntegerField()
    role = models.CharField(_("role"), max_length=32, blank=True)
    # The access matrix's field category of these values in the signal: care, justice or
    # general (a person's role decides; what belongs to a person shares its category).
    category = models.CharField(max_length=16, default="general")
    # The values as the partner gave them, by field.
    original = models.JSONField(default=dict)
    # FollowTheMoney property -> normalised values.
    properties = models.JSONField(default=dict)
    # Values kept as given but not valid for their type: [{"property", "value", "problem"}].
    flags = models.JSONField(default=list, blank=True)
    caption = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="mention_one_per_source")
        ]
        indexes = [
            # A signal's mentions, with their ids in the index (PostgreSQL; elsewhere a plain
            # index): the agenda reads the mentions of 10,000 signals as ids only, from the
            # index alone, not from these wide rows. Among 1.6 million mentions that took
            # 127-150 ms against 244-520 ms (docs/benchmarks.md).
            models.Index(fields=["signal"], include=["id"], name="mention_record_signal"),
        ]

    def __str__(self) -> str:
        return self.caption or f"{self.schema} mention {self.pk}"


class Mention(MentionRecord):
    """One person, company, address, bank account or vehicle as one signal mentions it, and
    the entity linkage gives it.

    The entity lives in a table of its own, beside the record (Django's multi-table
    inheritance: the two rows share their id, and every query joins them). A batch run moves
    most mentions of a first run over a million of them (800,000), and PostgreSQL writes a
    whole new row version for each: in the record's row, 430 bytes with four indexes, that
    took 17.9 s; in this one, 4.8 s (docs/benchmarks.md)."""

    record = models.OneToOneField(
        MentionRecord,
        on_delete=models.CASCADE,
        parent_link=True,
        primary_key=True,
        db_column="id",
    )
    # Derived, rewritten by every batch run, and set only by this app's code, while entities
    # are never deleted. Not checked by the database at commit: checking 800,000 moved
    # mentions took 9.5 s. Django's PROTECT still refuses deleting an entity that has
    # mentions (tested).
    entity = models.ForeignKey(
        Entity,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mentions",
        db_constraint=False,
    )

    class Meta:
        ordering = ["pk"]


class BlockingKey(models.Model):
    """An indexed key of a mention (a normalised name with the year of birth, a phone number,
    an identity number, a postcode with house number, ...): matching right after intake finds
    its candidates by these, in the main database."""

    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="blocking_keys")
    kind = models.CharField(max_length=24)
    value = models.CharField(max_length=300)

    class Meta:
        indexes = [models.Index(fields=["kind", "value"], name="blocking_kind_value")]

    def __str__(self) -> str:
        return f"{self.kind}={self.value}"


class Relation(models.Model):
    """A link between two mentions of the same signal, typed by a FollowTheMoney schema (or
    the ``addressEntity`` property), with the signal's provenance."""

    schema = models.CharField(_("type"), max_length=32, choices=RelationSchema.choices)
    source = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="relations_out")
    target = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="relations_in")
    role = models.CharField(_("role"), max_length=100, blank=True)
    signal = models.ForeignKey("signals.Signal", on_delete=models.CASCADE, related_name="+")
    # FollowTheMoney properties of the link itself, as the signal stated them: a payment's
    # amount, currency, date and purpose, a family tie's relationship.
    properties = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            # One link of a kind per pair, except payments: one signal may report several
            # between the same two.
            models.UniqueConstraint(
                fields=["schema", "source", "target"],
                condition=~models.Q(schema="Payment"),
                name="relation_once_per_pair",
            )
        ]

    def __str__(self) -> str:
        return f"{self.schema}: {self.source_id} -> {self.target_id}"


class LinkageRun(models.Model):
    """One linkage run: batch (``schakel link``) or matching after intake, with what it
    used and found."""

    class Kind(models.TextChoices):
        BATCH = "batch", _("batch")
        INTAKE = "intake", _("after intake")

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    schema = models.CharField(max_length=32, choices=Schema.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    threshold = models.FloatField(_("match threshold"))
    review_threshold = models.FloatField(_("review threshold"))
    # The trained model (Splink's settings with m and u values): matching after intake
    # scores with the parameters of the last successful batch run.
    model = models.JSONField(default=dict)
    # Each comparison's name and its levels' labels, which the run's pairs' compact
    # explanations point into (``explanations``).
    layout = models.JSONField(default=list)
    counts = models.JSONField(default=dict)
    durations = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    # For each column with a term-frequency adjustment, how many of the run's records had a
    # value in it (a batch run of people; ``TermFrequency``).
    term_frequency_totals = models.JSONField(default=dict)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.schema} {self.started_at:%Y-%m-%d %H:%M}"


class TermFrequency(models.Model):
    """How many records of a batch run of people held a value (a name part, an address, a
    phone number) of a column whose exact level weighs a common value less than a rare one,
    for the values at least two records held. Matching after intake scores with them as the
    run did; a value held once has the share of one record (``LinkageRun.term_frequency_totals``).
    Only the latest run's are kept. The values are personal data: retention takes the records
    of a forgotten signal off the counts, and a value held by fewer than two goes."""

    run = models.ForeignKey(LinkageRun, on_delete=models.CASCADE, related_name="+")
    column = models.CharField(max_length=32)
    value = models.TextField()
    records = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "column", "value"], name="entities_term_frequency_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.column}: {self.records}"


class Suggestion(models.Model):
    """Linkage suggests that two mentions are the same, with the evidence: the match
    probability and the match weight of each comparison. Open until judged, or superseded
    by a later run."""

    # Without foreign-key constraints in the database: a batch run writes millions of pairs,
    # and checking each one's mentions and run at commit took a third of its writing. The
    # pairs are derived data that every run rewrites; deleting a mention or a run deletes its
    # pairs through Django's cascade all the same (tested).
    left = models.ForeignKey(
        Mention, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    right = models.ForeignKey(
        Mention, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    # No index of its own either: only a batch run looks pairs up by run (superseding the
    # earlier runs' pairs, once a run), and each pair it writes updated it.
    run = models.ForeignKey(
        LinkageRun,
        on_delete=models.CASCADE,
        related_name="suggestions",
        db_constraint=False,
        db_index=False,
    )
    probability = models.FloatField(_("match probability"))
    match_weight = models.FloatField(_("match weight"))
    # Whether the model links the pair: the threshold reached *with* identifying evidence
    # (a shared address or phone alone never joins two people).
    links = models.BooleanField(default=False)
    # [[level, weight]] per comparison of the run's layout (see ``explanations``; pairs
    # stored before hold [{"comparison", "label", "weight"}]).
    explanation = JSONText(default=list)
    # What the review queue sorts by: uncertainty times impact (signals and partners joined).
    priority = models.FloatField(default=0)
    is_open = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-priority", "pk"]
        # The review queue: only the open pairs (a batch run writes hundreds of thousands of
        # closed, linked ones, which no queue index needs to hold).
        indexes = [
            models.Index(
                fields=["-priority", "id"],
                name="suggestion_open_queue",
                condition=models.Q(is_open=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.left_id} ~ {self.right_id}: {self.probability:.3f}"


class Judgement(models.Model):
    """An analyst's judgement that two mentions are, or are not, the same — or unsure.
    Append-only: withdrawing is a new record pointing at the one withdrawn. Judgements
    always override the model and survive every later run."""

    class Verdict(models.TextChoices):
        SAME = "same", _("the same")
        NOT_SAME = "not_same", _("not the same")
        UNSURE = "unsure", _("unsure")
        WITHDRAWN = "withdrawn", _("withdrawn")

    left = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="+")
    right = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="+")
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    reason = models.TextField(_("reason"))
    score = models.FloatField(_("model's probability then"), null=True, blank=True)
    # Retention deletes a judgement with its mentions, and the withdrawal of it with it.
    withdraws = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="withdrawn_by"
    )
    # Without a constraint in the database, like the pairs' own keys: each batch run deletes
    # millions of superseded pairs, and PostgreSQL checked every one against the judgements
    # at commit (16 s at a million mentions). A run never deletes a pair a judgement names
    # (``linking.supersede``), and Django's SET_NULL applies when anything else deletes one.
    suggestion = models.ForeignKey(
        Suggestion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="judgements",
        db_constraint=False,
    )
    judged_by = models.ForeignKey("partners.User", on_delete=models.PROTECT, related_name="+")
    judged_at = models.DateTimeField(default=timezone.now)
    # Shared by the "not the same" judgements one split made (``review.split_off``), so that
    # the split is withdrawn as it was made: withdrawing one of them alone leaves the record
    # apart while the others stand. Empty for a judgement made on its own.
    split = models.UUIDField(null=True, blank=True, editable=False, db_index=True)

    class Meta:
        ordering = ["judged_at", "pk"]

    def __str__(self) -> str:
        return f"{self.left_id} {self.verdict} {self.right_id}"


def export_directory() -> Path:
    """Where finished exports wait to be downloaded: inside the data directory, never served
    as static files, readable by the Schakel user alone."""
    return Path(settings.DATA_DIR) / "exports"


class FtmExport(models.Model):
    """One FollowTheMoney export of the entities a user may see, written by the worker to a
    file that only that user downloads. The streamed API answer is cut off when it takes
    longer than the web server's worker timeout; this is the way for a chain of any size,
    with its progress shown while it runs."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for the worker")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready to download")
        FAILED = "failed", _("Failed")

    class Phase(models.TextChoices):
        PLANNING = "planning", _("Finding what you may see")
        WRITING = "writing", _("Writing the entities")

    FINISHED = frozenset({Status.DONE, Status.FAILED})
    #: How long an export (the file and its record) is kept: it holds personal data, so only
    #: as long as its user needs to fetch it (``exports.prune_old_exports``).
    KEEP_FOR = timedelta(hours=24)

    # A random id: the export's addresses reveal no count.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        "partners.User",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested"), default=timezone.now, db_index=True)
    task_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    phase = models.CharField(max_length=16, choices=Phase.choices, blank=True)
    lines_total = models.PositiveIntegerField(_("entities to write"), default=0)
    lines_done = models.PositiveIntegerField(_("entities written"), default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    stored_name = models.CharField(max_length=100, blank=True)
    file_size = models.PositiveBigIntegerField(_("size"), default=0)
    file_sha256 = models.CharField(_("checksum (SHA-256)"), max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("FollowTheMoney export")
        verbose_name_plural = _("FollowTheMoney exports")

    def __str__(self) -> str:
        return f"export {self.pk} ({self.status})"

    @property
    def stored_path(self) -> Path | None:
        return export_directory() / self.stored_name if self.stored_name else None

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def expires_at(self) -> datetime:
        return self.created_at + self.KEEP_FOR

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.lines_done / self.lines_total) if self.lines_total else 0

    def download_name(self) -> str:
        stamp = timezone.localtime(self.created_at).strftime("%Y%m%d-%H%M")
        return f"schakel-entities-{stamp}.ftm.jsonl"

    def forget_file(self) -> None:
        """Delete the file: it holds personal data, and is kept only until it expires."""
        path = self.stored_path
        if path is not None:
            path.unlink(missing_ok=True)
        self.stored_name = ""
