"""FollowTheMoney export: the entities a user may see, as FtM entities (JSON lines), with only
the values of the mentions the user may see in full, and the links between them.

Ids are ``schakel-<entity id>`` for entities and ``schakel-relation-<id>`` for links, so that
an export read back (by the ``followthemoney`` library or Aleph) keeps them apart from other
sources' ids.

An export is made in two passes over the database, each in chunks so that memory does not
grow with the chain (only the ids of what is exported are kept): :func:`plan_export` decides,
through the access policy, which mentions the user may see and counts the lines, so that
the export can be audited *before* any of it leaves; :func:`export_lines` then writes those
mentions' values, never any other. The command line and the API stream the same lines.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from followthemoney import model as ftm_model
from followthemoney.proxy import EntityProxy

from schakel.audit import services as audit
from schakel.entities.models import Entity, Mention, Relation, RelationSchema, Schema
from schakel.entities.services import (
    SIGNAL_ACCESS,
    mentions_shown_to,
    visible_entities,
    visible_signals,
)
from schakel.signals.models import Signal

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
#: Rows read per query (entities, their mentions, links). Read at call time: tests lower it.
CHUNK = 500


@dataclass(frozen=True)
class ExportPlan:
    """What an export of ``user``'s entities will hand over, decided before the first line:
    the mentions whose values it holds (the access policy's answer, to audit as shown), the
    entities with at least one of them, and how many FtM entities (lines) it will write.
    The second pass writes no mention outside ``shown``; a change between the two (linkage
    joining two entities) may change the lines, never what was audited as handed over."""

    user: Any
    shown: frozenset[int]
    entity_ids: list[int]
    entities: int

    @property
    def mention_ids(self) -> list[int]:
        return sorted(self.shown)


def plan_export(user: Any) -> ExportPlan:
    """Which mentions ``user`` may see in full, for every entity they may see; and how many
    lines the export of them will be (one per entity, one per link between them)."""
    shown: set[int] = set()
    entity_ids: set[int] = set()
    visible = visible_entities(user).order_by("pk").values_list("pk", flat=True)
    for chunk in _chunks(visible.iterator(chunk_size=CHUNK)):
        # The policy reads the signal, not the values: they are read in the second pass.
        candidates = list(
            Mention.objects.filter(entity_id__in=chunk)
            .only("entity_id", "signal_id", "category")
            .order_by("pk")
        )
        # Each signal loaded once with what the policy reads of it, not once per mention.
        signals = (
            Signal.objects.filter(pk__in={mention.signal_id for mention in candidates})
            .prefetch_related(*(path.removeprefix("signal__") for path in SIGNAL_ACCESS))
            .in_bulk()
        )
        # A signal forgotten since its mentions were read took them along: none is shown.
        candidates = [mention for mention in candidates if mention.signal_id in signals]
        for mention in candidates:
            mention.signal = signals[mention.signal_id]
        for mention in mentions_shown_to(user, candidates):
            shown.add(mention.pk)
            entity_ids.add(mention.entity_id or 0)
    links = sum(
        1
        for source_id, target_id in _candidate_links(user, "source_id", "target_id")
        if source_id in shown and target_id in shown
    )
    return ExportPlan(
        user=user,
        shown=frozenset(shown),
        entity_ids=sorted(entity_ids),
        entities=len(entity_ids) + links,
    )


def plan_audited_export(user: Any, request: Any = None, **details: Any) -> ExportPlan:
    """``plan_export``, written to the audit log at once: the export shows personal data, so
    it is audited like a page that shows it, with every mention whose values it holds, and
    before the first line, so that an export cut off or failing half-way is audited too."""
    plan = plan_export(user)
    audit.record_change(
        request,
        "export_ftm",
        "entities.mention",
        plan.mention_ids,
        actor=user,
        purpose="export",
        details={"entities": plan.entities, **details},
    )
    return plan


def export_proxies(plan: ExportPlan) -> Iterator[EntityProxy]:
    """The planned entities in id order, each with the values of its planned mentions and
    its address (a person's ``addressEntity``, merged in), then the links among them."""
    for start in range(0, len(plan.entity_ids), CHUNK):
        chunk = plan.entity_ids[start : start + CHUNK]
        values: dict[int, list[dict[str, list[str]]]] = {}
        mentions = Mention.objects.filter(entity_id__in=chunk).order_by("pk")
        for pk, entity_id, properties in mentions.values_list("pk", "entity_id", "properties"):
            if pk in plan.shown:
                values.setdefault(entity_id, []).append(properties)
        addresses: dict[int, list[EntityProxy]] = {}
        lived_at = Relation.objects.filter(
            schema=RelationSchema.ADDRESS, source__entity_id__in=chunk
        ).order_by("pk")
        for source_id, target_id, entity_id, schema, target_entity_id in lived_at.values_list(
            "source_id", "target_id", "source__entity_id", "source__schema", "target__entity_id"
        ):
            if source_id in plan.shown and target_id in plan.shown:
                # A property of the person, not an entity of its own.
                address = ftm_model.make_entity(schema)
                address.id = f"schakel-{entity_id}"
                address.add("addressEntity", f"schakel-{target_entity_id}")
                addresses.setdefault(entity_id, []).append(address)
        entities = Entity.objects.filter(pk__in=list(values)).order_by("pk")
        for pk, schema in entities.values_list("pk", "schema"):
            proxy = _proxy(pk, schema, values[pk])
            for address in addresses.get(pk, []):
                proxy.merge(address)
            yield proxy
    yield from _links(plan)


def export_lines(plan: ExportPlan) -> Iterator[str]:
    """The export as JSON lines, one FtM entity per line, each ending in a newline."""
    for proxy in export_proxies(plan):
        yield json.dumps(proxy.to_dict(), ensure_ascii=False, sort_keys=True) + "\n"


def write_jsonl(user: Any, stream: IO[str]) -> ExportPlan:
    """Plan the export of what ``user`` may see and write it to ``stream``; returns the plan
    (how many entities, from which mentions). Callers that audit do so between the two:
    :func:`plan_export`, audit, :func:`export_lines`."""
    plan = plan_export(user)
    stream.writelines(export_lines(plan))
    return plan


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    iterator = iter(ids)
    while chunk := [pk for _, pk in zip(range(CHUNK), iterator, strict=False)]:
        yield chunk


def _candidate_links(user: Any, *fields: str) -> Iterator[tuple[Any, ...]]:
    """The links (not addresses) that may join two mentions the user may see, in id order:
    those whose source lies in a signal the user may see, which every mention the policy
    shows does. Callers keep those whose two ends they show. One query, read in chunks."""
    relations = Relation.objects.exclude(schema=RelationSchema.ADDRESS).filter(
        source__signal__in=visible_signals(user).values("pk")
    )
    return relations.order_by("pk").values_list(*fields).iterator(chunk_size=CHUNK)


def _proxy(pk: int, schema: str, values: list[dict[str, list[str]]]) -> EntityProxy:
    proxy = ftm_model.make_entity(schema)
    proxy.id = f"schakel-{pk}"
    for properties in values:
        for name, found in sorted(properties.items()):
            proxy.add(name, found, quiet=True)
    return proxy


def _links(plan: ExportPlan) -> Iterator[EntityProxy]:
    rows = _candidate_links(
        plan.user,
        "pk",
        "schema",
        "role",
        "properties",
        "source_id",
        "target_id",
        "source__entity_id",
        "source__schema",
        "target__entity_id",
        "target__schema",
    )
    for pk, schema, role, properties, source_id, target_id, *ends in rows:
        if source_id not in plan.shown or target_id not in plan.shown:
            continue
        source_entity, source_schema, target_entity, target_schema = ends
        first, second = LINK_PROPERTIES[RelationSchema(schema)]
        if schema == RelationSchema.PAYMENT:
            # A payment from or to a bank account names it as the account, not the party.
            first += "Account" if source_schema == Schema.BANK_ACCOUNT else ""
            second += "Account" if target_schema == Schema.BANK_ACCOUNT else ""
        proxy = ftm_model.make_entity(schema)
        proxy.id = f"schakel-relation-{pk}"
        proxy.add(first, f"schakel-{source_entity}")
        proxy.add(second, f"schakel-{target_entity}")
        if role and "role" in proxy.schema.properties:
            proxy.add("role", role)
        for name, found in sorted(properties.items()):
            proxy.add(name, found, quiet=True)
        yield proxy
