"""An entity as one user may see it: each value with who said it and when, the signals it
comes from, its links, and where else it is known (hits)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import formats
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _
from followthemoney import model as ftm_model

from schakel.entities.hits import Appearances, Hit, appearances
from schakel.entities.models import Entity, Mention, Relation, RelationSchema
from schakel.entities.projection import MIXED_SCRIPTS
from schakel.entities.review import JudgementEntry, judgements_about
from schakel.signals.templatetags.signals_ui import country_name, vocab


@dataclass(frozen=True)
class Value:
    prop: str  # FollowTheMoney property name
    label: str
    value: str
    mentions: tuple[Mention, ...]  # who said it, when, in which signal
    shown: str  # the value as the reader reads it: a date in their format, a country named


#: The FollowTheMoney properties Schakel writes, named in the reader's language (the library's
#: own labels are English only).
PROPERTY_LABELS: dict[str, Any] = {
    "name": _("Name"),
    "firstName": _("Given names"),
    "lastName": _("Family name"),
    "alias": _("Alias"),
    "birthDate": _("Date of birth"),
    "gender": _("Gender"),
    "nationality": _("Nationality"),
    "phone": _("Phone number"),
    "email": _("E-mail address"),
    "website": _("Website"),
    "idNumber": _("Identity number"),
    "registrationNumber": _("Registration number"),
    "full": _("Address"),
    "street": _("Street"),
    "postalCode": _("Postcode"),
    "city": _("Place"),
    "country": _("Country"),
    "iban": _("IBAN"),
    "addressEntity": _("Address"),
}


def property_label(prop: str, schema: Any = None) -> str:
    if prop in PROPERTY_LABELS:
        return str(PROPERTY_LABELS[prop])
    found = schema.get(prop) if schema is not None else None
    return str(found.label) if found is not None else prop


def shown_value(prop: str, value: str) -> str:
    """``value`` of ``prop`` as a reader of the page's language reads it; the stored value
    (what FollowTheMoney exports) when there is nothing to translate or it does not parse."""
    if prop == "birthDate":
        day = parse_date(value) if len(value) == 10 else None
        return formats.date_format(day, "DATE_FORMAT") if day is not None else value
    if prop in ("nationality", "country") and len(value) == 2:
        return country_name(value)
    if prop == "gender":
        return vocab(value, "gender")
    return value


@dataclass(frozen=True)
class Link:
    schema: str
    label: str
    role: str
    other: Entity
    other_caption: str
    outgoing: bool
    # The link's own FollowTheMoney properties: a payment's amount, currency, date and
    # purpose, a family tie's relationship.
    properties: dict[str, list[str]] = field(default_factory=dict)
    # The other end's mentions (the user may see each in full) that state this link: its
    # caption is theirs, so showing the link shows their data and is audited with them.
    other_mentions: tuple[Mention, ...] = ()

    def first(self, name: str) -> str:
        values = self.properties.get(name) or [""]
        return values[0]

    @property
    def amount(self) -> str:
        return " ".join(v for v in (self.first("currency"), self.first("amount")) if v)


@dataclass(frozen=True)
class Evidence:
    """Why two of the entity's records are one: the model's score of the pair, or an
    analyst's judgement."""

    left: Mention
    right: Mention
    probability: float | None
    explanation: list[dict[str, Any]]
    judged_by: str = ""
    reason: str = ""


@dataclass
class EntityView:
    entity: Entity
    caption: str
    mentions: list[Mention]
    values: list[Value] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    flags: list[dict[str, str]] = field(default_factory=list)
    # Analysts' judgements on its records, withdrawn ones too (``review.judgements_about``):
    # filled for the page only (``with_judgements``).
    judgements: list[JudgementEntry] = field(default_factory=list)

    @property
    def invalid_flags(self) -> list[dict[str, str]]:
        """Values kept as given that their type refuses."""
        return [f for f in self.flags if f.get("problem") != MIXED_SCRIPTS]

    @property
    def mixed_script_flags(self) -> list[dict[str, str]]:
        """Names, streets and cities kept as given with a word in more than one script."""
        return [f for f in self.flags if f.get("problem") == MIXED_SCRIPTS]

    @property
    def shown_mention_ids(self) -> list[int]:
        """Every mention whose data the view shows: the entity's own and its links' other
        ends (a linked person's name). What the pages and the API audit."""
        ids = dict.fromkeys(m.pk for m in self.mentions)
        for link in self.links:
            ids.update(dict.fromkeys(m.pk for m in link.other_mentions))
        for entry in self.judgements:
            # A judgement names its two records: one may be of another entity now (split off).
            judgement = entry.judgement
            ids.update(dict.fromkeys((judgement.left_id, judgement.right_id)))
        return list(ids)

    @property
    def organisations(self) -> list[str]:
        return sorted({m.organisation.name for m in self.mentions})

    @property
    def signals(self) -> list[Any]:
        seen: dict[int, Any] = {}
        for mention in self.mentions:
            seen.setdefault(mention.signal_id, mention.signal)
        return list(seen.values())


