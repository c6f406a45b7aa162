"""From scored pairs and analysts' judgements to entities.

Mentions are joined along the model's pairs at or above the threshold, strongest first, and
along every standing "same" judgement; a standing "not the same" judgement is a constraint no
join may break, so a judgement always overrides the model and holds in every later run. A
person's group without any date of birth that no pair links is then attached to the one dated
group its scored pairs point to, when that group clearly leads (``ATTACH_MARGIN``) or is the
only one reported together with the same people (``SeenWith``).
Each resulting group keeps the entity that already holds most of its mentions (ids stay
stable from run to run); merges and splits are announced as events after commit. Mentions
that share an exact key (``services.EXACT_KEYS``) are joined at probability 1, in every run
and every regrouping alike (``exact_key_pairs``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import compress
from typing import Any

from django.db import transaction

from schakel.bulk import update_column
from schakel.entities.events import entities_merged, entities_regrouped, entity_split
from schakel.entities.models import (
    BlockingKey,
    Entity,
    Judgement,
    LinkageRun,
    Mention,
    MentionRecord,
    Schema,
    Suggestion,
)
from schakel.entities.services import EXACT_KEYS
from schakel.rows import Values, fetch_together

Pair = tuple[int, int]

#: Above this many mentions, ``write_groups`` reads every mention of the schema at once.
WHOLE_SCHEMA = 20_000


def _pair(a: int, b: int) -> Pair:
    return (a, b) if a < b else (b, a)


@dataclass(frozen=True)
class StandingJudgements:
    same: frozenset[Pair]
    not_same: frozenset[Pair]


def standing_judgements() -> StandingJudgements:
    """The verdict that stands for each pair of the chain: the latest judgement not
    withdrawn (unsure decides nothing). A regrouping reads those of its component
    (``read_surroundings``)."""
    return standing_among(
        Judgement.objects.order_by("judged_at", "pk").values_list(
            "pk", "left_id", "right_id", "verdict", "withdraws_id"
        )
    )


def standing_among(
    judgements: Iterable[tuple[int, int, int, str, int | None]],
) -> StandingJudgements:
    """``standing_judgements`` of (id, left, right, verdict, what it withdraws) in the order
    they were made: every judgement of the pairs concerned, their withdrawals among them (a
    withdrawal names the pair of the judgement it withdraws)."""
    rows = list(judgements)
    withdrawn = {withdraws for _pk, _l, _r, verdict, withdraws in rows if withdraws is not None}
    # In time order, so the last judgement of a pair wins; a withdrawn one is skipped, so
    # that the judgement before it (if any) stands again.
    latest: dict[Pair, str] = {}
    for pk, left, right, verdict, _withdraws in rows:
        if verdict == Judgement.Verdict.WITHDRAWN or pk in withdrawn:
            continue
        latest[_pair(left, right)] = verdict
    return StandingJudgements(
        same=frozenset(p for p, v in latest.items() if v == Judgement.Verdict.SAME),
        not_same=frozenset(p for p, v in latest.items() if v == Judgement.Verdict.NOT_SAME),
    )


def exact_key_pairs(
    schema: str,
    among: Iterable[int] | None = None,
    apart: frozenset[Pair] = frozenset(),
) -> list[tuple[int, int, float]]:
    """Mentions that share their schema's exact key (an IBAN, a plate, a Dutch postcode with
    house number) are the same whatever the model says of their spelling: pairs at
    probability 1 (of the mentions ``among``, or all). ``apart``: the pairs an analyst judged
    not the same (``StandingJudgements.not_same``)."""
    kind = EXACT_KEYS.get(Schema(schema))
    if kind is None:
        return []
    keys = BlockingKey.objects.filter(kind=kind, mention__schema=schema)
    if among is not None:
        keys = keys.filter(mention_id__in=list(among))
    holders: dict[str, list[int]] = defaultdict(list)
    for value, mention in keys.order_by("value", "mention_id").values_list("value", "mention_id"):
        holders[value].append(mention)
    return [pair for each in holders.values() for pair in key_pairs(each, apart)]


def sharing_exact_keys(schema: str, mention_ids: Iterable[int]) -> set[int]:
    """The mentions that share an exact key with these (themselves included)."""
    kind = EXACT_KEYS.get(Schema(schema))
    if kind is None:
        return set()
    keys = BlockingKey.objects.filter(kind=kind, mention__schema=schema)
    held = keys.filter(mention_id__in=list(mention_ids)).values("value")
    return set(keys.filter(value__in=held).values_list("mention_id", flat=True))


def key_pairs(holders: list[int], apart: frozenset[Pair]) -> list[tuple[int, int, float]]:
    """Pairs that join the holders of one exact key, at most one per holder: each to the
    earliest other holder not judged apart from it. Chaining every holder to the first one
    would leave the rest apart once an analyst split that first one off."""
    first, *others = holders
    if not apart:
        return [(first, other, 1.0) for other in others]
    pairs: dict[tuple[int, int], None] = {}
    for holder in holders:
        partner = next((o for o in holders if o != holder and _pair(holder, o) not in apart), None)
        if partner is not None:
            pairs.setdefault(_pair(holder, partner))
    return [(left, right, 1.0) for left, right in pairs]


def compatible(left: Iterable[str], right: Iterable[str]) -> bool:
    """Whether two sets of dates of birth can belong to one person: either is unknown, or
    some date of one is near enough to some date of the other to be the same date written
    with one slip (see ``same_date``)."""
    left, right = list(left), list(right)
    if not left or not right:
        return True
    return any(same_date(a, b) for a in left for b in right)


def same_date(a: str, b: str) -> bool:
    """Two ISO dates of birth that may be one: equal; one partial (a year, a year and
    month) and fitting the other; or one slip apart — one digit wrong, two neighbouring
    digits swapped, or day and month swapped."""
    if a.startswith(b) or b.startswith(a):
        return True
    x, y = a.replace("-", ""), b.replace("-", "")
    if len(x) != len(y):
        return False
    differ = [i for i, (p, q) in enumerate(zip(x, y, strict=True)) if p != q]
    if len(differ) == 1:
        return True
    if len(differ) == 2 and differ[1] == differ[0] + 1:
        i = differ[0]
        if x[i] == y[i + 1] and x[i + 1] == y[i]:
            return True
    return len(x) == 8 and x[:4] == y[:4] and x[4:6] == y[6:8] and x[6:8] == y[4:6]


class _Groups:
    """Union-find over mention ids that refuses joins a "not the same" pair forbids, and
    joins of the model through a record without a date of birth between groups whose dates
    differ."""

    def __init__(
        self,
        ids: Iterable[int],
        not_same: Iterable[Pair],
        born: Mapping[int, str | None] | None = None,
        corroborated: frozenset[Pair] = frozenset(),
    ) -> None:
        self.parent = {i: i for i in ids}
        self.corroborated = corroborated
        self.members: dict[int, list[int]] = {i: [i] for i in self.parent}
        self.forbidden: dict[int, set[int]] = defaultdict(set)
        for a, b in not_same:
            if a in self.parent and b in self.parent:
                self.forbidden[a].add(b)
                self.forbidden[b].add(a)
        self.own_date = {
            int(i): value
            for i, value in (born or {}).items()
            if isinstance(value, str) and value and int(i) in self.parent
        }
        self.born: dict[int, set[str]] = {i: {value} for i, value in self.own_date.items()}
        self.refused: list[Pair] = []

    def root(self, item: int) -> int:
        parent = self.parent
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def join(self, a: int, b: int, *, by_model: bool = True) -> bool:
        ra, rb = self.root(a), self.root(b)
        if ra == rb:
            return True
        small, large = sorted((ra, rb), key=lambda r: len(self.members[r]))
        blocked = self.forbidden.get(large, set())
        if any(m in blocked for m in self.members[small]):
            self.refused.append(_pair(a, b))
            return False
        if (
            by_model
            and not compatible(self.born.get(small, ()), self.born.get(large, ()))
            and not (a in self.own_date and b in self.own_date and _pair(a, b) in self.corroborated)
        ):
            # Names repeat: the model's word on a name does not join two groups whose dates
            # of birth differ — neither through a record without a date ("Thi Lan Huynh"
            # matching two women born 25 years apart) nor directly. Only a pair that both
            # have a date and that more than the name ties together (an identity number, an
            # address, a phone number) may: a date mistyped beyond recognition. An analyst's
            # "same" joins anything.
            return False
        self.parent[small] = large
        self.members[large] += self.members.pop(small)
        self.forbidden[large] |= self.forbidden.pop(small, set())
        if small in self.born:
            self.born.setdefault(large, set()).update(self.born.pop(small))
        return True

    def groups(self) -> list[list[int]]:
        return [sorted(members) for members in self.members.values()]

    def settle(self, components: Iterable[list[int]]) -> None:
        """Make each of these components one group at once: components in which joining
        their pairs one by one would refuse no join (``settled_components``)."""
        parent, members, forbidden, born = self.parent, self.members, self.forbidden, self.born
        for component in components:
            root = component[0]
            dates: set[str] = set()
            barred: set[int] = set()
            for item in component:
                parent[item] = root
                if item != root:
                    del members[item]
                if item in born:
                    dates |= born.pop(item)
                if item in forbidden:
                    barred |= forbidden.pop(item)
            members[root] = list(component)
            if dates:
                born[root] = dates
            if barred:
                forbidden[root] = barred

    def attach_undated(
        self, attachable: Iterable[tuple[int, int, float]], seen_with: SeenWith | None = None
    ) -> None:
        """Join each group without a date of birth to the dated group that its pairs in
        ``attachable`` (mention, mention, match weight) weigh most for in total, when no other
        dated group comes within ``ATTACH_MARGIN`` bits of it — or, with ``seen_with``, to
        the one dated group among those its pairs point to that was reported together with
        someone the group was reported together with (``SeenWith``). The evidence is read
        from the groups as they stand before any of these joins."""
        evidence: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        for a, b, weight in attachable:
            if a not in self.parent or b not in self.parent:
                continue
            ra, rb = self.root(a), self.root(b)
            if ra == rb or (ra in self.born) == (rb in self.born):
                continue  # one group, or both dated, or both without a date
            undated, dated = (rb, ra) if ra in self.born else (ra, rb)
            evidence[undated][dated] += max(float(weight), 0.0)
        among: dict[int, int] = {}
        if seen_with is not None:
            company: dict[int, frozenset[tuple[bool, int]]] = {}

            def company_of(root: int) -> frozenset[tuple[bool, int]]:
                if root not in company:
                    company[root] = seen_with.company_of(self, root)
                return company[root]

            for undated, candidates in evidence.items():
                if len(candidates) > 1 and (mine := company_of(undated)):
                    shared = [dated for dated in candidates if company_of(dated) & mine]
                    if len(shared) == 1:
                        among[undated] = shared[0]
        for undated in sorted(evidence):
            ranked = sorted(evidence[undated].items(), key=lambda item: (-item[1], item[0]))
            best, weight = ranked[0]
            if undated in among:
                best = among[undated]  # the namesake reported with the same people
            elif len(ranked) > 1 and weight - ranked[1][1] < ATTACH_MARGIN:
                continue  # two people fit about as well: leave it to the analysts
            # Through one mention of each, so that a "not the same" pair still holds; an
            # earlier attachment may have made another mention the dated group's root.
            self.join(undated, self.root(best))


@dataclass(frozen=True)
class SeenWith:
    """Who each person mention was reported together with: the other person mentions of its
    signal (``signal_of`` each mention's signal, ``in_signal`` each signal's person
    mentions), and for those outside the mentions being grouped their entity
    (``entity_of``; a regrouping reads them with its component, ``read_surroundings``).
    Two namesakes are told apart by the company they keep: a suspect known by name only,
    named in a signal beside a victim, is the namesake who was named beside that victim
    before (docs/linkage.md, "Who someone was reported with")."""

    signal_of: Mapping[int, int]
    in_signal: Mapping[int, Sequence[int]]
    entity_of: Mapping[int, int] = field(default_factory=dict)

    def company_of(self, groups: _Groups, root: int) -> frozenset[tuple[bool, int]]:
        """The groups (``(True, root)``) and, outside the grouping, the entities
        (``(False, entity)``) that the group of ``root`` was reported together with."""
        keys: set[tuple[bool, int]] = set()
        parent, entity_of, in_signal = groups.parent, self.entity_of, self.in_signal
        for member in groups.members[root]:
            signal = self.signal_of.get(member)
            for other in in_signal.get(signal, ()) if signal is not None else ():
                if other == member:
                    continue
                if other in parent:
                    if (other_root := groups.root(other)) != root:
                        keys.add((True, other_root))
                elif other in entity_of:
                    keys.add((False, entity_of[other]))
        return frozenset(keys)

    @classmethod
    def of_signals(
        cls, signal_of: Iterable[tuple[int, int]], entity_of: Mapping[int, int] | None = None
    ) -> SeenWith:
        """From (mention, signal) of person mentions."""
        signals = dict(signal_of)
        in_signal: dict[int, list[int]] = defaultdict(list)
        for mention, signal in signals.items():
            in_signal[signal].append(mention)
        return cls(signals, in_signal, entity_of or {})


# What regrouping around a few mentions reads (``read_surroundings``), each statement written
# once: the component is the mentions named (``%s``) and every mention of the entities of
# the seeds among them (the second ``%s``).
_COMPONENT = (
    "(SELECT c.id FROM {Mention} c WHERE c.id IN %s UNION ALL SELECT c.id FROM {Mention} c "
    "WHERE c.entity_id IN (SELECT s.entity_id FROM {Mention} s WHERE s.id IN %s))"
)
# When the latest batch run of the schema started (the kind, schema and status named; long
# ago when there is none).
_LATEST_START = (
    "COALESCE((SELECT l.started_at FROM {LinkageRun} l WHERE l.kind = %s AND l.schema = %s "
    "AND l.status = %s ORDER BY l.started_at DESC, l.id DESC LIMIT 1), %s)"
)


def _around(sql: str) -> str:
    """``sql`` with ``<component>`` and ``<latest start>`` written out."""
    return sql.replace("<component>", _COMPONENT).replace("<latest start>", _LATEST_START)


_LATEST_RUN = Values(
    [(LinkageRun, "threshold")],
    "FROM {LinkageRun} WHERE {LinkageRun.kind} = %s AND {LinkageRun.schema} = %s "
    "AND {LinkageRun.status} = %s ORDER BY {LinkageRun.started_at} DESC, {LinkageRun.id} DESC "
    "LIMIT 1",
    models=[LinkageRun],
)
_COMPONENT_MENTIONS = Values(
    [
        (Mention, "record"),
        (Mention, "entity"),
        (MentionRecord, "properties"),
        (Entity, "merged_into"),
    ],
    "FROM {Mention} JOIN {MentionRecord} ON {MentionRecord.id} = {Mention.record} "
    "LEFT JOIN {Entity} ON {Entity.id} = {Mention.entity} "
    + _around("WHERE {MentionRecord.schema} = %s AND {Mention.record} IN <component>"),
    models=[Mention, MentionRecord, Entity],
)
_SEEN_WITH = Values(
    [(Mention, "record"), (MentionRecord, "signal"), (Mention, "entity")],
    _around(
        "FROM {Mention} JOIN {MentionRecord} ON {MentionRecord.id} = {Mention.record} "
        "WHERE {MentionRecord.schema} = %s AND {MentionRecord.signal} IN "
        "(SELECT r.signal_id FROM {MentionRecord} r WHERE r.id IN <component>)"
    ),
    models=[Mention, MentionRecord],
)
_SCORED = Values(
    [
        (Suggestion, name)
        for name in ("left", "right", "probability", "links", "explanation", "match_weight", "run")
    ],
    _around(
        "FROM {Suggestion} WHERE {Suggestion.left} IN <component> "
        "AND {Suggestion.right} IN <component> AND ({Suggestion.created_at} >= <latest start> "
        "OR {Suggestion.run} IN (SELECT u.id FROM {LinkageRun} u "
        "WHERE u.started_at >= <latest start>)) "
        # As the model orders them: pairs of equal probability are joined in this order.
        "ORDER BY {Suggestion.priority} DESC, {Suggestion.id}"
    ),
    models=[Suggestion, LinkageRun, Mention],
)
_LAYOUTS = Values(
    [(LinkageRun, "id"), (LinkageRun, "layout")],
    _around(
        "FROM {LinkageRun} WHERE {LinkageRun.id} IN (SELECT p.run_id FROM {Suggestion} p "
        "WHERE p.left_id IN <component> AND p.right_id IN <component>)"
    ),
    models=[LinkageRun, Suggestion, Mention],
)
_JUDGEMENTS = Values(
    [(Judgement, name) for name in ("id", "left", "right", "verdict", "withdraws")],
    _around(
        "FROM {Judgement} WHERE {Judgement.id} IN (SELECT j.id FROM {Judgement} j "
        "WHERE j.left_id IN <component> UNION ALL SELECT j.id FROM {Judgement} j "
        "WHERE j.right_id IN <component>) ORDER BY {Judgement.judged_at}, {Judgement.id}"
    ),
    models=[Judgement, Mention],
)
# Which of these entities hold a mention other than these.
_HELD_OUTSIDE = Values(
    [(Mention, "entity")],
    "FROM {Mention} WHERE {Mention.entity} IN %s AND {Mention.record} NOT IN %s",
    models=[Mention],
)
#: Before any run: every pair scored counts.
_LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Surroundings:
    """What regrouping the mentions around a few needs, read at once (``read_surroundings``):
    the mentions of the component with their entities, the latest batch run's threshold,
    the scored pairs among them (the run's and those matching after intake found since),
    the standing judgements, and for people the dates of birth and who each was reported
    with."""

    threshold: float
    current: dict[int, int | None]  # mention -> its entity
    merged_away: set[int]  # of their entities, those marked merged into another
    scored: list[tuple[int, int, float, bool, list[Any], float, int]]
    layouts: dict[int, Any]
    judgements: StandingJudgements
    born: dict[int, str | None] | None  # people: the date of birth each states
    seen_with: SeenWith | None


def read_surroundings(schema: str, seeds: Iterable[int], named: Iterable[int] = ()) -> Surroundings:
    """The component around ``seeds`` — themselves, every mention of their entities, and the
    mentions ``named`` — and what regrouping it needs, in one round trip on PostgreSQL
    (six statements, each prepared once per connection)."""
    seed_ids = tuple(sorted(set(seeds)))
    component = (tuple(sorted({*seed_ids, *named})), seed_ids)
    latest = (LinkageRun.Kind.BATCH, schema, LinkageRun.Status.DONE)
    person = schema == Schema.PERSON
    run, mentions, seen, scored, layouts, judgements = fetch_together(
        (_LATEST_RUN, latest),
        (_COMPONENT_MENTIONS, (schema, *component)),
        (_SEEN_WITH, (schema, *component)) if person else None,
        (_SCORED, (*component, *component, *latest, _LONG_AGO, *latest, _LONG_AGO)),
        (_LAYOUTS, (*component, *component)),
        (_JUDGEMENTS, (*component, *component)),
    )
    current = {pk: entity for pk, entity, _properties, _merged in mentions}
    unknown = set(seed_ids) - set(current)
    if unknown:
        raise ValueError(f"not mentions of {schema}: {sorted(unknown)[:10]}")
    outside: dict[int, int] = {
        pk: entity for pk, _signal, entity in seen if pk not in current and entity is not None
    }
    return Surroundings(
        threshold=run[0][0] if run else 1.0,
        current=current,
        merged_away={entity for _pk, entity, _p, merged in mentions if merged is not None},
        scored=scored,
        layouts=dict(layouts),
        judgements=standing_among(judgements),
        born=(
            {
                pk: next(iter(properties.get("birthDate") or []), None)
                for pk, _entity, properties, _merged in mentions
            }
            if person
            else None
        ),
        seen_with=(
            SeenWith.of_signals(((pk, signal) for pk, signal, _entity in seen), outside)
            if person
            else None
        ),
    )


#: How many bits (log2 of the odds) the dated group that a group without any date of birth
#: fits best must lead the next by before that group is attached to it: 4 bits, sixteen to
#: one (docs/linkage.md, "Records without a date of birth").
ATTACH_MARGIN = 4.0


def joining_probability(probability: float, links: bool, threshold: float) -> float:
    """What grouping joins on: the probability, or just below the threshold for a pair the
    model scores high but does not link (no identifying evidence)."""
    return probability if links else min(probability, threshold - 1e-9)


def group_mentions(
    mention_ids: Iterable[int],
    pairs: Iterable[tuple[int, int, float]],
    threshold: float,
    judgements: StandingJudgements,
    born: Mapping[int, str | None] | None = None,
    corroborated: Iterable[Pair] = (),
    attachable: Iterable[tuple[int, int, float]] = (),
    *,
    ordered: bool = False,
    seen_with: SeenWith | None = None,
) -> tuple[list[list[int]], list[Pair]]:
    """Groups of mention ids, and the joins refused because an analyst said "not the same".
    ``pairs`` are (mention, mention, match probability); ``born`` the date of birth of each
    mention that has one (people): a pair of the model never joins groups whose dates differ
    unless both its records have a date and it is in ``corroborated`` (see
    ``corroborated_pairs``). With ``born``, a group without any date of birth is then attached
    along ``attachable`` — (mention, mention, match weight) of the scored pairs with
    identifying evidence — to the dated group they clearly point to (``_Groups.attach_undated``).
    ``ordered``: the caller gives only pairs at or above the threshold, most probable first
    (as a sort by probability that keeps ties in their order would have them)."""
    groups = _Groups(
        mention_ids, judgements.not_same, born, frozenset(_pair(a, b) for a, b in corroborated)
    )
    same = sorted(judgements.same)
    strong = (
        (pairs if isinstance(pairs, list) else list(pairs))
        if ordered
        else sorted((p for p in pairs if p[2] >= threshold), key=lambda p: -p[2])
    )
    if born is not None and seen_with is not None:
        # A link between a record without a date and a dated one that only the names make
        # waits for the attaching step, where a namesake is weighed against the others.
        dated, firm = groups.own_date, groups.corroborated
        strong = [
            p
            for p in strong
            if (p[0] in dated) == (p[1] in dated) or _pair(p[0], p[1]) in firm or p[2] >= 1.0
        ]
    if len(strong) >= SETTLE_FROM:
        # Most of a large run's components join without a single refusal: grouped at once;
        # only the pairs of the others are joined one by one, in their order.
        settled, still = settled_components(groups, strong, same, judgements.not_same)
        groups.settle(settled)
        same = list(compress(same, still[len(strong) :]))
        strong = list(compress(strong, still))
    for a, b in same:
        if a in groups.parent and b in groups.parent:
            groups.join(a, b, by_model=False)
    parent, root, join = groups.parent, groups.root, groups.join
    for a, b, _probability in strong:
        # Most links fall within a group already joined: checked here, without a call.
        if a in parent and b in parent and root(a) != root(b):
            join(a, b)
    if born is not None:
        groups.attach_undated(attachable, seen_with)
    return groups.groups(), groups.refused


#: From this many pairs on, grouping first finds the components that join without a refusal
#: (``settled_components``) and groups them at once.
SETTLE_FROM = 1_000


def settled_components(
    groups: _Groups,
    strong: Sequence[tuple[int, int, float]],
    same: Sequence[Pair],
    not_same: Iterable[Pair],
) -> tuple[list[list[int]], list[bool]]:
    """The connected components of the mentions along the strong pairs and the "same"
    judgements, split in two: those in which joining the pairs one by one would refuse no join
    — no "not the same" pair inside, and every two dates of birth in them may be one date
    (``same_date``), so that every join of the model is allowed — and the others. Grouping
    the first at once gives exactly what joining their pairs one by one does. Returns those
    components (of two or more mentions) and, for each strong pair and then each "same" pair,
    whether it still has to be joined one by one (its mentions are in another component).

    Components by label propagation over numpy arrays: each label hooked to the smallest it
    meets, then pointers followed to their roots, until every pair has one label."""
    import numpy
    import pandas  # type: ignore[import-untyped]  # ships without type information

    ids = numpy.fromiter(groups.parent, dtype=numpy.int64, count=len(groups.parent))
    ids.sort()
    # Dense positions by id (mention ids are a database's sequence: a few million at most).
    position = numpy.full(int(ids[-1]) + 2, -1, dtype=numpy.int64)
    position[ids] = numpy.arange(len(ids))
    beyond = len(position) - 1  # position[beyond] is -1: ids outside the run's

    def positions(values: Any) -> Any:
        return position[numpy.minimum(values, beyond).clip(min=0)]

    count = len(strong) + len(same)
    left = numpy.empty(count, dtype=numpy.int64)
    right = numpy.empty(count, dtype=numpy.int64)
    left[: len(strong)] = numpy.fromiter((p[0] for p in strong), numpy.int64, len(strong))
    right[: len(strong)] = numpy.fromiter((p[1] for p in strong), numpy.int64, len(strong))
    left[len(strong) :] = numpy.fromiter((p[0] for p in same), numpy.int64, len(same))
    right[len(strong) :] = numpy.fromiter((p[1] for p in same), numpy.int64, len(same))
    at_left, at_right = positions(left), positions(right)
    known = (at_left >= 0) & (at_right >= 0)
    labels = numpy.arange(len(ids))
    a_known, b_known = at_left[known], at_right[known]
    while True:
        a, b = labels[a_known], labels[b_known]
        differ = a != b
        if not differ.any():
            break
        a, b = a[differ], b[differ]
        numpy.minimum.at(labels, numpy.maximum(a, b), numpy.minimum(a, b))
        while not numpy.array_equal(jumped := labels[labels], labels):
            labels = jumped
    troubled: set[int] = set()
    barred = numpy.array(list(not_same), dtype=numpy.int64).reshape(-1, 2)
    x, y = positions(barred[:, 0]), positions(barred[:, 1])
    inside = (x >= 0) & (y >= 0)
    inside[inside] = labels[x[inside]] == labels[y[inside]]
    troubled.update(labels[x[inside]].tolist())
    if groups.own_date:
        dated = positions(numpy.fromiter(groups.own_date, numpy.int64, len(groups.own_date)))
        codes, values = pandas.factorize(
            numpy.fromiter(groups.own_date.values(), dtype=object, count=len(groups.own_date))
        )
        label_date = numpy.unique(labels[dated] * len(values) + codes)
        label_of_date = label_date // len(values)
        several = numpy.unique(label_of_date[1:][label_of_date[1:] == label_of_date[:-1]])
        starts = numpy.searchsorted(label_of_date, several, side="left").tolist()
        ends = numpy.searchsorted(label_of_date, several, side="right").tolist()
        for label, start, end in zip(several.tolist(), starts, ends, strict=True):
            dates = [values[code] for code in (label_date[start:end] % len(values)).tolist()]
            if not all(same_date(x, y) for x in dates for y in dates if x < y):
                troubled.add(label)
    bad = numpy.zeros(len(ids), dtype=bool)
    bad[list(troubled)] = True
    still = numpy.zeros(count, dtype=bool)  # pairs of unknown mentions join nothing anyway
    still[known] = bad[labels[a_known]]
    # The settled components of two or more mentions, each in ascending id order.
    settled = ~bad[labels]
    order = numpy.argsort(labels, kind="stable")
    order = order[settled[order]]
    sorted_labels = labels[order]
    cuts = numpy.flatnonzero(sorted_labels[1:] != sorted_labels[:-1]) + 1
    members = [part.tolist() for part in numpy.split(ids[order], cuts) if len(part) > 1]
    return members, still.tolist()


#: Comparisons whose agreement ties two person records together beyond their names.
CORROBORATING = ("identity_number", "address", "phone")


def corroborated_pairs(rows: Iterable[tuple[int, int, Iterable[Mapping[str, Any]]]]) -> set[Pair]:
    """The pairs among (left, right, explanation) whose explanation has a corroborating
    comparison that agrees (a positive weight)."""
    return {
        _pair(left, right)
        for left, right, explanation in rows
        if any(
            part.get("comparison") in CORROBORATING and float(part.get("weight") or 0) > 0
            for part in explanation
        )
    }


#: Comparisons that describe who a person is (engine's ``identifying``): a pair along which a
#: record without a date of birth is attached must have their weights sum above zero.
IDENTIFYING = ("given_name", "family_name", "date_of_birth", "identity_number")


def attachable_pairs(
    rows: Iterable[tuple[int, int, Iterable[Mapping[str, Any]], float]],
) -> list[tuple[int, int, float]]:
    """(left, right, match weight) of the rows (left, right, explanation, match weight) whose
    identifying comparisons weigh more than zero together, as the batch run decides it."""
    return [
        (left, right, float(weight))
        for left, right, explanation, weight in rows
        if sum(
            float(part.get("weight") or 0)
            for part in explanation
            if part.get("comparison") in IDENTIFYING
        )
        > 0
    ]


@dataclass
class Changes:
    created: int = 0
    moved_mentions: int = 0
    merges: list[tuple[int, list[int]]] = field(default_factory=list)
    splits: list[tuple[int, list[int]]] = field(default_factory=list)


@dataclass
class GroupPlan:
    """What writing groups will do, worked out without writing: each group's entity (an
    existing one where its mentions already are, or a new one), from the mentions' entities
    as read. ``plan_groups`` makes it; ``apply_plan`` writes it."""

    schema: str
    whole: bool  # every mention of the schema was read
    current: Mapping[int, int | None]  # mention of the groups -> its entity before
    held_outside: set[int] | None  # entities of mentions outside the groups (when whole)
    claimed: set[int]
    assignment: dict[int, int]  # mention -> the existing entity it will belong to
    new_groups: list[Sequence[int]]  # groups that get a new entity
    # Of the entities the mentions held, those marked merged into another (None: not read).
    merged_away: set[int] | None = None

    def entities_after(self) -> Iterator[tuple[int, int]]:
        """(mention, entity) of every mention the groups name as it will be written; a new
        entity, not made yet, as a negative number of its own."""
        yield from self.assignment.items()
        for index, group in enumerate(self.new_groups):
            for mention in group:
                yield mention, -1 - index


@transaction.atomic
def write_groups(schema: str, groups: Sequence[Sequence[int]]) -> Changes:
    """Give each group of mentions one entity, keeping ids where the mentions already are.
    In one transaction: a failure leaves the previous entities as they were."""
    return apply_plan_here(plan_groups(schema, groups))


def plan_groups(
    schema: str,
    groups: Sequence[Sequence[int]],
    mentions: Iterable[tuple[int, int | None]] | None = None,
    *,
    known: Mapping[int, int | None] | None = None,
) -> GroupPlan:
    """Choose each group's entity. ``mentions``: (mention, entity) of *every* mention of the
    schema, already read (a batch run reads them before it writes its pairs, and plans while
    they are written: then this uses no database); ``known``: those of the mentions grouped
    (a regrouping around a few that read them); without either they are read here."""
    groups = [group for group in groups if group]  # an empty group names no entity
    wanted = {m for g in groups for m in g}
    of_schema = Mention.objects.filter(schema=schema)
    # A batch run groups every mention of its schema: read them all rather than naming a
    # million ids; a regrouping around a few mentions names them.
    whole = mentions is not None or (known is None and len(wanted) > WHOLE_SCHEMA)
    current: dict[int, int | None] = {}
    held_outside: set[int] | None = set() if whole else None  # entities of other mentions
    if mentions is not None:
        rows: Iterable[tuple[int, int | None]] = mentions
    elif known is not None:
        rows = known.items()
    elif whole:
        rows = of_schema.values_list("pk", "entity_id").iterator(chunk_size=50_000)
    else:
        # A regrouping around a few mentions: one query, without a server-side cursor.
        rows = of_schema.filter(pk__in=sorted(wanted)).values_list("pk", "entity_id")
    for pk, entity in rows:
        if pk in wanted:
            current[pk] = entity
        elif held_outside is not None and entity is not None:
            held_outside.add(entity)
    unknown = wanted - set(current)
    if unknown:
        raise ValueError(f"not mentions of {schema}: {sorted(unknown)[:10]}")
    claimed: set[int] = set()
    assignment: dict[int, int] = {}
    new_groups: list[Sequence[int]] = []
    # Biggest groups choose first, so that an entity stays with most of its mentions; of
    # groups as big, the one with the oldest mention (a split-off record leaves the entity to
    # the records that were there first), whatever order the groups come in.
    for group in sorted(groups, key=lambda g: (-len(g), min(g, default=0))):
        holders = Counter(current.get(m) for m in group if current.get(m) is not None)
        keep = next((e for e, _n in holders.most_common() if e not in claimed), None)
        if keep is None:
            new_groups.append(group)
            continue
        claimed.add(keep)
        for mention in group:
            assignment[mention] = keep
    return GroupPlan(
        schema=schema,
        whole=whole,
        current=current,
        held_outside=held_outside,
        claimed=claimed,
        assignment=assignment,
        new_groups=new_groups,
    )


@transaction.atomic
def apply_plan(plan: GroupPlan) -> Changes:
    """Write what ``plan`` chose: new entities, moved mentions, absorbed entities marked
    merged, split ones renamed; the merges and splits announced after the commit. In one
    transaction: a failure leaves the previous entities as they were."""
    return apply_plan_here(plan)


def apply_plan_here(plan: GroupPlan) -> Changes:
    """``apply_plan`` in the caller's transaction."""
    changes = Changes()
    schema, current, assignment = plan.schema, plan.current, dict(plan.assignment)
    if plan.new_groups:
        captions = dict(
            Mention.objects.filter(pk__in=[g[0] for g in plan.new_groups]).values_list(
                "pk", "caption"
            )
        )
        made = Entity.objects.bulk_create(
            [Entity(schema=schema, caption=captions.get(g[0], "")) for g in plan.new_groups]
        )
        changes.created = len(made)
        for group, new_entity in zip(plan.new_groups, made, strict=True):
            for mention in group:
                assignment[mention] = new_entity.pk

    moved: dict[int, list[int]] = defaultdict(list)
    went_to: dict[int, Counter[int]] = defaultdict(Counter)  # before -> after: mentions
    for mention, entity_id in assignment.items():
        before = current.get(mention)
        if before != entity_id:
            moved[entity_id].append(mention)
            if before is not None:
                went_to[before][entity_id] += 1
    _move_mentions(
        [(entity_id, mention) for entity_id, mentions in moved.items() for mention in mentions]
    )
    changes.moved_mentions = sum(len(mentions) for mentions in moved.values())
    # An entity left with none of its mentions was absorbed (merged); one that kept some was
    # split.
    still_held = {entity for entity in assignment.values() if entity in went_to}
    held_outside = plan.held_outside
    if held_outside is None:
        held_outside = (
            {entity for (entity,) in _HELD_OUTSIDE.fetch([tuple(sorted(went_to)), tuple(current)])}
            if went_to
            else set()
        )
    still_held |= held_outside & set(went_to)
    absorbed: dict[int, list[int]] = defaultdict(list)
    scattered: list[tuple[int, int]] = []  # (part that took most, entity left empty)
    for before, after in sorted(went_to.items()):
        if before in still_held:
            changes.splits.append((before, sorted(after)))
        elif len(after) == 1:
            absorbed[next(iter(after))].append(before)
        else:
            # Its mentions went to several entities and none stayed: a split, not a merge
            # ("every mention of the absorbed now belongs to the kept" would be untrue); its
            # id leads on to the part that took most of them.
            changes.splits.append((before, sorted(after)))
            scattered.append((max(after, key=lambda e: (after[e], -e)), before))
    # A kept entity that an earlier run had merged away is an entity again. Before the absorbed
    # are marked (the two are apart: an absorbed entity keeps no mention), so that a whole
    # schema's run reads only those merged before it.
    merged_before = Entity.objects.filter(merged_into__isnull=False)
    if plan.merged_away is not None:
        # Read with the mentions: usually none, and no statement is sent.
        revived = plan.merged_away & plan.claimed
        if revived:
            merged_before.filter(pk__in=sorted(revived)).update(merged_into=None)
    elif plan.whole:
        revived = (
            set(merged_before.filter(schema=schema).values_list("pk", flat=True)) & plan.claimed
        )
        merged_before.filter(pk__in=sorted(revived)).update(merged_into=None)
    else:
        merged_before.filter(pk__in=plan.claimed).update(merged_into=None)
    _mark_absorbed([(kept, gone) for kept, gones in absorbed.items() for gone in gones] + scattered)
    changes.merges = sorted(absorbed.items())
    _rename_after_splits([before for before, _after in changes.splits if before in still_held])
    transaction.on_commit(lambda: _announce(changes))
    return changes


