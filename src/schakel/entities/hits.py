"""Where else an entity appears — the hit/no-hit principle (as in FIU.net).

For each other mention of an entity a user learns either everything the access matrix lets
them see (the values, the signal, who said it and when) or only that it exists: a *hit*,
counted per sharing group (or per organisation for signals shared with no group), with
whom to contact. A hit carries no value, no reference and no id of what it counts, so the
hidden data never reaches a page or an API answer. No other mention at all is a *no-hit*.
A TLP:RED signal's mentions are shown to its named recipients as the matrix allows and are
no hit for anyone else: RED reveals nothing, not even that it exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from schakel.audit import services as audit
from schakel.entities.models import Entity, Mention
from schakel.entities.services import mentions_shown_to
from schakel.signals.models import Tlp


@dataclass(frozen=True)
class Hit:
    """Hidden mentions of one entity in one place: how many, where, whom to ask."""

    count: int
    place: str  # a sharing group's or an organisation's name
    contact_organisation: str
    contact_email: str


@dataclass
class Appearances:
    entity: Entity
    shown: list[Mention] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)

    @property
    def no_hit(self) -> bool:
        return not self.shown and not self.hits

    @property
    def hidden_count(self) -> int:
        return sum(hit.count for hit in self.hits)


def appearances(
    user: Any, entity: Entity, *, besides: Iterable[int] = (), request: Any = None
) -> Appearances:
    """The mentions of ``entity`` other than those with ids in ``besides``: shown in full or
    counted as hits. Hits shown are audited (one read entry per request, purpose ``hit``)."""
    skip = set(besides)
    others = [
        m
        for m in entity.mentions.select_related(
            "signal__owner_organisation", "organisation"
        ).prefetch_related("signal__sharing_groups__chair_organisation", "signal__recipients")
        if m.pk not in skip
    ]
    shown = list(mentions_shown_to(user, others))
    shown_ids = {m.pk for m in shown}
    # A TLP:RED signal is for its named recipients only: to anyone else not even a hit says
    # that it exists.
    hidden = [m for m in others if m.pk not in shown_ids and m.signal.tlp != Tlp.RED]
    result = Appearances(entity, shown=shown, hits=_count(hidden))
    if hidden:
        audit.record_read(request, "entities.hit", [m.pk for m in hidden], purpose="hit")
    return result


def _count(hidden: list[Mention]) -> list[Hit]:
    places: dict[tuple[str, str, str], int] = {}
    for mention in hidden:
        groups = sorted(mention.signal.sharing_groups.all(), key=lambda g: g.name)
        if groups:
            group = groups[0]
            contact = group.chair_organisation
            key = (group.name, contact.name if contact else "", contact.email if contact else "")
        else:
            owner = mention.signal.owner_organisation
            key = (owner.name, owner.name, owner.email)
        places[key] = places.get(key, 0) + 1
    return [
        Hit(count=count, place=place, contact_organisation=name, contact_email=email)
        for (place, name, email), count in sorted(places.items())
    ]
