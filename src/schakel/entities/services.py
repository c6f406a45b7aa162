"""Resolving signals' mentions to entities, and what of them a user may see.

Resolution here is the part that needs no model: a bank account is its IBAN, a vehicle its
plate, a Dutch address its postcode and house number — mentions with the same key are one
entity. A person or company starts as an entity of its own; linkage (``schakel link``, and
matching after intake) joins them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404

from schakel.access import policy
from schakel.access.matrix import Level
from schakel.entities.models import (
    BlockingKey,
    Entity,
    Mention,
    MentionRecord,
    Relation,
    Schema,
)
from schakel.entities.projection import project
from schakel.normalise import name_key
from schakel.rows import insert_rows
from schakel.signals.models import Signal

#: The blocking key that alone decides the entity of a mention of these schemata.
EXACT_KEYS = {Schema.BANK_ACCOUNT: "iban", Schema.VEHICLE: "plate", Schema.ADDRESS: "address"}


#: Signals resolved per transaction: their rows are read with a few queries and written
#: with one statement per table.
RESOLVE_BATCH = 200


def resolve_signals(signal_ids: Iterable[int]) -> int:
    """Make the mentions of these signals and give each an entity; safe to run again (a
    signal whose mentions exist is skipped). Returns the number of mentions made."""
    return len(resolve_new_mentions(signal_ids))


def resolve_new_mentions(signal_ids: Iterable[int]) -> list[int]:
    """``resolve_signals``, returning the ids of the mentions this call made (none for a
    signal another worker resolved first)."""
    ids = sorted(set(signal_ids))
    made: list[int] = []
    for start in range(0, len(ids), RESOLVE_BATCH):
        made += _resolve_batch(ids[start : start + RESOLVE_BATCH])
    return made


@transaction.atomic
def _resolve_batch(signal_ids: list[int]) -> list[int]:
    # Lock the signals: two workers resolving the same ones make their mentions once.
    list(Signal.objects.select_for_update().filter(pk__in=signal_ids).values_list("pk"))
    # The records alone: which signals have mentions needs no entity (and no join).
    done = set(
        MentionRecord.objects.filter(signal_id__in=signal_ids).values_list("signal_id", flat=True)
    )
    signals = (
        Signal.objects.filter(pk__in=[pk for pk in signal_ids if pk not in done])
        .prefetch_related(
            "persons", "companies", "addresses", "identifiers", "relations", "payments"
        )
        .order_by("pk")
    )
    mentions: list[Mention] = []
    keys: list[BlockingKey] = []
    relations: list[Relation] = []
    for signal in signals:
        projected = project(signal)
        mentions += projected.mentions
        keys += projected.blocking_keys()
        relations += projected.relation_rows(signal)
        for mention, mention_keys in zip(projected.mentions, projected.keys, strict=True):
            mention._exact_key = _exact_key(mention, mention_keys)  # type: ignore[attr-defined]
    if not mentions:
        return []
    _give_entities(mentions)
    # The records first, for their ids; then the mentions' entities under the same ids.
    insert_rows(MentionRecord, mentions, set_ids=True)
    for mention in mentions:
        mention.record_id = mention.id
    insert_rows(Mention, mentions)
    for key in keys:
        key.mention_id = key.mention.pk
    insert_rows(BlockingKey, keys)
    for relation in relations:
        relation.source_id, relation.target_id = relation.source.pk, relation.target.pk
    insert_rows(Relation, relations)
    return [mention.pk for mention in mentions]


def _exact_key(mention: Mention, keys: list[tuple[str, str]]) -> tuple[str, str, str] | None:
    kind = EXACT_KEYS.get(Schema(mention.schema))
    value = next((v for k, v in keys if k == kind), None) if kind else None
    return (str(mention.schema), kind, value[:300]) if kind and value else None


def _give_entities(mentions: list[Mention]) -> None:
    """An entity for each mention: the known one of its exact key (IBAN, plate, Dutch
    address), the same new one for mentions in this batch that share a key, else a new one."""
    wanted = {m._exact_key for m in mentions if m._exact_key}  # type: ignore[attr-defined]
    by_kind: dict[tuple[str, str], set[str]] = {}
    for schema, kind, value in wanted:
        by_kind.setdefault((schema, kind), set()).add(value)
    # One query per kind of key (IBAN, plate, address), not one per value. Where an analyst
    # split a key's records, the entity that holds most of them (the earliest of equals).
    known: dict[tuple[str, str, str], int] = {}
    for (schema, kind), values in by_kind.items():
        held: dict[str, Counter[int]] = defaultdict(Counter)
        for value, entity_id in (
            BlockingKey.objects.filter(kind=kind, value__in=values, mention__schema=schema)
            .exclude(mention__entity__isnull=True)
            .order_by("pk")
            .values_list("value", "mention__entity_id")
        ):
            held[value][entity_id] += 1
        for value, entities in held.items():
            known[(schema, kind, value)] = entities.most_common(1)[0][0]
    new_for_key: dict[tuple[str, str, str], Entity] = {}
    new: list[Entity] = []
    for mention in mentions:
        key = mention._exact_key  # type: ignore[attr-defined]
        if key in known:
            mention.entity_id = known[key]
            continue
        if key is not None and key in new_for_key:
            mention.entity = new_for_key[key]
            continue
        entity = Entity(schema=mention.schema, caption=mention.caption)
        new.append(entity)
        mention.entity = entity
        if key is not None:
            new_for_key[key] = entity
    Entity.objects.bulk_create(new)
    for mention in mentions:
        # Test the id first: reading ``mention.entity`` of a mention given a known entity's
        # id would fetch that entity, one query per mention.
        if mention.entity_id is None and mention.entity is not None:
            mention.entity_id = mention.entity.pk


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
    decision per signal; the decision reads the signal's sharing groups and recipients, so
    callers prefetch them (``SIGNAL_ACCESS``) or pay two queries per signal."""
    levels: dict[int, dict[str, Level]] = {}
    for mention in mentions:
        if mention.signal_id not in levels:
            # ``policy.can(user, "view", signal)`` is this decision's ``allows()``: deciding
            # once gives the same answer for half the work.
            decision = policy.decide(user, "view", mention.signal)
            levels[mention.signal_id] = decision.levels if decision.allows() else {}
        if levels[mention.signal_id].get(mention.category, Level.NONE) is Level.FULL:
            yield mention


