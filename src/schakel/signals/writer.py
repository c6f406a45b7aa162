"""Writing validated signals in batches: the same records as ``services.create_signal``
(signal, reference, sharing groups, indicators, triage record, mentions, audit entry, the
``signal_committed`` event after commit), with a few statements per batch instead of a dozen
per signal.

The ``*_for`` builders below say once how a validated signal becomes rows; every channel
(``services.create_signal`` for forms and the API, the bulk import) writes through
``write_signals``, so all store exactly the same records.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import connections, router, transaction
from django.db.models.base import ModelState
from django.utils import timezone

from schakel.audit import services as audit
from schakel.partners.models import User
from schakel.rows import (
    Deferred,
    copy_in,
    copy_lines,
    deferred,
    insert_rows,
    insert_values,
    reserve_ids,
    update_row,
)
from schakel.signals.events import signal_committed, signals_committed, signals_written
from schakel.signals.intake import CleanPerson, CleanSignal, triage_facts
from schakel.signals.models import (
    AddressMention,
    CompanyMention,
    IdentifierMention,
    PaymentMention,
    PersonMention,
    RelationMention,
    Signal,
    SignalIndicator,
    TriageRecord,
)
from schakel.signals.retention import initial_retention
from schakel.signals.rules import triage
from schakel.signals.rules.triage import TriageFacts

log = logging.getLogger(__name__)

#: Signals per batch: large enough that statements are few, small enough for every
#: database's limit on parameters in ``pk IN (...)``.
BATCH_SIZE = 500

#: ``progress(written, total)`` after each batch.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ToWrite:
    clean: CleanSignal
    source_key: str = ""
    #: When the signal reached its partner, where that was before it is written (the demo's
    #: history of signals received over the past year); else the moment it is written.
    received_at: datetime | None = None


def signal_reference(received_at: datetime, pk: int) -> str:
    """A reference people can read out on the phone: year and a running number."""
    return f"S-{received_at:%Y}-{pk:06d}"


def signal_for(
    item: ToWrite,
    result: triage.TriageResult,
    *,
    submitted_by: User,
    channel: str,
    received_at: datetime,
    reference: str,
    retention_until: date,
) -> Signal:
    return Signal(
        reference=reference,
        owner_organisation=submitted_by.organisation,
        submitted_by=submitted_by,
        channel=channel,
        received_at=received_at,
        created_at=received_at,
        retention_until=retention_until,
        municipality=item.clean.municipality,
        **own_signal_fields(item, result),
    )


def own_signal_fields(item: ToWrite, result: triage.TriageResult) -> dict[str, Any]:
    """The fields of a signal's row that differ from one signal of a write to the next,
    but its key, reference and municipality."""
    data = item.clean.data
    return {
        "reporter_withheld": data.reporter_withheld,
        "identity_withheld": data.identity_withheld,
        "observed_on": data.observed_on,
        "description": data.description.strip(),
        "forms_of_exploitation": sorted(set(data.forms_of_exploitation)),
        "tags": sorted(set(data.tags)),
        "tlp": data.tlp,
        "purpose": data.purpose,
        "legal_basis": data.legal_basis,
        "source_reliability": data.source_reliability,
        "information_reliability": data.information_reliability,
        "band": result.band,
        "source_key": item.source_key,
    }


# The rows below a signal are written as tuples of values, not model instances (nobody
# reads them back here, and building an instance costs more than preparing its values): the
# ``*_COLUMNS`` name each tuple's fields in order, as ``rows.insert_values`` wants them.

TRIAGE_COLUMNS = (
    "signal",
    "kind",
    "model_version",
    "score",
    "band",
    "result",
    "created_at",
    "created_by",
)


def triage_record_for(signal: Signal, result: triage.TriageResult) -> tuple[Any, ...]:
    return (
        signal.pk,
        TriageRecord.Kind.INTAKE.value,
        result.model_version,
        result.score,
        result.band,
        result.as_dict(),
        signal.created_at,
        None,
    )


PERSON_COLUMNS = (
    "signal",
    "role",
    "given_names",
    "family_name",
    "alias",
    "name_key",
    "date_of_birth",
    "age_band",
    "gender",
    "nationality",
    "migration_status",
    "languages",
)


def person_mention_for(signal: Signal, person: CleanPerson) -> tuple[Any, ...]:
    source = person.source
    return (
        signal.pk,
        source.role,
        source.given_names.strip(),
        source.family_name.strip(),
        source.alias.strip(),
        person.name_key,
        source.date_of_birth,
        source.age_band,
        source.gender,
        person.nationality,
        source.migration_status,
        list(source.languages),
    )


COMPANY_COLUMNS = ("signal", "name", "name_key", "registration_number", "role")
ADDRESS_COLUMNS = (
    "signal",
    "street",
    "house_number",
    "postcode",
    "city",
    "country",
    "address_key",
    "is_place_of_observation",
)
IDENTIFIER_COLUMNS = ("signal", "kind", "subkind", "value", "normalised", "person", "company")


RELATION_COLUMNS = ("signal", "kind", "person", "other_person", "company", "relationship")
PAYMENT_COLUMNS = (
    "signal",
    "payer_person",
    "payer_company",
    "payer_iban",
    "beneficiary_person",
    "beneficiary_company",
    "beneficiary_iban",
    "amount",
    "currency",
    "paid_on",
    "purpose",
)


def relations_for(
    signal: Signal, clean: CleanSignal, person_ids: Sequence[int], company_ids: Sequence[int]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The relation and payment rows of one signal; ``person_ids`` and ``company_ids`` are
    the keys of its persons' and companies' rows, in the signal's order."""

    def person(index: int | None) -> int | None:
        return None if index is None else person_ids[index]

    def company(index: int | None) -> int | None:
        return None if index is None else company_ids[index]

    relations = [
        (
            signal.pk,
            r.kind,
            person(r.person),
            person(r.other_person),
            company(r.company),
            r.relationship,
        )
        for r in clean.data.relations
    ]
    payments = [
        (
            signal.pk,
            person(p.source.payer_person),
            company(p.source.payer_company),
            p.payer_iban,
            person(p.source.beneficiary_person),
            company(p.source.beneficiary_company),
            p.beneficiary_iban,
            p.amount,
            p.currency,
            p.source.paid_on,
            p.source.purpose.strip(),
        )
        for p in clean.payments
    ]
    return relations, payments