def _rename_after_splits(entities: list[int]) -> None:
    """An entity that kept some of its mentions is named after one it still holds: the
    record it was named after may be the one split off."""
    if not entities:
        return
    captions: dict[int, list[str]] = defaultdict(list)
    for entity_id, caption in (
        Mention.objects.filter(entity_id__in=entities)
        .order_by("pk")
        .values_list("entity_id", "caption")
    ):
        captions[entity_id].append(caption)
    renamed = []
    for entity in Entity.objects.filter(pk__in=entities).only("pk", "caption"):
        held = [c for c in captions.get(entity.pk, []) if c]
        if held and entity.caption not in held:
            entity.caption = held[0]
            renamed.append(entity)
    Entity.objects.bulk_update(renamed, ["caption"], batch_size=500)


def _move_mentions(assignments: list[tuple[int, int]]) -> None:
    """(entity, mention) pairs: one statement per chunk (a first batch run over a million
    mentions moves 800,000), in the order of the mentions: the rows and their indexes are
    then reached page after page instead of at random (at a million mentions, in entity order,
    each row took 53 µs)."""
    update_column(Mention, "entity_id", sorted(assignments, key=lambda pair: pair[1]))


def _mark_absorbed(merges: list[tuple[int, int]]) -> None:
    """(kept, absorbed) entity pairs, in the order of the absorbed."""
    update_column(Entity, "merged_into_id", sorted(merges, key=lambda pair: pair[1]))


def _announce(changes: Changes) -> None:
    if changes.merges or changes.splits:
        entities_regrouped.send(
            sender=Entity, merges=list(changes.merges), splits=list(changes.splits)
        )
    if not (
        (entities_merged.has_listeners(Entity) and changes.merges)
        or (entity_split.has_listeners(Entity) and changes.splits)
    ):
        return
    entities = Entity.objects.in_bulk(
        {e for kept, gone in changes.merges for e in (kept, *gone)}
        | {e for original, parts in changes.splits for e in (original, *parts)}
    )
    for kept, gone in changes.merges:
        entities_merged.send(
            sender=Entity, kept=entities[kept], absorbed=[entities[e] for e in gone]
        )
    for original, parts in changes.splits:
        entity_split.send(
            sender=Entity, original=entities[original], parts=[entities[e] for e in parts]
        )