#: What ``mentions_shown_to`` reads of each mention's signal, to prefetch on a queryset of
#: mentions (``.prefetch_related(*SIGNAL_ACCESS)``).
SIGNAL_ACCESS = ("signal__sharing_groups", "signal__recipients")


def shown_mentions(user: Any, entity: Entity) -> list[Mention]:
    return list(
        mentions_shown_to(
            user,
            entity.mentions.select_related("signal", "organisation")
            .prefetch_related(*SIGNAL_ACCESS)
            .order_by("stated_at", "pk"),
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
        .select_related("signal")
        .prefetch_related(*SIGNAL_ACCESS)
        .distinct()
        .order_by("entity_id", "pk")[:1000]
    )
    # Found only through a mention the user may see (a hidden spelling must not find the
    # entity), but shown with every mention of it they may see: "Records" counts them all.
    found: dict[int, None] = {}
    for mention in mentions_shown_to(user, candidates):
        found.setdefault(mention.entity_id or 0)
    entity_ids = list(found)[:200]
    every = (
        Mention.objects.filter(entity_id__in=entity_ids, signal__in=signals)
        .select_related("signal", "organisation")
        .prefetch_related(*SIGNAL_ACCESS)
        .order_by("entity_id", "pk")
    )
    by_entity: dict[int, list[Mention]] = {}
    for mention in mentions_shown_to(user, every):
        by_entity.setdefault(mention.entity_id or 0, []).append(mention)
    entities = Entity.objects.in_bulk(entity_ids)
    return [(entities[pk], by_entity[pk]) for pk in sorted(entities) if pk in by_entity]


def _normalised_identifiers(text: str) -> set[str]:
    from schakel.normalise import iban_search_key, phone_search_key

    return {key for key in (phone_search_key(text), iban_search_key(text)) if key} | {
        text.replace(" ", "").replace("-", "").upper()
    }
