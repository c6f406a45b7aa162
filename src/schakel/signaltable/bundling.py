"""Which signals belong together on the agenda: links between signals and bundles of them.

The agenda asks a :class:`Bundler` for the links among a set of signals and joins linked
signals into bundles, transitively. :class:`ExactKeyBundler` links signals that share a
normalised key; the entities context will bring a bundler based on record linkage with the
same protocol, and the agenda will not change.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, Count, Func
from django.db.models.sql.compiler import SQLCompiler
from django.utils.translation import gettext_lazy as _

from schakel.entities.models import Mention, MentionRecord, Schema
from schakel.signals.access import category_of_role
from schakel.signals.models import (
    AddressMention,
    IdentifierKind,
    IdentifierMention,
    PersonMention,
)

#: What a link can run through, with the words the agenda uses for it.
LINK_KINDS = {
    "person": _("a person"),
    "company": _("a company"),
    "address": _("an address"),
    IdentifierKind.PHONE.value: _("a phone number"),
    IdentifierKind.EMAIL.value: _("an e-mail address"),
    IdentifierKind.IBAN.value: _("a bank account"),
    IdentifierKind.PLATE.value: _("a vehicle plate"),
}
IDENTIFIER_KINDS = (
    IdentifierKind.PHONE.value,
    IdentifierKind.EMAIL.value,
    IdentifierKind.IBAN.value,
    IdentifierKind.PLATE.value,
)
GENERAL = frozenset({"general"})


@dataclass(frozen=True)
class Link:
    """Two signals joined by one value they share.

    ``value_label`` is personal data (a name and date of birth, a phone number): show it only
    to a viewer who may see it in both signals. ``categories_a`` and ``categories_b`` are the
    access field categories (general / care / justice) under which each signal holds the value,
    so the agenda can ask the policy without knowing how the link was found.
    """

    signal_a: int
    signal_b: int
    kind: str
    value_label: str
    categories_a: frozenset[str] = GENERAL
    categories_b: frozenset[str] = GENERAL

    @property
    def kind_label(self) -> str:
        return str(LINK_KINDS.get(self.kind, self.kind))


class Bundler(Protocol):
    def links(self, signal_ids: Collection[int]) -> list[Link]:
        """Every link among the signals ``signal_ids`` (never to a signal outside them)."""
        ...


class AmongIds(Func):
    """``expression`` is one of ``ids``, sent as one query parameter however many ids there
    are: an array literal on PostgreSQL, a JSON list on SQLite. An agenda's 10,000 signals would
    otherwise be 10,000 parameters in each of several subqueries (SQLite allows 32,766)."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, expression: Any, ids: Collection[int]) -> None:
        super().__init__(expression)
        self.ids = tuple(sorted(ids))

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, Any]:
        # ``lhs`` is our own compiled column reference and the ids travel as parameters: the
        # SQL text never holds a value.
        lhs, params = compiler.compile(self.get_source_expressions()[0])
        sql, ids = among_ids(lhs, self.ids, connection.vendor)
        return sql, (*params, *ids)


def among_ids(column: str, ids: Collection[int], vendor: str) -> tuple[str, list[Any]]:
    """``column IN (ids)`` with the ids as one parameter where the database allows (see
    ``AmongIds``): the condition's SQL and its parameters. ``column`` is a column reference
    the caller wrote or compiled; every value is a parameter (hence the S608 exemption)."""
    if vendor == "postgresql":
        # An array literal in one text parameter, unnested as a set: the planner neither
        # estimates 10,000 constants one by one nor does the driver adapt each of them.
        return f"{column} IN (SELECT unnest(%s::bigint[]))", [_array_literal(_as_tuple(ids))]
    if vendor == "sqlite":
        return f"{column} IN (SELECT value FROM json_each(%s))", [_json_list(_as_tuple(ids))]  # noqa: S608
    placeholders = ", ".join(["%s"] * len(ids)) or "NULL"
    return f"{column} IN ({placeholders})", list(_as_tuple(ids))


def _as_tuple(ids: Collection[int]) -> tuple[int, ...]:
    """The ids as a tuple (a tuple as given: ``AmongIds`` sorts its own), else sorted."""
    return ids if isinstance(ids, tuple) else tuple(sorted(ids))


