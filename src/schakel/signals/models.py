"""A signal and what it mentions: people, companies, addresses and identifiers.

Codes of vocabularies (forms of exploitation, person roles, gender, ...) and indicator ids are
stored as plain strings; they are validated against the reviewed rule files in
``schakel.signals.rules`` by the service layer, so that a reviewed change of a vocabulary never
needs a database migration.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schakel.appendonly import AppendOnly
from schakel.normalise import ADDRESS_KEY_LENGTH, IDENTIFIER_KEY_LENGTH, NAME_KEY_LENGTH


class Tlp(models.TextChoices):
    """Traffic Light Protocol 2.0 (FIRST): how far a recipient may pass information on."""

    CLEAR = "CLEAR", "TLP:CLEAR"
    GREEN = "GREEN", "TLP:GREEN"
    AMBER = "AMBER", "TLP:AMBER"
    AMBER_STRICT = "AMBER+STRICT", "TLP:AMBER+STRICT"
    RED = "RED", "TLP:RED"


class Channel(models.TextChoices):
    SHORT_FORM = "short_form", _("Short form")
    FULL_FORM = "full_form", _("Full form")
    API = "api", _("API")
    BULK = "bulk", _("Bulk import")


class Band(models.TextChoices):
    NO_ACTION = "no_action", _("No action")
    MONITOR = "monitor", _("Monitor")
    DISCUSS = "discuss", _("Discuss at the signal table")
    URGENT = "urgent", _("Urgent")


#: The outcome a signal is kept per until a signal table decides on it (``retention``).
PENDING = "pending"

#: A signal awaits a signal table: triaged discuss or urgent, no table has decided on it yet
#: (its retention outcome is recorded in the same transaction as a decision), and it still
#: holds what it said (not anonymised). The agenda's pool, with an index of its own.
AWAITING_TABLE = models.Q(
    retention_outcome=PENDING,
    band__in=(Band.DISCUSS.value, Band.URGENT.value),
    anonymised_at__isnull=True,
)

#: The unique key of (owner organisation, source key): the check that holds when two
#: requests or imports with the same key write at once (``schakel.constraints``).
SOURCE_KEY_UNIQUE = "signal_source_key_unique"


class Signal(models.Model):
    # Unique by a constraint of its own (below), not ``unique=True``: that would add a
    # second index for LIKE searches on PostgreSQL, which no query makes. (The same for the
    # indexed keys below: every lookup is by equality, and each index costs every write.)
    reference = models.CharField(_("reference"), max_length=32)
    owner_organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        related_name="signals",
        verbose_name=_("owner organisation"),
        # Lookups by owner use the index of (owner, received) below.
        db_index=False,
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="submitted_signals",
        verbose_name=_("submitted by"),
    )
    reporter_withheld = models.BooleanField(
        _("reporter's name withheld"),
        default=False,
        help_text=_("The submitter's name is visible only inside the owner organisation."),
    )
    identity_withheld = models.BooleanField(
        _("identity of the person withheld"),
        default=False,
        help_text=_("The partner does not name the person; the signal holds no person's name."),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    observed_on = models.DateField(_("observed on"), null=True, blank=True)
    description = models.TextField(_("what was seen"), blank=True)
    municipality = models.ForeignKey(
        "partners.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("municipality"),
    )
    forms_of_exploitation = models.JSONField(_("forms of exploitation"), default=list, blank=True)
    tags = models.JSONField(_("related programmes"), default=list, blank=True)

    tlp = models.CharField(_("sharing label"), max_length=16, choices=Tlp.choices)
    purpose = models.CharField(_("purpose of sharing"), max_length=40)
    legal_basis = models.CharField(_("legal basis"), max_length=40, blank=True)
    sharing_groups = models.ManyToManyField(
        "partners.SharingGroup",
        blank=True,
        related_name="signals",
        verbose_name=_("shared with groups"),
    )
    recipients = models.ManyToManyField(
        "partners.Organisation",
        blank=True,
        related_name="received_signals",
        verbose_name=_("named recipients (TLP:RED)"),
    )
    source_reliability = models.CharField(_("source reliability"), max_length=1, blank=True)
    information_reliability = models.CharField(
        _("information reliability"), max_length=1, blank=True
    )

    # The latest band (triage or a person's overruling): derived from the append-only records
    # below and kept here so that lists and the agenda filter on it in the database.
    band = models.CharField(_("band"), max_length=16, choices=Band.choices)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # A key of the submitter's own (an API client's id, a hash of an imported row): the same
    # key from the same organisation never makes a second signal.
    source_key = models.CharField(_("source key"), max_length=128, blank=True)
    retention_until = models.DateField(_("kept until"), null=True, blank=True, db_index=True)
    retention_outcome = models.CharField(_("retention outcome"), max_length=32, default=PENDING)
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("signal")
        verbose_name_plural = _("signals")
        indexes = [
            models.Index(fields=["owner_organisation", "-received_at"]),
            models.Index(fields=["band"], name="signal_band"),
            # The few signals awaiting a table among all ever received (10,000 of 468,000 in
            # docs/benchmarks.md): the agenda reads them here, in the order they came in. On
            # PostgreSQL, statistics over (retention outcome, band) go with it (migration
            # 0008): the planner otherwise takes the two as independent, guesses twelve times
            # as many rows, and reads every signal, decision and sharing to find them.
            models.Index(
                fields=["received_at", "id"], condition=AWAITING_TABLE, name="signal_awaiting_table"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["reference"], name="signal_reference_unique"),
            models.UniqueConstraint(
                fields=["owner_organisation", "source_key"],
                condition=~models.Q(source_key=""),
                name=SOURCE_KEY_UNIQUE,
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class SignalIndicator(models.Model):
    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="indicator_set")
    indicator_id = models.CharField(_("indicator"), max_length=80)

    class Meta:
        indexes = [models.Index(fields=["indicator_id"], name="signalindicator_indicator")]
        constraints = [
            models.UniqueConstraint(
                fields=["signal", "indicator_id"], name="signal_indicator_unique"
            )
        ]

    def __str__(self) -> str:
        return self.indicator_id


class TriageRecord(AppendOnly):
    """One triage of a signal by a model version. Append-only: re-triage adds a record."""

    class Kind(models.TextChoices):
        INTAKE = "intake", _("At intake")
        RETRIAGE = "retriage", _("Re-triage")

    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="triage_records")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    model_version = models.CharField(_("model version"), max_length=32)
    score = models.FloatField(_("score"))
    band = models.CharField(_("band"), max_length=16, choices=Band.choices)
    result = models.JSONField(_("reasons"))
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.band} ({self.model_version})"


class BandDecision(AppendOnly):
    """A person overrules the triage band, with a reason. Append-only; withdrawing is a new
    record with ``band`` empty (back to the model's band)."""

    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="band_decisions")
    band = models.CharField(_("band"), max_length=16, choices=Band.choices, blank=True)
    reason = models.TextField(_("reason"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["decided_at", "pk"]

    def __str__(self) -> str:
        return f"{self.band or '-'} by {self.decided_by_id}"

    @classmethod
    def forget_reasons(cls, signal: Signal) -> list[int]:
        """Retention's one change to stored decisions, when it anonymises ``signal``: each
        decision keeps its band, who and when, and loses its reason (free text, which often
        names the person). A queryset update, past ``save``'s refusal on purpose; nothing but
        retention may call it. Returns the ids of the decisions whose reason went."""
        named = cls.objects.filter(signal=signal).exclude(reason="")
        ids = list(named.values_list("pk", flat=True))
        cls.objects.filter(pk__in=ids).update(reason="")
        return ids


class PersonMention(models.Model):
    """A person as one signal describes them. Resolved to entities by the entities context."""

    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="persons")
    role = models.CharField(_("role"), max_length=32)
    given_names = models.CharField(_("given names"), max_length=200, blank=True)
    family_name = models.CharField(_("family name"), max_length=200, blank=True)
    alias = models.CharField(_("alias or nickname"), max_length=200, blank=True)
    name_key = models.CharField(max_length=NAME_KEY_LENGTH, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    age_band = models.CharField(_("age"), max_length=16, blank=True)
    gender = models.CharField(_("gender"), max_length=16, blank=True)
    nationality = models.CharField(_("nationality"), max_length=2, blank=True)
    migration_status = models.CharField(_("migration status"), max_length=32, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["name_key"], name="personmention_name_key")]

    def __str__(self) -> str:
        return " ".join(p for p in (self.given_names, self.family_name) if p) or self.alias or "?"


class CompanyMention(models.Model):
    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="companies")
    name = models.CharField(_("name"), max_length=300)
    name_key = models.CharField(max_length=NAME_KEY_LENGTH, blank=True)
    registration_number = models.CharField(_("KvK number"), max_length=16, blank=True)
    role = models.CharField(_("role"), max_length=32, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["name_key"], name="companymention_name_key")]

    def __str__(self) -> str:
        return self.name


