"""FollowTheMoney export: the entities a user may see, as FtM entities (JSON lines), with only
the values of the mentions the user may see in full, and the links between them.

Ids are ``schakel-<entity id>`` for entities and ``schakel-relation-<id>`` for links, so that
an export read back (by the ``followthemoney`` library or Aleph) keeps them apart from other
sources' ids.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from followthemoney import model as ftm_model
from followthemoney.proxy import EntityProxy

from schakel.entities.models import Entity, Mention, Relation, RelationSchema, Schema
from schakel.entities.services import SIGNAL_ACCESS, mentions_shown_to, visible_entities

#: Per link schema: the properties its source and target mentions fill.
LINK_PROPERTIES = {
    RelationSchema.EMPLOYMENT: ("employer", "employee"),
    RelationSchema.OWNERSHIP: ("owner", "asset"),
    RelationSchema.DIRECTORSHIP: ("director", "organization"),
    RelationSchema.FAMILY: ("person", "relative"),
    RelationSchema.ASSOCIATE: ("person", "associate"),
    RelationSchema.UNKNOWN_LINK: ("subject", "object"),
    RelationSchema.PAYMENT: ("payer", "beneficiary"),
}
CHUNK = 500


def export_proxies(user: Any, *, shown: dict[int, Mention] | None = None) -> Iterator[EntityProxy]:
    """Every entity ``user`` may see, then the links among them. ``shown``, when given, is
    filled with the mentions whose values the export holds (by id), for the audit."""
    shown = {} if shown is None else shown  # mention id -> mention, for the links
    entity_ids = visible_entities(user).order_by("pk").values_list("pk", flat=True).iterator()
    while chunk := [pk for _, pk in zip(range(CHUNK), entity_ids, strict=False)]:
        mentions: dict[int, list[Mention]] = {}
        candidates = (
            Mention.objects.filter(entity_id__in=chunk)
            .select_related("signal")
            .prefetch_related(*SIGNAL_ACCESS)
        )
        for mention in mentions_shown_to(user, candidates.order_by("pk")):
            mentions.setdefault(mention.entity_id or 0, []).append(mention)
            shown[mention.pk] = mention
        for entity in Entity.objects.filter(pk__in=list(mentions)).order_by("pk"):
            yield _proxy(entity, mentions[entity.pk])
    yield from _links(shown)


def _proxy(entity: Entity, mentions: list[Mention]) -> EntityProxy:
    proxy = ftm_model.make_entity(entity.schema)
    proxy.id = entity.ftm_id
    for mention in mentions:
        for name, values in sorted(mention.properties.items()):
            proxy.add(name, values, quiet=True)
    return proxy


def _links(shown: dict[int, Mention]) -> Iterator[EntityProxy]:
    relations = Relation.objects.filter(source_id__in=list(shown), target_id__in=list(shown))
    for relation in relations.order_by("pk").iterator(chunk_size=CHUNK):
        source, target = shown[relation.source_id], shown[relation.target_id]
        if relation.schema == RelationSchema.ADDRESS:
            # A property of the person, not an entity of its own.
            proxy = ftm_model.make_entity(source.schema)
            proxy.id = f"schakel-{source.entity_id}"
            proxy.add("addressEntity", f"schakel-{target.entity_id}")
            yield proxy
            continue
        first, second = LINK_PROPERTIES[RelationSchema(relation.schema)]
        if relation.schema == RelationSchema.PAYMENT:
            # A payment from or to a bank account names it as the account, not the party.
            first += "Account" if source.schema == Schema.BANK_ACCOUNT else ""
            second += "Account" if target.schema == Schema.BANK_ACCOUNT else ""
        proxy = ftm_model.make_entity(relation.schema)
        proxy.id = f"schakel-relation-{relation.pk}"
        proxy.add(first, f"schakel-{source.entity_id}")
        proxy.add(second, f"schakel-{target.entity_id}")
        if relation.role and "role" in proxy.schema.properties:
            proxy.add("role", relation.role)
        for name, values in sorted(relation.properties.items()):
            proxy.add(name, values, quiet=True)
        yield proxy


@dataclass(frozen=True)
class Written:
    """What an export handed over: how many FtM entities, from which mentions."""

    entities: int
    mention_ids: list[int]


def write_jsonl(user: Any, stream: IO[str]) -> Written:
    """Write the export to ``stream``, one FtM entity per line; returns how many were written
    and the mentions whose values they hold (to audit as shown). Fragments of one entity (a
    person's address link) are merged into one line."""
    merged: dict[str, EntityProxy] = {}
    shown: dict[int, Mention] = {}
    for proxy in export_proxies(user, shown=shown):
        assert proxy.id is not None
        if proxy.id in merged:
            merged[proxy.id].merge(proxy)
        else:
            merged[proxy.id] = proxy
    for proxy in merged.values():
        stream.write(json.dumps(proxy.to_dict(), ensure_ascii=False, sort_keys=True) + "\n")
    return Written(entities=len(merged), mention_ids=sorted(shown))
