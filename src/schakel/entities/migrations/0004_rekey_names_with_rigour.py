"""Blocking keys of names and addresses made again from their signals' keys, after names are
transliterated by rigour (see signals 0005)."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def rekey(apps: Any, schema_editor: Any) -> None:
    from schakel.normalise import company_key, name_key

    key_model = apps.get_model("entities", "BlockingKey")
    address_mention = apps.get_model("signals", "AddressMention")
    address_keys = dict(address_mention.objects.values_list("pk", "address_key"))
    changed = []
    rows = key_model.objects.filter(kind__in=["name", "name_born", "company", "address"])
    for key in rows.select_related("mention"):
        original = key.mention.original
        if key.kind in ("name", "name_born"):
            full = " ".join(
                p
                for p in (original.get("given_names", ""), original.get("family_name", ""))
                if p.strip()
            )
            value = name_key(full) if full else ""
            if key.kind == "name_born":
                born = original.get("date_of_birth", "")
                value = f"{value}|{born[:4]}" if value and born else ""
        elif key.kind == "company":
            value = company_key(original.get("name", ""))
        else:
            value = address_keys.get(key.mention.source_id, "") or ""
        if value and value[:300] != key.value:
            key.value = value[:300]
            changed.append(key)
    key_model.objects.bulk_update(changed, ["value"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("entities", "0003_suggestion_links"),
        ("signals", "0005_rekey_names_with_rigour"),
    ]
    operations = [migrations.RunPython(rekey, migrations.RunPython.noop, elidable=True)]
