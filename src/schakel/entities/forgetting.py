"""Retention reaches the entities: when expired signals are anonymised or deleted, what this
context copied out of them goes in the same transaction.

A signal's mentions hold what it said (names, dates of birth, numbers, as given and
normalised), and so do their blocking keys, their pairs with the model's explanation, their
relations and the judgements on them; an entity's name is a copy of one mention's. All of it
is removed with the mentions, and each entity that lost mentions is named after one it still
has, or has no name when none is left. The entity rows themselves stay: a case may refer to
one, and an old address of an entity that was merged away must keep leading somewhere.

The mentions that are left are grouped again at once, as after a judgement: two mentions
that were one person, company or address only through a forgotten one are two again, with
the events that announce a split. (Accounts and vehicles are their IBAN and plate: what is
left of them stays together.)
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import F, Min, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.dispatch import receiver

from schakel.entities.models import Entity, LinkageRun, Mention, Schema, TermFrequency
from schakel.entities.review import resolve_around
from schakel.signals.events import signals_forgotten
from schakel.signals.models import Signal


@receiver(signals_forgotten, sender=Signal)
def forget_when_signals_are(sender: type[Signal], ids: list[int], **kwargs: Any) -> None:
    forget_signals(ids)


@transaction.atomic
def forget_signals(
    signal_ids: Iterable[int],
    *,
    mention_model: type[Mention] = Mention,
    entity_model: type[Entity] = Entity,
) -> int:
    """Remove the mentions of these signals and everything made from them; returns how many
    mentions went. (A migration passes its own historical models.)"""
    mentions = mention_model.objects.filter(signal_id__in=list(signal_ids))
    gone = list(mentions.values_list("entity_id", "caption"))
    if not gone:
        return 0
    entities = {entity for entity, _caption in gone if entity is not None}
    captions = {caption for _entity, caption in gone if caption}
    if mention_model is Mention:  # not in a migration: term frequencies came later
        _off_term_frequencies(mentions.filter(schema=Schema.PERSON).values_list("pk", flat=True))
    # Django's cascade takes the keys, relations, pairs and judgements along (the pairs have
    # no constraint in the database, but the same cascade).
    mentions.delete()
    # The entities that held these mentions, and any other named after one of them: one that
    # was merged away keeps the name it had, and it may be a forgotten mention's.
    first_left = (
        mention_model.objects.filter(entity=OuterRef("pk")).exclude(caption="").order_by("pk")
    )
    named = entity_model.objects.filter(pk__in=entities) | entity_model.objects.filter(
        caption__in=captions
    )
    renamed = []
    for entity in named.annotate(
        name=Coalesce(Subquery(first_left.values("caption")[:1]), Value(""))
    ):
        if entity.caption != entity.name:
            entity.caption = entity.name
            renamed.append(entity)
    entity_model.objects.bulk_update(renamed, ["caption"], batch_size=500)
    if mention_model is Mention:  # not in a migration: regrouping uses today's models
        _regroup(entities)
    return len(gone)


def _off_term_frequencies(person_mentions: Iterable[int]) -> None:
    """Take the forgotten people's records off the batch run's term frequencies: each value
    they held counts one record fewer, a value fewer than two records hold goes (it would
    name someone), and the run's totals shrink with them."""
    runs = list(
        LinkageRun.objects.filter(
            pk__in=TermFrequency.objects.values("run_id").distinct()
        ).order_by("pk")
    )
    if not runs:
        return
    from schakel.entities.linkage import clean_record
    from schakel.entities.linking import person_records

    records = [clean_record("person", r) for r in person_records(list(person_mentions))]
    for run in runs:
        # By column and by how many of the forgotten held the value: a few statements.
        held: dict[tuple[str, int], list[str]] = defaultdict(list)
        for column in run.term_frequency_totals:
            counts = Counter(str(r[column]) for r in records if r.get(column) is not None)
            for value, count in counts.items():
                held[(column, count)].append(value)
            run.term_frequency_totals[column] = max(
                run.term_frequency_totals[column] - sum(counts.values()), 0
            )
        for (column, count), values in held.items():
            TermFrequency.objects.filter(run=run, column=column, value__in=values).update(
                records=Greatest(F("records") - count, 0)
            )
        TermFrequency.objects.filter(run=run, records__lt=2).delete()
        run.save(update_fields=["term_frequency_totals"])


def _regroup(entities: set[int]) -> None:
    # One mention of each entity names it; regrouping reads the rest itself, one schema at a
    # time.
    first = (
        Mention.objects.filter(entity_id__in=entities)
        .values("entity_id")
        .annotate(first=Min("pk"))
        .values_list("first", flat=True)
    )
    by_schema: dict[str, list[Mention]] = defaultdict(list)
    for mention in Mention.objects.filter(pk__in=list(first)).order_by("pk"):
        by_schema[mention.schema].append(mention)
    for mentions in by_schema.values():
        resolve_around(mentions)
