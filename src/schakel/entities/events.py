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