def present_entity(
    user: Any,
    entity: Entity,
    mentions: list[Mention],
    *,
    request: Any = None,
    with_judgements: bool = False,
) -> EntityView:
    """``mentions`` are those the user may see in full (``get_entity_for_user``).
    ``with_judgements``: also the judgements on them the user may see."""
    schema = ftm_model.get(entity.schema)
    view = EntityView(entity, caption=_caption(mentions), mentions=mentions)
    by_value: dict[tuple[str, str], list[Mention]] = {}
    for mention in mentions:
        for prop, values in mention.properties.items():
            for value in values:
                by_value.setdefault((prop, value), []).append(mention)
        view.flags += mention.flags
    for (prop, value), sources in sorted(by_value.items()):
        view.values.append(
            Value(
                prop,
                property_label(prop, schema),
                value,
                tuple(sources),
                shown_value(prop, value),
            )
        )
    view.links = _links(user, mentions)
    view.evidence = _evidence(mentions)
    if with_judgements:
        view.judgements = judgements_about(user, mentions)
    found_elsewhere: Appearances = appearances(
        user, entity, besides=[m.pk for m in mentions], request=request
    )
    view.hits = found_elsewhere.hits
    return view


def _caption(mentions: list[Mention]) -> str:
    # Only from what the user may see: the entity's stored caption may come from a
    # mention hidden from them.
    return next((m.caption for m in mentions if m.caption), "")


def _links(user: Any, mentions: list[Mention]) -> list[Link]:
    from schakel.entities.services import SIGNAL_ACCESS, mentions_shown_to

    ids = [m.pk for m in mentions]
    relations = list(
        Relation.objects.filter(source_id__in=ids)
        .select_related("target__signal", "target__entity")
        .prefetch_related(*(f"target__{path}" for path in SIGNAL_ACCESS))
    ) + list(
        Relation.objects.filter(target_id__in=ids)
        .select_related("source__signal", "source__entity")
        .prefetch_related(*(f"source__{path}" for path in SIGNAL_ACCESS))
    )
    ends = [r.target if r.source_id in ids else r.source for r in relations]
    # A link shows its other end's name: only where the user may see that mention in full.
    shown = {m.pk for m in mentions_shown_to(user, ends)}
    grouped: dict[tuple[str, int, bool, int], tuple[Relation, Mention, list[Mention]]] = {}
    for relation, other in zip(relations, ends, strict=True):
        if other.pk not in shown or other.entity is None:
            continue
        outgoing = relation.source_id in ids
        # The same link stated in several signals is shown once; every payment is its own.
        own = relation.pk if relation.schema == RelationSchema.PAYMENT else 0
        key = (relation.schema, other.entity_id or 0, outgoing, own)
        if key in grouped:
            grouped[key][2].append(other)
        else:
            grouped[key] = (relation, other, [other])
    return [
        Link(
            schema=relation.schema,
            label=str(RelationSchema(relation.schema).label),
            role=relation.role,
            other=other.entity,
            other_caption=other.caption,
            outgoing=outgoing,
            properties=dict(relation.properties),
            other_mentions=tuple(others),
        )
        for (_schema, _entity, outgoing, _own), (relation, other, others) in grouped.items()
        if other.entity is not None
    ]


def _evidence(mentions: list[Mention]) -> list[Evidence]:
    """The linked pairs and "same" judgements among the mentions the user may see, newest
    first; at most 50."""
    from schakel.entities.explanations import expand_all
    from schakel.entities.models import Judgement, Suggestion

    by_id = {m.pk: m for m in mentions}
    ids = list(by_id)
    found: list[Evidence] = []
    for judgement in (
        # A withdrawn one is no reason any more (the page lists it, as withdrawn, apart).
        Judgement.objects.filter(
            left_id__in=ids, right_id__in=ids, verdict="same", withdrawn_by__isnull=True
        )
        .select_related("judged_by")
        .order_by("-judged_at")[:50]
    ):
        found.append(
            Evidence(
                by_id[judgement.left_id],
                by_id[judgement.right_id],
                judgement.score,
                [],
                judged_by=str(judgement.judged_by),
                reason=judgement.reason,
            )
        )
    linked = list(
        Suggestion.objects.filter(left_id__in=ids, right_id__in=ids, links=True).order_by(
            "-created_at", "-pk"
        )[: 50 - len(found)]
    )
    parts = expand_all(linked)
    for suggestion in linked:
        found.append(
            Evidence(
                by_id[suggestion.left_id],
                by_id[suggestion.right_id],
                suggestion.probability,
                parts[suggestion.pk],
            )
        )
    return found