# The same 10,000 ids go into several statements of one agenda (and of the next request):
# written out once (a few milliseconds each time otherwise).
@functools.lru_cache(maxsize=8)
def _array_literal(ids: tuple[int, ...]) -> str:
    return "{" + ",".join(map(str, ids)) + "}"


@functools.lru_cache(maxsize=8)
def _json_list(ids: tuple[int, ...]) -> str:
    return json.dumps(ids)


#: The categories a value is held under, one shared frozenset each (thousands of links must
#: not mean thousands of sets: the agenda is computed on every page view).
_CATEGORY_SETS = {c: frozenset({c}) for c in ("general", "care", "justice")}


@dataclass
class _Holders:
    """The signals holding one key: per signal the categories it holds it under."""

    label: str
    categories: dict[int, frozenset[str]] = field(default_factory=dict)

    def add(self, signal_id: int, category: str) -> None:
        one = _CATEGORY_SETS.get(category) or frozenset({category})
        held = self.categories.get(signal_id)
        self.categories[signal_id] = one if held is None or held == one else held | one


def _star(kind: str, holders: _Holders) -> Iterator[Link]:
    """One link from the first signal holding a key to each other one: enough to join them
    and to show which value joined which two signals, without n² pairs for a common key."""
    signal_ids = sorted(holders.categories)
    first = signal_ids[0]
    for other in signal_ids[1:]:
        yield Link(
            first,
            other,
            kind,
            holders.label,
            holders.categories[first],
            holders.categories[other],
        )


def _person_label(given: str, family: str, alias: str, born: date) -> str:
    name = " ".join(p for p in (given, family) if p) or alias
    return f"{name}, {born:%d-%m-%Y}"


def _address_label(street: str, number: str, postcode: str, city: str) -> str:
    first = " ".join(p for p in (street, number) if p)
    return ", ".join(p for p in (first, " ".join(p for p in (postcode, city) if p)) if p)


