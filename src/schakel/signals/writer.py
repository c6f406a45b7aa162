"""Writing validated signals in batches: the same records as ``services.create_signal``
(signal, reference, sharing groups, indicators, triage record, mentions, audit entry, the
``signal_committed`` event after commit), with a few statements per batch instead of a dozen
per signal.

The ``*_for`` builders below say once how a validated signal becomes rows; every channel
(``services.create_signal`` for forms and the API, the bulk import) writes through
``write_signals``, so all store exactly the same records.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from schakel.audit import services as audit
from schakel.partners.models import User
from schakel.rows import insert_rows, reserve_ids, update_row
from schakel.signals.events import signal_committed, signals_committed
from schakel.signals.intake import CleanPerson, CleanSignal, triage_facts
from schakel.signals.models import (
    AddressMention,
    CompanyMention,
    IdentifierMention,
    PersonMention,
    Signal,
    SignalIndicator,
    TriageRecord,
)
from schakel.signals.retention import initial_retention
from schakel.signals.rules import triage

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
    clean, data = item.clean, item.clean.data
    return Signal(
        reference=reference,
        owner_organisation=submitted_by.organisation,
        submitted_by=submitted_by,
        reporter_withheld=data.reporter_withheld,
        identity_withheld=data.identity_withheld,
        channel=channel,
        received_at=received_at,
        created_at=received_at,
        observed_on=data.observed_on,
        description=data.description.strip(),
        municipality=clean.municipality,
        forms_of_exploitation=sorted(set(data.forms_of_exploitation)),
        tags=sorted(set(data.tags)),
        tlp=data.tlp,
        purpose=data.purpose,
        legal_basis=data.legal_basis,
        source_reliability=data.source_reliability,
        information_reliability=data.information_reliability,
        band=result.band,
        retention_until=retention_until,
        source_key=item.source_key,
    )


def triage_record_for(signal: Signal, result: triage.TriageResult) -> TriageRecord:
    return TriageRecord(
        signal_id=signal.pk,
        kind=TriageRecord.Kind.INTAKE,
        model_version=result.model_version,
        score=result.score,
        band=result.band,
        result=result.as_dict(),
        created_at=signal.created_at,
    )


def person_mention_for(signal: Signal, person: CleanPerson) -> PersonMention:
    source = person.source
    return PersonMention(
        signal_id=signal.pk,
        role=source.role,
        given_names=source.given_names.strip(),
        family_name=source.family_name.strip(),
        alias=source.alias.strip(),
        name_key=person.name_key,
        date_of_birth=source.date_of_birth,
        age_band=source.age_band,
        gender=source.gender,
        nationality=source.nationality.upper(),
        migration_status=source.migration_status,
        languages=list(source.languages),
    )


def mentions_for(
    signal: Signal, clean: CleanSignal
) -> tuple[list[CompanyMention], list[AddressMention], list[IdentifierMention]]:
    """The company, address and (not person-bound) identifier rows of one signal."""
    companies = [
        CompanyMention(
            signal_id=signal.pk,
            name=company.name.strip(),
            name_key=key,
            registration_number=company.registration_number.strip(),
            role=company.role,
        )
        for company, key in zip(clean.data.companies, clean.company_keys, strict=True)
    ]
    addresses = [
        AddressMention(
            signal_id=signal.pk,
            street=a.street.strip(),
            house_number=a.house_number.strip(),
            postcode=a.postcode.strip().upper(),
            city=a.city.strip(),
            country=(a.country or "NL").upper(),
            address_key=key or "",
            is_place_of_observation=a.is_place_of_observation,
        )
        for a, key in zip(clean.data.addresses, clean.address_keys, strict=True)
    ]
    identifiers = [
        IdentifierMention(
            signal_id=signal.pk, kind=kind, subkind=subkind, value=value, normalised=normalised
        )
        for kind, subkind, value, normalised in clean.identifiers
    ]
    return companies, addresses, identifiers


def write_signals(
    items: Sequence[ToWrite],
    *,
    submitted_by: User,
    channel: str,
    request: Any = None,
    audit_details: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
) -> list[Signal]:
    """Store validated signals, triaged, in the caller's transaction (or one of its own): a
    failure writes none. One audit entry per batch and purpose lists the
    ids; ``signal_committed`` is sent for each signal once the transaction commits."""
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
            )
            if progress is not None:
                progress(len(written), len(items))
    return written


def _write_batch(
    batch: Sequence[ToWrite],
    *,
    submitted_by: User,
    channel: str,
    received_at: datetime,
    request: Any,
    audit_details: Mapping[str, Any],
) -> list[Signal]:
    results = [triage.evaluate(triage_facts(item.clean)) for item in batch]
    retention_until = initial_retention(timezone.localdate())
    # PostgreSQL hands out the ids first, so that each signal is inserted with its reference;
    # elsewhere (SQLite) the rows get placeholders that are unique until the database has
    # numbered them, and their references are written after.
    ids = reserve_ids(Signal, len(batch))
    token = uuid.uuid4().hex[:16]
    signals = [
        signal_for(
            item,
            result,
            submitted_by=submitted_by,
            channel=channel,
            received_at=received_at,
            reference=(
                signal_reference(received_at, ids[index])
                if ids is not None
                else f"tmp-{token}-{index}"
            ),
            retention_until=retention_until,
        )
        for index, (item, result) in enumerate(zip(batch, results, strict=True))
    ]
    if ids is not None:
        for signal, pk in zip(signals, ids, strict=True):
            signal.pk = pk
        insert_rows(Signal, signals)
    else:
        insert_rows(Signal, signals, set_ids=True)
        if any(signal.pk is None for signal in signals):
            raise RuntimeError("the database did not return the ids of the new signals")
        for signal in signals:
            signal.reference = signal_reference(received_at, signal.pk)
            update_row(Signal, signal.pk, reference=signal.reference)

    groups = Signal.sharing_groups.through
    recipients = Signal.recipients.through
    group_rows, recipient_rows, indicator_rows, triage_rows = [], [], [], []
    person_rows: list[PersonMention] = []
    person_identifiers: list[list[tuple[str, str, str, str]]] = []
    company_rows, address_rows, identifier_rows = [], [], []
    for signal, item, result in zip(signals, batch, results, strict=True):
        clean = item.clean
        group_rows += [groups(signal_id=signal.pk, sharinggroup_id=g.pk) for g in clean.groups]
        recipient_rows += [
            recipients(signal_id=signal.pk, organisation_id=o.pk) for o in clean.recipients
        ]
        indicator_rows += [
            SignalIndicator(signal_id=signal.pk, indicator_id=i)
            for i in sorted(set(clean.data.indicator_ids))
        ]
        triage_rows.append(triage_record_for(signal, result))
        for person in clean.persons:
            person_rows.append(person_mention_for(signal, person))
            person_identifiers.append(person.identifiers)
        companies, addresses, identifiers = mentions_for(signal, clean)
        company_rows += companies
        address_rows += addresses
        identifier_rows += identifiers

    insert_rows(groups, group_rows)
    insert_rows(recipients, recipient_rows)
    insert_rows(SignalIndicator, indicator_rows)
    insert_rows(TriageRecord, triage_rows)
    insert_rows(PersonMention, person_rows, set_ids=True)
    for mention, values in zip(person_rows, person_identifiers, strict=True):
        identifier_rows += [
            IdentifierMention(
                signal_id=mention.signal_id,
                person_id=mention.pk,
                kind=kind,
                subkind=subkind,
                value=value,
                normalised=normalised,
            )
            for kind, subkind, value, normalised in values
        ]
    insert_rows(CompanyMention, company_rows)
    insert_rows(AddressMention, address_rows)
    insert_rows(IdentifierMention, identifier_rows)

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
        )
    transaction.on_commit(lambda: _announce(signals))
    return list(signals)


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