def _ties_companies(clean: CleanSignal) -> bool:
    """Whether a relation or payment of the signal points at one of its companies (whose
    keys must then be known before its rows are written)."""
    return any(r.company is not None for r in clean.data.relations) or any(
        p.source.payer_company is not None or p.source.beneficiary_company is not None
        for p in clean.payments
    )


def mentions_for(
    signal: Signal, clean: CleanSignal
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The company, address and (not person-bound) identifier rows of one signal."""
    companies = [
        (
            signal.pk,
            company.name.strip(),
            key,
            company.registration_number.strip(),
            company.role,
        )
        for company, key in zip(clean.data.companies, clean.company_keys, strict=True)
    ]
    addresses = [
        (
            signal.pk,
            a.street.strip(),
            a.house_number.strip(),
            a.postcode.strip().upper(),
            a.city.strip(),
            country,
            key or "",
            a.is_place_of_observation,
        )
        for a, key, country in zip(
            clean.data.addresses, clean.address_keys, clean.address_countries, strict=True
        )
    ]
    identifiers = [
        (signal.pk, kind, subkind, value, normalised, None, None)
        for kind, subkind, value, normalised in clean.identifiers
    ]
    return companies, addresses, identifiers


#: What a caller of ``write_signals`` writes with each batch: called with the batch's signals
#: and its deferred block.
Also = Callable[[Sequence[Signal], Deferred | None], None]


def write_signals(
    items: Sequence[ToWrite],
    *,
    submitted_by: User,
    channel: str,
    request: Any = None,
    audit_details: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
    also: Also | None = None,
) -> list[Signal]:
    """Store validated signals, triaged, in the caller's transaction (or one of its own): a
    failure writes none. One audit entry per batch and purpose lists the
    ids; ``signal_committed`` is sent for each signal once the transaction commits.
    ``also(signals, statements)`` is called for each batch once its signals are built, with
    the deferred block their rows go in, before their rows (None where there is no block,
    after them): what the caller writes into it about them is sent with them."""
    if submitted_by.organisation is None:
        raise ValueError("the submitter must belong to an organisation")
    received_at = timezone.now()
    written: list[Signal] = []
    # No savepoint of its own: a failure rolls back the caller's transaction with it.
    with transaction.atomic(savepoint=False):
        for start in range(0, len(items), batch_size):
            written += _write_batch(
                items[start : start + batch_size],
                submitted_by=submitted_by,
                channel=channel,
                received_at=received_at,
                request=request,
                audit_details=audit_details or {},
                also=also,
            )
            if progress is not None:
                progress(len(written), len(items))
    return written


#: How many keys of each kind a process writing one signal at a time takes beyond what the
#: signal needs, for its next signals (``rows.reserve_ids``).
KEYS_AHEAD = 32


def _write_batch(
    batch: Sequence[ToWrite],
    *,
    submitted_by: User,
    channel: str,
    received_at: datetime,
    request: Any,
    audit_details: Mapping[str, Any],
    also: Also | None,
) -> list[Signal]:
    results = [triage.evaluate(triage_facts(item.clean)) for item in batch]
    received = [item.received_at or received_at for item in batch]
    days = [timezone.localdate(when) for when in received]
    retention_by_day = {day: initial_retention(day) for day in set(days)}
    persons = sum(len(item.clean.persons) for item in batch)
    # Companies are numbered first only when a relation or payment points at one.
    companies = (
        sum(len(item.clean.data.companies) for item in batch)
        if any(_ties_companies(item.clean) for item in batch)
        else 0
    )

    def new_signals(references: Sequence[str]) -> list[Signal]:
        return [
            signal_for(
                item,
                result,
                submitted_by=submitted_by,
                channel=channel,
                received_at=when,
                reference=reference,
                retention_until=retention_by_day[day],
            )
            for item, result, when, day, reference in zip(
                batch, results, received, days, references, strict=True
            )
        ]

    record_written = functools.partial(
        _record_written,
        submitted_by=submitted_by,
        channel=channel,
        request=request,
        audit_details=audit_details,
    )
    # One cursor for the batch's statements: opening one costs about as much as a row.
    with connections[router.db_for_write(Signal)].cursor() as cursor:
        # PostgreSQL (and SQLite under the transaction's write lock) hand out the ids first,
        # so that each signal is inserted with its reference and each row below it with its
        # keys, nothing read back: every INSERT of the batch goes in one round trip.
        reserved = reserve_ids(
            {Signal: len(batch), PersonMention: persons, CompanyMention: companies},
            cursor=cursor,
            # One signal at a time (the API, the forms): the keys of the next ones too, so
            # that most signals need no round trip for them.
            ahead=KEYS_AHEAD if len(batch) == 1 else 0,
        )
        if reserved is not None:
            ids = reserved[Signal]
            signals = new_signals(
                [signal_reference(when, pk) for when, pk in zip(received, ids, strict=True)]
            )
            for signal, pk in zip(signals, ids, strict=True):
                signal.pk = pk
            with deferred(cursor) as statements:
                # The caller's statements first (an Idempotency-Key's record: a concurrent
                # retry collides with it before it collides with anything else).
                if also is not None:
                    also(signals, statements)
                insert_rows(Signal, signals, cursor=statements)
                _insert_rows_below(
                    signals,
                    batch,
                    results,
                    reserved[PersonMention],
                    reserved[CompanyMention] or None,
                    statements,
                )
                # The audit entry and what subscribers queue go with the rows they record.
                record_written(signals, statements=statements)
            return list(signals)
        else:
            # Elsewhere the rows get placeholders that are unique until the database has
            # numbered them, and their references are written after.
            token = uuid.uuid4().hex[:16]
            signals = new_signals([f"tmp-{token}-{index}" for index in range(len(batch))])
            insert_rows(Signal, signals, set_ids=True, cursor=cursor)
            if any(signal.pk is None for signal in signals):
                raise RuntimeError("the database did not return the ids of the new signals")
            for signal in signals:
                signal.reference = signal_reference(signal.received_at, signal.pk)
                update_row(Signal, signal.pk, reference=signal.reference, cursor=cursor)
            _insert_rows_below(signals, batch, results, None, None, cursor)
            if also is not None:
                also(signals, None)

    record_written(signals)
    return list(signals)


def _record_written(
    signals: Sequence[Signal],
    *,
    submitted_by: User,
    channel: str,
    request: Any,
    audit_details: Mapping[str, Any],
    statements: Deferred | None = None,
) -> None:
    """``signals_written`` now, the batch's audit entries (one per purpose) and the
    announcements after the commit; what they write is held in ``statements`` when given
    (the deferred block of the batch's rows). The audit entries come last: writing one
    locks the chain's head until the commit, and the others' statements are ready by
    then."""
    signals_written.send(sender=Signal, records=signals, statements=statements)
    by_purpose: dict[str, list[Signal]] = defaultdict(list)
    for signal in signals:
        by_purpose[signal.purpose].append(signal)
    for purpose, members in sorted(by_purpose.items()):
        audit.record_change(
            request,
            "create",
            "signals.signal",
            [signal.pk for signal in members],
            actor=submitted_by,
            purpose=purpose,
            details={
                "channel": channel,
                "bands": dict(sorted(Counter(s.band for s in members).items())),
                **audit_details,
            },
            statements=statements,
        )
    transaction.on_commit(lambda: _announce(signals))


def _insert_rows_below(
    signals: Sequence[Signal],
    batch: Sequence[ToWrite],
    results: Sequence[triage.TriageResult],
    person_ids: Sequence[int] | None,
    company_ids: Sequence[int] | None,
    cursor: Any,
) -> None:
    """Sharing, indicators, triage records, mentions, relations and payments: one INSERT per
    table. The persons' (and companies') mentions get ``person_ids`` (``company_ids``) when
    they were reserved, else the ids the database returns — the companies' only when a
    relation or payment needs them."""
    group_rows: list[tuple[int, int]] = []
    recipient_rows: list[tuple[int, int]] = []
    indicator_rows: list[tuple[int, str]] = []
    triage_rows, person_rows = [], []
    person_identifiers: list[list[tuple[str, str, str, str]]] = []
    company_rows, address_rows, identifier_rows = [], [], []
    tied = False
    for signal, item, result in zip(signals, batch, results, strict=True):
        clean = item.clean
        group_rows += [(signal.pk, group.pk) for group in clean.groups]
        recipient_rows += [(signal.pk, organisation.pk) for organisation in clean.recipients]
        indicator_rows += [(signal.pk, i) for i in sorted(set(clean.data.indicator_ids))]
        triage_rows.append(triage_record_for(signal, result))
        for person in clean.persons:
            person_rows.append(person_mention_for(signal, person))
            person_identifiers.append(person.identifiers)
        companies, addresses, identifiers = mentions_for(signal, clean)
        company_rows += companies
        address_rows += addresses
        identifier_rows += identifiers
        tied = tied or bool(item.clean.data.relations or item.clean.payments)

    insert_values(
        Signal.sharing_groups.through, ("signal", "sharinggroup"), group_rows, cursor=cursor
    )
    insert_values(
        Signal.recipients.through, ("signal", "organisation"), recipient_rows, cursor=cursor
    )
    insert_values(SignalIndicator, ("signal", "indicator_id"), indicator_rows, cursor=cursor)
    insert_values(TriageRecord, TRIAGE_COLUMNS, triage_rows, cursor=cursor)
    if person_ids is None:
        person_ids = insert_values(
            PersonMention, PERSON_COLUMNS, person_rows, returning_ids=True, cursor=cursor
        )
    else:
        insert_values(
            PersonMention,
            ("id", *PERSON_COLUMNS),
            [(pk, *row) for pk, row in zip(person_ids, person_rows, strict=True)],
            cursor=cursor,
        )
    for mention, person_id, values in zip(person_rows, person_ids, person_identifiers, strict=True):
        signal_id = mention[0]
        identifier_rows += [
            (signal_id, kind, subkind, value, normalised, person_id, None)
            for kind, subkind, value, normalised in values
        ]
    if company_ids:
        insert_values(
            CompanyMention,
            ("id", *COMPANY_COLUMNS),
            [(pk, *row) for pk, row in zip(company_ids, company_rows, strict=True)],
            cursor=cursor,
        )
    else:
        company_ids = insert_values(
            CompanyMention,
            COMPANY_COLUMNS,
            company_rows,
            returning_ids=any(_ties_companies(item.clean) for item in batch),
            cursor=cursor,
        )
    insert_values(AddressMention, ADDRESS_COLUMNS, address_rows, cursor=cursor)
    insert_values(IdentifierMention, IDENTIFIER_COLUMNS, identifier_rows, cursor=cursor)
    if not tied:
        return
    relation_rows: list[tuple[Any, ...]] = []
    payment_rows: list[tuple[Any, ...]] = []
    persons_at = companies_at = 0
    for signal, item in zip(signals, batch, strict=True):
        clean = item.clean
        persons_end = persons_at + len(clean.persons)
        companies_end = companies_at + len(clean.data.companies)
        relations, payments = relations_for(
            signal,
            clean,
            person_ids[persons_at:persons_end],
            company_ids[companies_at:companies_end] if company_ids else [],
        )
        relation_rows += relations
        payment_rows += payments
        persons_at, companies_at = persons_end, companies_end
    insert_values(RelationMention, RELATION_COLUMNS, relation_rows, cursor=cursor)
    insert_values(PaymentMention, PAYMENT_COLUMNS, payment_rows, cursor=cursor)


# Writing prepared in another process (the bulk import on PostgreSQL): a worker turns each
# checked signal into ``COPY`` lines by the builders above, without the columns only the
# writing process knows (keys, reference, municipality, sharing), and ``write_prepared``
# puts those in front and sends the lines, a few statements per batch.

#: A signal's line: these columns from the writing process, then those every signal of the
#: write shares (``_SIGNAL_SHARED``), then its own (``own_signal_fields``).
_SIGNAL_FRONT = ("id", "reference", "municipality")
_SIGNAL_OWN = (
    "reporter_withheld",
    "identity_withheld",
    "observed_on",
    "description",
    "forms_of_exploitation",
    "tags",
    "tlp",
    "purpose",
    "legal_basis",
    "source_reliability",
    "information_reliability",
    "band",
    "source_key",
)
_SIGNAL_SHARED = tuple(
    f.name
    for f in Signal._meta.local_concrete_fields
    if f.name not in _SIGNAL_FRONT and f.name not in _SIGNAL_OWN
)
_SIGNAL_COLUMNS = (*_SIGNAL_FRONT, *_SIGNAL_SHARED, *_SIGNAL_OWN)
_IDENTIFIER_REST = ("kind", "subkind", "value", "normalised", "company")


@dataclass(frozen=True)
class PreparedSignal:
    """A checked signal as ``COPY`` lines, each without its leading keys."""

    signal: bytes
    purpose: str
    band: str
    indicators: list[bytes]
    triage: bytes
    persons: list[bytes]
    companies: list[bytes]
    addresses: list[bytes]
    identifiers: list[tuple[int | None, bytes]]  # the index of its person, or None


@dataclass(frozen=True)
class WritingContext:
    """What every signal of one write shares."""

    submitted_by: User
    channel: str
    received_at: datetime
    retention_until: date
    #: Each triage, and its record's line, by what the triage looked at: a file has a few
    #: hundred distinct combinations, and the model is the same for the whole write.
    triaged: dict[TriageFacts, tuple[triage.TriageResult, bytes]] = field(
        default_factory=dict, compare=False
    )

    def shared_signal_values(self) -> list[Any]:
        """The values of ``_SIGNAL_SHARED``: this write's, and each other's field default."""
        known = {
            "owner_organisation": self.submitted_by.organisation_id,
            "submitted_by": self.submitted_by.pk,
            "channel": self.channel,
            "received_at": self.received_at,
            "created_at": self.received_at,
            "retention_until": self.retention_until,
        }
        meta = Signal._meta
        return [
            known[name] if name in known else meta.get_field(name).get_default()  # type: ignore[union-attr]
            for name in _SIGNAL_SHARED
        ]


@dataclass(frozen=True)
class _Unwritten:
    """What the row builders above read of a signal not written yet."""

    pk: None
    created_at: datetime


def prepare_signals(
    cleans: Sequence[CleanSignal | None],
    source_keys: Sequence[str],
    context: WritingContext,
    *,
    connection: Any,
) -> list[PreparedSignal | None]:
    """``PreparedSignal``s of checked signals (None stays None), for ``write_prepared``; no
    statement is sent. The signal's municipality, sharing groups and recipients are the
    writer's to add; relations and payments are not written this way."""
    items = [(c, k) for c, k in zip(cleans, source_keys, strict=True) if c is not None]
    if any(clean.data.relations or clean.payments for clean, _key in items):
        raise ValueError("signals with relations or payments are written by write_signals")
    unwritten = _Unwritten(pk=None, created_at=context.received_at)
    signal: Any = unwritten  # the builders read its key (None here) and creation time
    (shared,) = copy_lines(
        Signal, _SIGNAL_SHARED, [context.shared_signal_values()], connection=connection
    )
    shared = shared[:-1] + b"\t"
    # One list per table for the whole batch (one formatting call each), then cut per signal.
    signal_rows, bands, purposes = [], [], []
    indicator_rows: list[tuple[str]] = []
    person_rows, company_rows, address_rows = [], [], []
    identifier_rows: list[tuple[Any, ...]] = []
    counts: list[tuple[int, int, int, int, int]] = []
    person_of: list[int | None] = []
    triage_lines: list[bytes] = []
    for clean, key in items:
        facts = triage_facts(clean)
        known = context.triaged.get(facts)
        if known is None:
            result = triage.evaluate(facts)
            (line,) = copy_lines(
                TriageRecord,
                TRIAGE_COLUMNS[1:],
                [triage_record_for(signal, result)[1:]],
                connection=connection,
            )
            known = context.triaged[facts] = (result, line)
        result = known[0]
        triage_lines.append(known[1])
        own = own_signal_fields(ToWrite(clean, key), result)
        signal_rows.append([own[name] for name in _SIGNAL_OWN])
        bands.append(result.band)
        purposes.append(own["purpose"])
        indicators = sorted(set(clean.data.indicator_ids))
        indicator_rows += [(i,) for i in indicators]
        identifiers_before = len(identifier_rows)
        for index, person in enumerate(clean.persons):
            person_rows.append(person_mention_for(signal, person)[1:])
            for kind, subkind, value, normalised in person.identifiers:
                identifier_rows.append((kind, subkind, value, normalised, None))
                person_of.append(index)
        companies, addresses, identifiers = mentions_for(signal, clean)
        company_rows += [row[1:] for row in companies]
        address_rows += [row[1:] for row in addresses]
        for row in identifiers:
            identifier_rows.append((*row[1:5], None))
            person_of.append(None)
        counts.append(
            (
                len(indicators),
                len(clean.persons),
                len(companies),
                len(addresses),
                len(identifier_rows) - identifiers_before,
            )
        )
    signal_lines = iter(copy_lines(Signal, _SIGNAL_OWN, signal_rows, connection=connection))
    indicator_lines = iter(
        copy_lines(SignalIndicator, ("indicator_id",), indicator_rows, connection=connection)
    )
    person_lines = iter(
        copy_lines(PersonMention, PERSON_COLUMNS[1:], person_rows, connection=connection)
    )
    company_lines = iter(
        copy_lines(CompanyMention, COMPANY_COLUMNS[1:], company_rows, connection=connection)
    )
    address_lines = iter(
        copy_lines(AddressMention, ADDRESS_COLUMNS[1:], address_rows, connection=connection)
    )
    identifier_lines = iter(
        zip(
            person_of,
            copy_lines(IdentifierMention, _IDENTIFIER_REST, identifier_rows, connection=connection),
            strict=True,
        )
    )
    prepared = iter(
        PreparedSignal(
            signal=shared + next(signal_lines),
            purpose=purpose,
            band=band,
            indicators=[next(indicator_lines) for _ in range(indicators)],
            triage=triage_line,
            persons=[next(person_lines) for _ in range(persons)],
            companies=[next(company_lines) for _ in range(companies)],
            addresses=[next(address_lines) for _ in range(addresses)],
            identifiers=[next(identifier_lines) for _ in range(identifiers)],
        )
        for purpose, band, triage_line, (
            indicators,
            persons,
            companies,
            addresses,
            identifiers,
        ) in zip(purposes, bands, triage_lines, counts, strict=True)
    )
    return [None if clean is None else next(prepared) for clean in cleans]


#: Where a prepared signal goes; its sharing groups and recipients come from the writer.
ToSend = tuple[PreparedSignal, str, int | None, Sequence[int], Sequence[int]]


def write_prepared(
    batch: Sequence[ToSend],
    context: WritingContext,
    *,
    request: Any = None,
    audit_details: Mapping[str, Any] | None = None,
) -> list[Signal]:
    """Write prepared signals — each with its source key, municipality id, sharing group
    ids and recipient ids — in the caller's transaction: the same records as
    ``write_signals``, by ``COPY``. Returns the signals with their keys, references, bands
    and purposes (the rest is read when asked for)."""
    if not batch:
        return []
    connection = connections[router.db_for_write(Signal)]
    received_at = context.received_at
    with connection.cursor() as cursor:
        reserved = reserve_ids(
            {Signal: len(batch), PersonMention: sum(len(p.persons) for p, *_ in batch)},
            cursor=cursor,
        )
        if reserved is None:
            raise RuntimeError("write_prepared needs keys handed out before the rows")
        signal_ids, person_ids = reserved[Signal], iter(reserved[PersonMention])
        signal_lines: list[bytes] = []
        group_lines: list[bytes] = []
        recipient_lines: list[bytes] = []
        indicator_lines: list[bytes] = []
        triage_lines: list[bytes] = []
        person_lines: list[bytes] = []
        company_lines: list[bytes] = []
        address_lines: list[bytes] = []
        identifier_lines: list[bytes] = []
        signals: list[Signal] = []
        prefix = signal_reference(received_at, 0)[:-6]
        shared = {
            "owner_organisation_id": context.submitted_by.organisation_id,
            "submitted_by_id": context.submitted_by.pk,
            "channel": context.channel,
            "received_at": received_at,
            "created_at": received_at,
        }
        for (prepared, key, municipality, groups, recipients), pk in zip(
            batch, signal_ids, strict=True
        ):
            reference = f"{prefix}{pk:06d}"
            front = b"%d\t" % pk
            signal_lines.append(
                b"%d\t%s\t%s\t"
                % (pk, reference.encode(), b"\\N" if municipality is None else b"%d" % municipality)
                + prepared.signal
            )
            for group in groups:
                group_lines.append(b"%d\t%d\n" % (pk, group))
            for other in recipients:
                recipient_lines.append(b"%d\t%d\n" % (pk, other))
            for line in prepared.indicators:
                indicator_lines.append(front + line)
            triage_lines.append(front + prepared.triage)
            persons = []
            for line in prepared.persons:
                person = next(person_ids)
                persons.append(person)
                person_lines.append(b"%d\t%d\t" % (person, pk) + line)
            for line in prepared.companies:
                company_lines.append(front + line)
            for line in prepared.addresses:
                address_lines.append(front + line)
            for index, line in prepared.identifiers:
                identifier_lines.append(
                    front + (b"\\N\t" if index is None else b"%d\t" % persons[index]) + line
                )
            signals.append(
                _written_signal(
                    connection.alias,
                    id=pk,
                    reference=reference,
                    purpose=prepared.purpose,
                    band=prepared.band,
                    source_key=key,
                    **shared,
                )
            )
        copy_in(Signal, _SIGNAL_COLUMNS, signal_lines, cursor=cursor)
        copy_in(
            Signal.sharing_groups.through,
            ("signal", "sharinggroup"),
            group_lines,
            cursor=cursor,
        )
        copy_in(
            Signal.recipients.through,
            ("signal", "organisation"),
            recipient_lines,
            cursor=cursor,
        )
        copy_in(SignalIndicator, ("signal", "indicator_id"), indicator_lines, cursor=cursor)
        copy_in(TriageRecord, TRIAGE_COLUMNS, triage_lines, cursor=cursor)
        copy_in(PersonMention, ("id", *PERSON_COLUMNS), person_lines, cursor=cursor)
        copy_in(CompanyMention, COMPANY_COLUMNS, company_lines, cursor=cursor)
        copy_in(AddressMention, ADDRESS_COLUMNS, address_lines, cursor=cursor)
        copy_in(
            IdentifierMention,
            ("signal", "person", *_IDENTIFIER_REST),
            identifier_lines,
            cursor=cursor,
        )
    _record_written(
        signals,
        submitted_by=context.submitted_by,
        channel=context.channel,
        request=request,
        audit_details=audit_details or {},
    )
    return signals


def _written_signal(alias: str, **values: Any) -> Signal:
    """A written signal with ``values`` (attribute names) loaded and the rest deferred (read
    from the database when asked for), as ``Model.from_db`` makes it — made as unpickling
    makes a model instance, for a tenth of what ``__init__`` costs per field."""
    signal: Signal = Signal.__new__(Signal)
    signal.__dict__.update(values)
    signal._state = ModelState()
    signal._state.adding = False
    signal._state.db = alias
    return signal


def _announce(signals: Sequence[Signal]) -> None:
    """Tell subscribers (alerts, entities) about the new signals. One failing subscriber must
    not keep the others, or the rest of the batch, from hearing of it."""
    for signal in signals:
        for receiver, response in signal_committed.send_robust(sender=Signal, record=signal):
            _log_failure(receiver, response, signal_ids=[signal.pk])
    for receiver, response in signals_committed.send_robust(sender=Signal, records=signals):
        _log_failure(receiver, response, signal_ids=[s.pk for s in signals[:10]])


def _log_failure(receiver: Any, response: Any, *, signal_ids: list[int]) -> None:
    if isinstance(response, Exception):
        log.error(
            "signal_committed receiver failed",
            extra={
                "signal_ids": signal_ids,
                "receiver": getattr(receiver, "__qualname__", repr(receiver)),
                "error": type(response).__name__,
            },
        )