class ExactKeyBundler:
    """Links signals that share a normalised key: a person (the same non-empty name key *and*
    date of birth), an address key, or a phone number, e-mail address, IBAN or plate.

    The keys mentioned twice or more among the signals are found by grouping in the database
    (counting mentions, not distinct signals, lets the database hash instead of sort; a key
    mentioned twice in one signal is read and then joins nothing); only the mentions with such
    a key are read.
    """

    def links(self, signal_ids: Collection[int]) -> list[Link]:
        if len(signal_ids) < 2:
            return []
        ids = list(signal_ids)
        return [*self._person_links(ids), *self._address_links(ids), *self._identifier_links(ids)]

    def _person_links(self, ids: list[int]) -> Iterator[Link]:
        mentions = PersonMention.objects.filter(
            AmongIds("signal_id", ids), date_of_birth__isnull=False
        ).exclude(name_key="")
        shared = (
            mentions.order_by()
            .values("name_key", "date_of_birth")
            .annotate(mentions=Count("pk"))
            .filter(mentions__gt=1)
            .values("name_key")
        )
        rows = (
            mentions.filter(name_key__in=shared)
            .order_by("signal_id", "pk")
            .values_list(
                "signal_id",
                "name_key",
                "date_of_birth",
                "role",
                "given_names",
                "family_name",
                "alias",
            )
        )
        keys: dict[tuple[str, date], _Holders] = {}
        for signal_id, key, born, role, given, family, alias in rows:
            if born is None:  # excluded by the query; the check is for the type
                continue
            holders = keys.get((key, born))
            if holders is None:
                holders = keys[(key, born)] = _Holders(_person_label(given, family, alias, born))
            holders.add(signal_id, category_of_role(role))
        for holders in keys.values():
            if len(holders.categories) > 1:
                yield from _star("person", holders)

    def _address_links(self, ids: list[int]) -> Iterator[Link]:
        mentions = AddressMention.objects.filter(AmongIds("signal_id", ids)).exclude(address_key="")
        shared = (
            mentions.order_by()
            .values("address_key")
            .annotate(mentions=Count("pk"))
            .filter(mentions__gt=1)
            .values("address_key")
        )
        rows = (
            mentions.filter(address_key__in=shared)
            .order_by("signal_id", "pk")
            .values_list("signal_id", "address_key", "street", "house_number", "postcode", "city")
        )
        keys: dict[str, _Holders] = {}
        for signal_id, key, street, number, postcode, city in rows:
            holders = keys.get(key)
            if holders is None:
                holders = keys[key] = _Holders(_address_label(street, number, postcode, city))
            holders.add(signal_id, "general")
        for holders in keys.values():
            if len(holders.categories) > 1:
                yield from _star("address", holders)

    def _identifier_links(
        self, ids: list[int], kinds: tuple[str, ...] = IDENTIFIER_KINDS
    ) -> Iterator[Link]:
        # One pass over the signals' identifiers: the values held more than once are found
        # by hashing, and only their mentions come back (with the role of the person each
        # belongs to), in the order of their signals.
        connection = connections[router.db_for_read(IdentifierMention)]
        quote = connection.ops.quote_name
        mention, person = (quote(m._meta.db_table) for m in (IdentifierMention, PersonMention))
        among, parameters = among_ids("i.signal_id", ids, connection.vendor)
        kind_in = ", ".join(["%s"] * len(kinds))
        sql = (
            "WITH m AS (SELECT i.id, i.signal_id, i.kind, i.normalised, i.person_id "  # noqa: S608
            f"FROM {mention} i WHERE {among} AND i.kind IN ({kind_in}) AND i.normalised <> ''), "
            "shared AS (SELECT kind, normalised FROM m GROUP BY kind, normalised "
            "HAVING COUNT(*) > 1) "
            "SELECT m.signal_id, m.kind, m.normalised, p.role FROM m "
            "JOIN shared ON shared.kind = m.kind AND shared.normalised = m.normalised "
            f"LEFT JOIN {person} p ON p.id = m.person_id ORDER BY m.signal_id, m.id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*parameters, *kinds])
            rows = cursor.fetchall()
        keys: dict[tuple[str, str], _Holders] = {}
        for signal_id, kind, normalised, role in rows:
            holders = keys.get((kind, normalised))
            if holders is None:
                holders = keys[(kind, normalised)] = _Holders(normalised)
            # An identifier of a person is as sensitive as that person (the presenter's rule).
            holders.add(signal_id, category_of_role(role) if role else "general")
        for (kind, _value), holders in keys.items():
            if len(holders.categories) > 1:
                yield from _star(kind, holders)


#: The link kind of each entity schema.
KIND_OF_SCHEMA = {
    Schema.PERSON: "person",
    Schema.COMPANY: "company",
    Schema.ADDRESS: "address",
    Schema.BANK_ACCOUNT: IdentifierKind.IBAN.value,
    Schema.VEHICLE: IdentifierKind.PLATE.value,
}
#: Values that are properties in FollowTheMoney, not entities: still joined when equal.
PROPERTY_KINDS = (IdentifierKind.PHONE.value, IdentifierKind.EMAIL.value)


class EntityBundler:
    """Links signals that mention the same entity — a person or company as linkage and the
    analysts' judgements resolved them, an address, bank account or vehicle — and signals
    that share a phone number or e-mail address (properties, not entities).

    Signals whose mentions the worker has not resolved yet are linked by exact keys
    (``ExactKeyBundler``) meanwhile, so the agenda never loses a bundle while the worker
    catches up; once resolved, only their entities count (an analyst's "not the same"
    holds on the agenda too).
    """

    def __init__(self) -> None:
        self.exact = ExactKeyBundler()

    def links(self, signal_ids: Collection[int]) -> list[Link]:
        if len(signal_ids) < 2:
            return []
        ids = sorted(set(signal_ids))
        shared, resolved_count = self._shared_mentions(ids)
        links = list(self._entity_links(shared))
        if resolved_count == len(ids):
            # The usual case: only the properties need exact keys.
            return [*links, *self.exact._identifier_links(ids, PROPERTY_KINDS)]
        resolved = set(
            MentionRecord.objects.filter(AmongIds("signal_id", ids))
            .order_by()
            .values_list("signal_id", flat=True)
            .distinct()
        )
        for link in self.exact.links(ids):
            if link.kind in PROPERTY_KINDS or not (
                link.signal_a in resolved and link.signal_b in resolved
            ):
                links.append(link)
        return links

    def _shared_mentions(self, ids: list[int]) -> tuple[list[tuple[int, int, int]], int]:
        """The mentions (id, signal, entity) among the signals ``ids`` whose entity more than
        one of them resolves to, and how many of the signals have mentions at all.

        One pass over the signals' mentions, narrow (ids only): the entities held more than
        once are found by hashing, not by sorting the mentions with their names and types
        (which spilled to disk at the default ``work_mem``); those are read for the few shared
        mentions only, by their ids (``_entity_links``)."""
        connection = connections[router.db_for_read(Mention)]
        quote = connection.ops.quote_name
        record, mention = (quote(m._meta.db_table) for m in (MentionRecord, Mention))
        # The signals' mention ids come from the record's covering index alone, looked up
        # signal by signal. (``= ANY(array)``, which the planner sees whole, made PostgreSQL
        # read both whole tables once they held 1.6 million mentions: 244-520 ms against
        # 127-150 ms; docs/benchmarks.md.)
        among, parameters = among_ids("r.signal_id", ids, connection.vendor)
        # Read more than once, the CTE is computed once (PostgreSQL 12+, SQLite 3.35+).
        sql = (
            f"WITH m AS (SELECT r.id, r.signal_id, c.entity_id FROM {record} r "  # noqa: S608
            f"JOIN {mention} c ON c.id = r.id WHERE {among}), "
            "shared AS (SELECT entity_id FROM m WHERE entity_id IS NOT NULL "
            "GROUP BY entity_id HAVING COUNT(*) > 1) "
            "SELECT m.id, m.signal_id, m.entity_id FROM m "
            "JOIN shared ON shared.entity_id = m.entity_id "
            "UNION ALL SELECT NULL, COUNT(DISTINCT m.signal_id), NULL FROM m"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, parameters)
            rows = cursor.fetchall()
        shared = [(pk, signal_id, entity_id) for pk, signal_id, entity_id in rows if pk is not None]
        (resolved_count,) = [signal_id for pk, signal_id, _entity in rows if pk is None]
        return shared, resolved_count

    def _entity_links(self, shared: list[tuple[int, int, int]]) -> Iterator[Link]:
        if not shared:
            return
        rows = (
            MentionRecord.objects.filter(AmongIds("pk", [pk for pk, _signal, _entity in shared]))
            .order_by()
            .values_list("pk", "schema", "caption", "category")
        )
        details = {pk: (schema, caption, category) for pk, schema, caption, category in rows}
        holders_of: dict[int, tuple[str, _Holders]] = {}
        # In the order of their signals (and mentions): the first mention names the entity.
        for pk, signal_id, entity_id in sorted(shared, key=lambda row: (row[1], row[0])):
            schema, caption, category = details[pk]
            if entity_id not in holders_of:
                holders_of[entity_id] = (KIND_OF_SCHEMA[Schema(schema)], _Holders(caption))
            holders_of[entity_id][1].add(signal_id, category)
        for kind, holders in holders_of.values():
            if len(holders.categories) > 1:
                yield from _star(kind, holders)


def default_bundler() -> Bundler:
    """The bundler the agenda, the minutes and the decision forms use."""
    return EntityBundler()


def union_roots(signal_ids: Iterable[int], links: Iterable[Link]) -> dict[int, int]:
    """Union-find over the links: each signal id → the smallest id of its bundle (its root).
    Links to signals outside ``signal_ids`` are ignored."""
    parent: dict[int, int] = {pk: pk for pk in signal_ids}

    def root(pk: int) -> int:
        while parent[pk] != pk:
            parent[pk] = parent[parent[pk]]  # path halving keeps the trees flat
            pk = parent[pk]
        return pk

    for link in links:
        if link.signal_a not in parent or link.signal_b not in parent:
            continue
        a, b = root(link.signal_a), root(link.signal_b)
        if a != b:
            parent[max(a, b)] = min(a, b)
    return {pk: root(pk) for pk in parent}


def bundle_signals(signal_ids: Iterable[int], links: Iterable[Link]) -> list[list[int]]:
    """Join linked signals into bundles, transitively. Every signal is in exactly one bundle;
    a signal without links is a bundle of its own. Bundles and their signals are in ascending
    id order."""
    members: defaultdict[int, list[int]] = defaultdict(list)
    for pk, root in sorted(union_roots(signal_ids, links).items()):
        members[root].append(pk)
    return sorted(members.values())
