"""Service functions of the signals context: intake, triage, overruling, lists."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.dispatch import Signal as Event
from django.utils import timezone
from django.utils.translation import gettext as _

from schakel.access import policy
from schakel.audit import services as audit
from schakel.errors import InvalidInput, NotAllowed
from schakel.partners.models import User
from schakel.signals.intake import (
    VICTIM_ROLES,
    CleanSignal,
    SignalInput,
    person_is_minor,
    validate_signal,
)
from schakel.signals.models import (
    AddressMention,
    Band,
    BandDecision,
    CompanyMention,
    IdentifierMention,
    PersonMention,
    Signal,
    SignalIndicator,
    TriageRecord,
)
from schakel.signals.retention import initial_retention
from schakel.signals.rules import triage

#: Sent after a signal's transaction commits: ``signal_committed.send(sender=Signal,
#: record=<Signal>)`` (not ``signal=``: Django's dispatcher passes itself under that name).
#: Higher contexts (entities, alerts) subscribe; intake never waits for them.
signal_committed = Event()


def _facts(clean: CleanSignal) -> triage.TriageFacts:
    data = clean.data
    victims = [p for p in clean.persons if p.source.role in VICTIM_ROLES]
    return triage.TriageFacts(
        indicator_ids=frozenset(data.indicator_ids),
        forms=frozenset(data.forms_of_exploitation),
        minor_victim=any(p.is_minor for p in victims),
        victim_count=len(victims),
        source_reliability=data.source_reliability or None,
        information_reliability=data.information_reliability or None,
    )


def _write_mentions(signal: Signal, clean: CleanSignal) -> None:
    for person in clean.persons:
        source = person.source
        mention = PersonMention.objects.create(
            signal=signal,
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
        IdentifierMention.objects.bulk_create(
            [
                IdentifierMention(
                    signal=signal,
                    person=mention,
                    kind=kind,
                    subkind=subkind,
                    value=value,
                    normalised=normalised,
                )
                for kind, subkind, value, normalised in person.identifiers
            ]
        )
    for company, key in zip(clean.data.companies, clean.company_keys, strict=True):
        CompanyMention.objects.create(
            signal=signal,
            name=company.name.strip(),
            name_key=key,
            registration_number=company.registration_number.strip(),
            role=company.role,
        )
    AddressMention.objects.bulk_create(
        [
            AddressMention(
                signal=signal,
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
    )
    IdentifierMention.objects.bulk_create(
        [
            IdentifierMention(
                signal=signal, kind=kind, subkind=subkind, value=value, normalised=normalised
            )
            for kind, subkind, value, normalised in clean.identifiers
        ]
    )


@transaction.atomic
def create_signal(
    data: SignalInput,
    *,
    submitted_by: User,
    channel: str,
    request: Any = None,
) -> Signal:
    """Validate, normalise, triage and store a signal in one transaction."""
    owner = submitted_by.organisation
    if owner is None:
        raise NotAllowed(_("Only members of an organisation can record signals."))
    clean = validate_signal(data, owner=owner, channel=channel)
    result = triage.evaluate(_facts(clean))
    signal = Signal.objects.create(
        # Unique placeholder within the column's 32 characters, replaced below.
        reference=f"tmp-{uuid.uuid4().hex[:24]}",
        owner_organisation=owner,
        submitted_by=submitted_by,
        reporter_withheld=data.reporter_withheld,
        identity_withheld=data.identity_withheld,
        channel=channel,
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
        retention_until=initial_retention(timezone.localdate()),
    )
    # A reference people can read out on the phone: year and a running number.
    signal.reference = f"S-{signal.received_at:%Y}-{signal.pk:06d}"
    signal.save(update_fields=["reference"])
    signal.sharing_groups.set(clean.groups)
    signal.recipients.set(clean.recipients)
    SignalIndicator.objects.bulk_create(
        [SignalIndicator(signal=signal, indicator_id=i) for i in sorted(set(data.indicator_ids))]
    )
    TriageRecord.objects.create(
        signal=signal,
        kind=TriageRecord.Kind.INTAKE,
        model_version=result.model_version,
        score=result.score,
        band=result.band,
        result=result.as_dict(),
    )
    _write_mentions(signal, clean)
    audit.record_change(
        request,
        "create",
        "signals.signal",
        [signal.pk],
        actor=submitted_by,
        purpose=data.purpose,
        details={"channel": channel, "band": result.band},
    )
    transaction.on_commit(lambda: signal_committed.send(sender=Signal, record=signal))
    return signal


def latest_triage(signal: Signal) -> TriageRecord | None:
    return signal.triage_records.order_by("-created_at", "-pk").first()


def current_overrule(signal: Signal) -> BandDecision | None:
    decision = signal.band_decisions.order_by("-decided_at", "-pk").first()
    return decision if decision is not None and decision.band else None


def _refresh_band(signal: Signal) -> None:
    overrule = current_overrule(signal)
    record = latest_triage(signal)
    band = overrule.band if overrule else (record.band if record else Band.NO_ACTION)
    if signal.band != band:
        signal.band = band
        signal.save(update_fields=["band"])


@transaction.atomic
def overrule_band(
    signal: Signal, band: str, *, reason: str, actor: User, request: Any = None
) -> BandDecision:
    """A person decides another band than the model's; recorded beside it, never instead.
    ``band=""`` withdraws the overruling (back to the model's band)."""
    if not policy.can(actor, "change", signal):
        raise NotAllowed()
    if band and band not in Band.values:
        raise InvalidInput(_("Unknown band."), field="band")
    if not reason.strip():
        raise InvalidInput(_("Say why you decide differently from the triage."), field="reason")
    decision = BandDecision.objects.create(
        signal=signal, band=band, reason=reason.strip(), decided_by=actor
    )
    _refresh_band(signal)
    audit.record_change(
        request,
        "overrule_band",
        "signals.signal",
        [signal.pk],
        actor=actor,
        details={"band": band or "withdrawn"},
    )
    return decision


@transaction.atomic
def retriage_signal(signal: Signal, *, actor: User, request: Any = None) -> TriageRecord:
    """Explicitly triage again with the current model (e.g. after a model change). The old
    result stays; a new record is added and audited."""
    if not policy.can(actor, "retriage", signal):
        raise NotAllowed()
    victims = [p for p in signal.persons.all() if p.role in VICTIM_ROLES]
    on = signal.observed_on or signal.received_at.date()
    facts = triage.TriageFacts(
        indicator_ids=frozenset(signal.indicator_set.values_list("indicator_id", flat=True)),
        forms=frozenset(signal.forms_of_exploitation),
        minor_victim=any(person_is_minor(p.date_of_birth, p.age_band, on) for p in victims),
        victim_count=len(victims),
        source_reliability=signal.source_reliability or None,
        information_reliability=signal.information_reliability or None,
    )
    result = triage.evaluate(facts)
    record = TriageRecord.objects.create(
        signal=signal,
        kind=TriageRecord.Kind.RETRIAGE,
        model_version=result.model_version,
        score=result.score,
        band=result.band,
        result=result.as_dict(),
        created_by=actor,
    )
    _refresh_band(signal)
    audit.record_change(
        request,
        "retriage",
        "signals.signal",
        [signal.pk],
        actor=actor,
        details={"model_version": result.model_version, "band": result.band},
    )
    return record


def visible_signals(user: User) -> QuerySet[Signal]:
    return policy.visible(user, Signal.objects.all()).select_related(
        "owner_organisation", "municipality"
    )


def search_signals(user: User, query: str) -> QuerySet[Signal]:
    """Signals the user may see whose description or identifiers match ``query``.

    Identifiers are compared on their normalised form, so a phone number, IBAN, e-mail
    address or plate is found however it was typed; a name is compared on its name key.
    What matched may lie in details the user may not see: the result then shows only that
    the signal exists and whom to contact (hit / no-hit), never the value.
    """
    from django.db.models import Q

    from schakel.normalise import (
        email_search_key,
        iban_search_key,
        name_key,
        phone_search_key,
    )

    query = query.strip()
    if not query:
        return visible_signals(user).none()
    condition = Q(description__icontains=query) | Q(reference__iexact=query)
    keys = {
        k for k in (phone_search_key(query), iban_search_key(query), email_search_key(query)) if k
    }
    compact = "".join(ch for ch in query.upper() if ch.isalnum())
    if compact:
        keys.add(compact)  # plates and identity numbers are stored compact and upper-case
    if keys:
        condition |= Q(identifiers__normalised__in=sorted(keys))
    key = name_key(query)
    if key:
        condition |= Q(persons__name_key=key) | Q(companies__name_key=key)
    matching = Signal.objects.filter(condition).values("pk")
    return visible_signals(user).filter(pk__in=matching)
