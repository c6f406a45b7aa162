"""Resolving signals' mentions to entities, and what of them a user may see.

Resolution here is the part that needs no model: a bank account is its IBAN, a vehicle its
plate, a Dutch address its postcode and house number — mentions with the same key are one
entity. A person or company starts as an entity of its own; linkage (``schakel link``, and
matching after intake) joins them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404

from schakel.access import policy
from schakel.access.matrix import Level
from schakel.entities.models import BlockingKey, Entity, Mention, Relation, Schema
from schakel.entities.projection import project
from schakel.normalise import name_key
from schakel.rows import insert_rows
from schakel.signals.models import Signal

#: The blocking key that alone decides the entity of a mention of these schemata.
EXACT_KEYS = {Schema.BANK_ACCOUNT: "iban", Schema.VEHICLE: "plate", Schema.ADDRESS: "address"}


def resolve_signals(signal_ids: Iterable[int]) -> int:
    """Make the mentions of these signals and give each an entity; safe to run again (a
    signal whose mentions exist is skipped). Returns the number of mentions made."""
    made = 0
    for signal in Signal.objects.filter(pk__in=sorted(set(signal_ids))).order_by("pk"):
        made += _resolve_signal(signal)
    return made


@transaction.atomic
def _resolve_signal(signal: Signal) -> int:
    # Lock the signal: two workers resolving it at once make its mentions once.
    Signal.objects.select_for_update().filter(pk=signal.pk).first()
    if Mention.objects.filter(signal=signal).exists():
        return 0
    projected = project(signal)
    if not projected.mentions:
        return 0
    for mention, keys in zip(projected.mentions, projected.keys, strict=True):
        mention.entity = _entity_for(mention, keys)
    insert_rows(Mention, projected.mentions, set_ids=True)
    insert_rows(BlockingKey, projected.blocking_keys())
    insert_rows(Relation, projected.relation_rows(signal))
    return len(projected.mentions)


def _entity_for(mention: Mention, keys: list[tuple[str, str]]) -> Entity:
    kind = EXACT_KEYS.get(Schema(mention.schema))
    value = next((v for k, v in keys if k == kind), None) if kind else None
    if value:
        known = (
            BlockingKey.objects.filter(kind=kind, value=value[:300], mention__schema=mention.schema)
            .values_list("mention__entity_id", flat=True)
            .first()
        )
        if known is not None:
            return Entity.objects.get(pk=known)
    entity = Entity(schema=mention.schema, caption=mention.caption)
    entity.save()
    return entity


@dataclass(frozen=True)
class VisibleMention:
    mention: Mention
    signal: Signal


def visible_signals(user: Any) -> QuerySet[Signal]:
    return policy.visible(user, Signal.objects.all())


def visible_entities(user: Any) -> QuerySet[Entity]:
    """Entities with at least one mention in a signal the user may see (in the query, by
    the signals' own rules). What of each entity they see is decided per mention."""
    signals = visible_signals(user).values("pk")
    return Entity.objects.filter(mentions__signal__in=signals).distinct()


def mentions_shown_to(user: Any, mentions: Iterable[Mention]) -> Iterator[Mention]:
    """The mentions whose values ``user`` may see in full: their signal is visible and the
    matrix grants the mention's category (care, justice, general) in full. One policy
    decision per signal."""
    levels: dict[int, dict[str, Level]] = {}
    for mention in mentions:
        if mention.signal_id not in levels:
            signal = mention.signal
            levels[mention.signal_id] = (
                policy.decide(user, "view", signal).levels
                if policy.can(user, "view", signal)
                else {}
            )
        if levels[mention.signal_id].get(mention.category, Level.NONE) is Level.FULL:
            yield mention


def shown_mentions(user: Any, entity: Entity) -> list[Mention]:
    return list(
        mentions_shown_to(
            user,
            entity.mentions.select_related("signal", "organisation").order_by("stated_at", "pk"),
        )
    )


def get_entity_for_user(user: Any, pk: Any) -> tuple[Entity, list[Mention]]:
    """The entity and the mentions of it ``user`` may see in full; 404 when there are none
    (whether the entity exists or not)."""
    entity = visible_entities(user).filter(pk=pk).first() if str(pk).isdigit() else None
    if entity is None:
        raise Http404
    mentions = shown_mentions(user, entity)
    if not mentions:
        raise Http404
    return entity, mentions


def search_entities(user: Any, query: str) -> list[tuple[Entity, list[Mention]]]:
    """Entities the user may see with a mention whose name, address or identifier matches
    ``query`` (words in the caption, or a normalised phone number, IBAN, plate or name key),
    each with the mentions the user may see. At most 200."""
    words = query.strip()
    if not words:
        return []
    condition = Q(caption__icontains=words)
    keys = {words, name_key(words)} | _normalised_identifiers(words)
    condition |= Q(blocking_keys__value__in=sorted(k for k in keys if k))
    signals = visible_signals(user).values("pk")
    candidates = (
        Mention.objects.filter(condition, signal__in=signals, entity__isnull=False)
        .select_related("signal", "organisation")
        .distinct()
        .order_by("entity_id", "pk")[:1000]
    )
    by_entity: dict[int, list[Mention]] = {}
    for mention in mentions_shown_to(user, candidates):
        by_entity.setdefault(mention.entity_id or 0, []).append(mention)
    entities = Entity.objects.in_bulk(list(by_entity)[:200])
    return [(entities[pk], by_entity[pk]) for pk in sorted(entities)]


def _normalised_identifiers(text: str) -> set[str]:
    from schakel.normalise import iban_search_key, phone_search_key

    return {key for key in (phone_search_key(text), iban_search_key(text)) if key} | {
        text.replace(" ", "").replace("-", "").upper()
    }