class AddressMention(models.Model):
    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="addresses")
    street = models.CharField(_("street"), max_length=200, blank=True)
    house_number = models.CharField(_("house number"), max_length=16, blank=True)
    postcode = models.CharField(_("postcode"), max_length=16, blank=True)
    city = models.CharField(_("place"), max_length=120, blank=True)
    country = models.CharField(_("country"), max_length=2, default="NL")
    address_key = models.CharField(max_length=ADDRESS_KEY_LENGTH, blank=True)
    is_place_of_observation = models.BooleanField(_("where it was seen"), default=False)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["address_key"], name="addressmention_address_key")]

    def __str__(self) -> str:
        first = " ".join(p for p in (self.street, self.house_number) if p)
        # The country only when it is not the Netherlands, where most addresses are.
        country = self.country if self.country and self.country != "NL" else ""
        return ", ".join(
            p for p in (first, " ".join(p for p in (self.postcode, self.city) if p), country) if p
        )


class IdentifierKind(models.TextChoices):
    PHONE = "phone", _("Phone number")
    EMAIL = "email", _("E-mail address")
    IBAN = "iban", _("Bank account (IBAN)")
    PLATE = "plate", _("Vehicle plate")
    WEBSITE = "website", _("Website or advertisement")
    IDENTITY = "identity", _("Identity number")


