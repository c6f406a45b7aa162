"""Blocking keys by one name with the date of birth (``family_dob``, ``given_dob``) for the
person mentions made before matching after intake looked them up: a dated person whose other
name has a typing error is then found among the mentions already known, not only by the next
batch run."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import migrations

KINDS = ("family_dob", "given_dob")
BATCH = 5000


def add_keys(apps: Any, schema_editor: Any) -> None:
    from schakel.entities.projection import name_part_keys

    mention_model = apps.get_model("entities", "Mention")
    key_model = apps.get_model("entities", "BlockingKey")
    rows = (
        mention_model.objects.filter(schema="Person")
        .order_by("pk")
        .values_list("pk", "original")
        .iterator(chunk_size=BATCH)
    )
    keys = []
    for mention_id, original in rows:
        try:
            born = date.fromisoformat(str(original.get("date_of_birth") or ""))
        except ValueError:
            continue
        keys += [
            key_model(mention_id=mention_id, kind=kind, value=value[:300])
            for kind, value in name_part_keys(
                original.get("given_names") or "", original.get("family_name") or "", born
            )
        ]
        if len(keys) >= BATCH:
            key_model.objects.bulk_create(keys)
            keys = []
    key_model.objects.bulk_create(keys)


def remove_keys(apps: Any, schema_editor: Any) -> None:
    apps.get_model("entities", "BlockingKey").objects.filter(kind__in=KINDS).delete()


class Migration(migrations.Migration):
    dependencies = [("entities", "0009_judgement_suggestion_without_constraint")]
    operations = [migrations.RunPython(add_keys, remove_keys, elidable=True)]
