"""What linkage made of signals that retention anonymised before it reached the entities:
their mentions go with their keys, pairs, relations and judgements, and entities are named
after a mention they still have. An entity left without any mention by an earlier deletion
loses its name too (it can have no other origin)."""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.models import Exists, OuterRef

BATCH = 500


def forget(apps: Any, schema_editor: Any) -> None:
    from schakel.entities.forgetting import forget_signals

    signal_model = apps.get_model("signals", "Signal")
    mention_model = apps.get_model("entities", "Mention")
    entity_model = apps.get_model("entities", "Entity")
    anonymised = list(
        signal_model.objects.filter(anonymised_at__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(anonymised), BATCH):
        forget_signals(
            anonymised[start : start + BATCH],
            mention_model=mention_model,
            entity_model=entity_model,
        )
    entity_model.objects.filter(merged_into__isnull=True).exclude(caption="").exclude(
        Exists(mention_model.objects.filter(entity=OuterRef("pk")))
    ).update(caption="")


class Migration(migrations.Migration):
    dependencies = [
        ("entities", "0011_judgement_withdrawal_goes_with_it"),
        ("signals", "0007_equality_indexes_only"),
    ]
    operations = [migrations.RunPython(forget, migrations.RunPython.noop, elidable=True)]
