"""Service functions of the signals context: intake, triage, overruling, lists."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from schakel.access import policy
from schakel.audit import services as audit
from schakel.errors import InvalidInput, NotAllowed
from schakel.partners.models import User
from schakel.signals.access import seeing_general_details_in_full
from schakel.signals.events import signal_committed
from schakel.signals.intake import VICTIM_ROLES, SignalInput, person_is_minor, validate_signal
from schakel.signals.models import Band, BandDecision, Signal, TriageRecord
from schakel.signals.rules import triage
from schakel.signals.writer import Also, ToWrite, write_signals

__all__ = [
    "create_signal",
    "current_overrule",
    "latest_triage",
    "overrule_band",
    "retriage_signal",
    "search_signals",
    "signal_committed",
    "visible_signals",
]


def create_signal(
    data: SignalInput,
    *,
    submitted_by: User,
    channel: str,
    source_key: str = "",
    request: Any = None,
    also: Also | None = None,
) -> Signal:
    """Validate, normalise, triage and store a signal in one transaction (the caller's, when
    there is one).

    Validated before anything is written, so a refusal leaves the caller's transaction
    usable; written by the same batch writer as bulk imports (``signals.writer``), so that
    every channel stores exactly the same records. ``also``: see ``write_signals``.
    """
    owner = submitted_by.organisation
    if owner is None:
        raise NotAllowed(_("Only members of an organisation can record signals."))
    clean = validate_signal(data, owner=owner, channel=channel)
    (signal,) = write_signals(
        [ToWrite(clean, source_key)],
        submitted_by=submitted_by,
        channel=channel,
        request=request,
        also=also,
    )
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
    # The day as intake saw it: the local date of receipt (in UTC, a signal received just
    # after midnight fell on the day before, and a person turning 18 that day was a minor).
    on = signal.observed_on or timezone.localdate(signal.received_at)
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
    """Signals the user may see whose description, names or identifiers match ``query``.

    Identifiers are compared on their normalised form, so a phone number, IBAN, e-mail
    address or plate is found however it was typed, and a name on its name key (the whole
    name); the value may lie in details the user may not see: the result then shows only
    that the signal exists and whom to contact (hit / no-hit), never the value. Words of the
    description are searched only in the signals whose general details the user sees in
    full: a part of a hidden text, tried letter by letter, would spell the text out.
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
    exact = Q(reference__iexact=query)
    keys = {
        k for k in (phone_search_key(query), iban_search_key(query), email_search_key(query)) if k
    }
    compact = "".join(ch for ch in query.upper() if ch.isalnum())
    if compact:
        keys.add(compact)  # plates and identity numbers are stored compact and upper-case
    if keys:
        exact |= Q(identifiers__normalised__in=sorted(keys))
    key = name_key(query)
    if key:
        exact |= Q(persons__name_key=key) | Q(companies__name_key=key)
    in_words = Q(description__icontains=query)
    readable = seeing_general_details_in_full(user, Signal.objects.all()).values("pk")
    matching = Signal.objects.filter(exact | (in_words & Q(pk__in=readable))).values("pk")
    return visible_signals(user).filter(pk__in=matching)