class IdentifierMention(models.Model):
    """A phone number, e-mail address, IBAN, plate, website or identity number in a signal,
    optionally tied to one of the signal's persons or companies."""

    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="identifiers")
    kind = models.CharField(_("kind"), max_length=16, choices=IdentifierKind.choices)
    subkind = models.CharField(_("type"), max_length=32, blank=True)
    value = models.CharField(_("as given"), max_length=500)
    normalised = models.CharField(max_length=IDENTIFIER_KEY_LENGTH)
    person = models.ForeignKey(
        PersonMention, on_delete=models.CASCADE, null=True, blank=True, related_name="identifiers"
    )
    company = models.ForeignKey(
        CompanyMention, on_delete=models.CASCADE, null=True, blank=True, related_name="identifiers"
    )

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["kind", "normalised"], name="identifier_kind_value"),
            models.Index(fields=["normalised"], name="identifier_normalised"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.normalised}"


class RelationKind(models.TextChoices):
    """What a signal can say about how the people and companies it mentions are tied. Each
    kind is one FollowTheMoney link schema (the entities context makes them into links)."""

    FAMILY = "family", _("Family")
    ASSOCIATE = "associate", _("Associate")
    DIRECTOR = "director", _("Director of")
    OWNER = "owner", _("Owner of")
    EMPLOYEE = "employee", _("Works for")


#: Relations between two persons; the others tie a person to a company.
PERSON_TO_PERSON = frozenset({RelationKind.FAMILY, RelationKind.ASSOCIATE})


class RelationMention(models.Model):
    """A relation one signal states between two of its persons (family, associate) or a
    person and one of its companies (director, owner, employee)."""

    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="relations")
    kind = models.CharField(_("relation"), max_length=16, choices=RelationKind.choices)
    person = models.ForeignKey(PersonMention, on_delete=models.CASCADE, related_name="+")
    other_person = models.ForeignKey(
        PersonMention, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    company = models.ForeignKey(
        CompanyMention, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # Family only: what the other person is to the person (``family_relationships``).
    relationship = models.CharField(_("relationship"), max_length=32, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.person_id} -> {self.other_person_id or self.company_id}"


class PaymentMention(models.Model):
    """A payment a signal reports: from a person, company or bank account (IBAN) to another,
    with what is known of amount, currency, date and purpose."""

    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="payments")
    payer_person = models.ForeignKey(
        PersonMention, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    payer_company = models.ForeignKey(
        CompanyMention, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    payer_iban = models.CharField(_("from account (IBAN)"), max_length=34, blank=True)
    beneficiary_person = models.ForeignKey(
        PersonMention, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    beneficiary_company = models.ForeignKey(
        CompanyMention, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    beneficiary_iban = models.CharField(_("to account (IBAN)"), max_length=34, blank=True)
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    purpose = models.CharField(_("purpose"), max_length=300, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.amount or '?'} {self.currency}".strip()


class Attachment(models.Model):
    """A screenshot or document belonging to a signal. The file lives outside the database,
    under a name derived from its checksum, and is served only through the access policy."""

    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="attachments")
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("checksum (SHA-256)"), max_length=64, db_index=True)
    stored_name = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class RetentionHold(models.Model):
    """A context above keeps a signal past its retention date (e.g. an open case). Released
    holds stay as history."""

    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="retention_holds")
    held_by = models.CharField(_("held by"), max_length=100, help_text=_("e.g. case:42"))
    reason = models.CharField(_("reason"), max_length=300)
    placed_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["placed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["signal", "held_by"],
                condition=models.Q(released_at__isnull=True),
                name="retention_hold_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.held_by}: {self.reason}"


class SharingDefaults(models.Model):
    """How an organisation shares its signals unless the submitter chooses otherwise."""

    organisation = models.OneToOneField(
        "partners.Organisation", on_delete=models.CASCADE, related_name="signal_defaults"
    )
    tlp = models.CharField(
        _("sharing label"), max_length=16, choices=Tlp.choices, default=Tlp.AMBER
    )
    purpose = models.CharField(
        _("purpose of sharing"), max_length=40, default="signal_table_assessment"
    )
    sharing_groups = models.ManyToManyField(
        "partners.SharingGroup", blank=True, related_name="+", verbose_name=_("share with")
    )

    def __str__(self) -> str:
        return f"{self.organisation}: {self.tlp}"
