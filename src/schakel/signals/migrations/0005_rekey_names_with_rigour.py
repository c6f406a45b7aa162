"""Name and address keys made again after names are transliterated by rigour instead of a
table of our own (the entities issue). Uses the normaliser as it is when the migration runs:
keys must equal what intake computes now, or exact bundling would miss old signals."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def rekey(apps: Any, schema_editor: Any) -> None:
    from schakel.normalise import NormalisationError, address_key, company_key, name_key

    person = apps.get_model("signals", "PersonMention")
    changed = []
    for mention in person.objects.only("pk", "given_names", "family_name", "name_key"):
        full = " ".join(p for p in (mention.given_names, mention.family_name) if p.strip())
        key = name_key(full) if full else ""
        if key != mention.name_key:
            mention.name_key = key
            changed.append(mention)
    person.objects.bulk_update(changed, ["name_key"], batch_size=500)

    company = apps.get_model("signals", "CompanyMention")
    changed = []
    for mention in company.objects.only("pk", "name", "name_key"):
        key = company_key(mention.name) if mention.name.strip() else ""
        if key != mention.name_key:
            mention.name_key = key
            changed.append(mention)
    company.objects.bulk_update(changed, ["name_key"], batch_size=500)

    address = apps.get_model("signals", "AddressMention")
    changed = []
    for mention in address.objects.all():
        try:
            key = address_key(
                street=mention.street,
                house_number=mention.house_number,
                postcode=mention.postcode,
                city=mention.city,
                country=mention.country or "NL",
            )
        except NormalisationError:
            key = None
        if (key or "") != mention.address_key:
            mention.address_key = key or ""
            changed.append(mention)
    address.objects.bulk_update(changed, ["address_key"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("signals", "0004_sharingdefaults")]
    operations = [migrations.RunPython(rekey, migrations.RunPython.noop, elidable=True)]
