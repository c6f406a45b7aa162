"""Events of the entities context, for contexts above (cases) to subscribe to. Sent after the
transaction that changed the entities commits."""

from __future__ import annotations

from django.dispatch import Signal as Event

#: ``entities_merged.send(sender=Entity, kept=<Entity>, absorbed=[<Entity>, ...])``: every
#: mention of the absorbed entities now belongs to ``kept``.
entities_merged = Event()

#: ``entity_split.send(sender=Entity, original=<Entity>, parts=[<Entity>, ...])``: some of
#: the original's mentions now belong to the new ``parts``.
entity_split = Event()

#: ``entities_regrouped.send(sender=Entity, merges=[(kept_id, [absorbed_id, ...]), ...],
#: splits=[(original_id, [part_id, ...]), ...])``: every merge and split of one regrouping (a
#: batch run, or a regrouping around a judgement or a new signal) at once, as ids, sent before
#: the events per entity above; for a subscriber that can tell with one query which of
#: thousands concern it.
entities_regrouped = Event()
