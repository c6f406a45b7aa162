"""Changing a signal after intake, narrowly: its owner organisation may correct the
description, the indicators and forms of exploitation, and how it is shared (label, purpose,
sharing groups, named recipients).

The whole signal, with the change, passes the intake validation again, so an update cannot
make what intake would refuse (TLP:CLEAR with personal data, groups the owner is not in).
The change is audited with the names of the fields, never their values. Triage is *not*
run again: the stored results stay what they were, and ``services.retriage_signal`` is the
explicit, audited way to triage the changed signal with the current model.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from schakel.access import policy
from schakel.audit import services as audit
from schakel.errors import Conflict, InvalidFields, NotAllowed
from schakel.partners.models import User
from schakel.signals.intake import (
    AddressInput,
    CompanyInput,
    PersonInput,
    SignalInput,
    validate_signal,
)
from schakel.signals.models import IdentifierKind, Signal, SignalIndicator

#: The fields of SignalInput an update may change.
CHANGEABLE_FIELDS = frozenset(
    {
        "description",
        "indicator_ids",
        "forms_of_exploitation",
        "tlp",
        "purpose",
        "sharing_group_ids",
        "recipient_ids",
    }
)


def input_of(signal: Signal) -> SignalInput:
    """The signal as intake received it, rebuilt from what was stored."""
    person_identifiers: dict[int, list[Any]] = {}
    loose: dict[str, list[str]] = {kind: [] for kind in IdentifierKind.values}
    for identifier in signal.identifiers.all():
        if identifier.person_id is not None:
            person_identifiers.setdefault(identifier.person_id, []).append(identifier)
        elif identifier.company_id is None:
            loose[identifier.kind].append(identifier.value)
    persons = []
    for person in signal.persons.all():
        mine = person_identifiers.get(person.pk, [])
        persons.append(
            PersonInput(
                role=person.role,
                given_names=person.given_names,
                family_name=person.family_name,
                alias=person.alias,
                date_of_birth=person.date_of_birth,
                age_band=person.age_band,
                gender=person.gender,
                nationality=person.nationality,
                migration_status=person.migration_status,
                languages=list(person.languages),
                identity_numbers=[
                    (i.subkind, i.value) for i in mine if i.kind == IdentifierKind.IDENTITY
                ],
                phones=[i.value for i in mine if i.kind == IdentifierKind.PHONE],
                emails=[i.value for i in mine if i.kind == IdentifierKind.EMAIL],
            )
        )
    return SignalInput(
        description=signal.description,
        observed_on=signal.observed_on,
        municipality=signal.municipality.code if signal.municipality else "",
        forms_of_exploitation=list(signal.forms_of_exploitation),
        indicator_ids=sorted(signal.indicator_set.values_list("indicator_id", flat=True)),
        tags=list(signal.tags),
        tlp=signal.tlp,
        purpose=signal.purpose,
        legal_basis=signal.legal_basis,
        sharing_group_ids=sorted(signal.sharing_groups.values_list("pk", flat=True)),
        recipient_ids=sorted(signal.recipients.values_list("pk", flat=True)),
        source_reliability=signal.source_reliability,
        information_reliability=signal.information_reliability,
        identity_withheld=signal.identity_withheld,
        reporter_withheld=signal.reporter_withheld,
        persons=persons,
        companies=[
            CompanyInput(name=c.name, registration_number=c.registration_number, role=c.role)
            for c in signal.companies.all()
        ],
        addresses=[
            AddressInput(
                street=a.street,
                house_number=a.house_number,
                postcode=a.postcode,
                city=a.city,
                country=a.country,
                is_place_of_observation=a.is_place_of_observation,
            )
            for a in signal.addresses.all()
        ],
        phones=loose[IdentifierKind.PHONE],
        emails=loose[IdentifierKind.EMAIL],
        ibans=loose[IdentifierKind.IBAN],
        plates=loose[IdentifierKind.PLATE],
        websites=loose[IdentifierKind.WEBSITE],
    )


def _comparable(field: str, value: Any) -> Any:
    # Lists whose order means nothing compare as sets; text as it will be stored.
    if field in {"indicator_ids", "forms_of_exploitation", "sharing_group_ids", "recipient_ids"}:
        return frozenset(value)
    if field == "description":
        return str(value).strip()
    return value


@transaction.atomic
def update_signal(
    signal: Signal, changes: dict[str, Any], *, actor: User, request: Any = None
) -> list[str]:
    """Apply ``changes`` (SignalInput field → new value) and return the names of the fields
    that changed. Raises NotAllowed without the right to change the signal, InvalidFields
    naming every problem, Conflict for an anonymised signal."""
    locked = (
        Signal.objects.select_for_update(of=("self",))
        .select_related("owner_organisation", "municipality")
        .get(pk=signal.pk)
    )
    if not policy.can(actor, "change", locked):
        raise NotAllowed()
    if locked.anonymised_at is not None:
        raise Conflict(_("This signal was anonymised; it can no longer be changed."))
    fixed = sorted(set(changes) - CHANGEABLE_FIELDS)
    if fixed:
        raise InvalidFields({name: [_("This field cannot be changed.")] for name in fixed})

    current = input_of(locked)
    changed = sorted(
        field
        for field, value in changes.items()
        if _comparable(field, value) != _comparable(field, getattr(current, field))
    )
    if not changed:
        return []
    proposed = dataclasses.replace(current, **{field: changes[field] for field in changed})
    clean = validate_signal(
        proposed, owner=locked.owner_organisation, channel=locked.channel, stored=True
    )

    locked.description = proposed.description.strip()
    locked.forms_of_exploitation = sorted(set(proposed.forms_of_exploitation))
    locked.tlp = proposed.tlp
    locked.purpose = proposed.purpose
    locked.save(update_fields=["description", "forms_of_exploitation", "tlp", "purpose"])
    if "sharing_group_ids" in changed:
        locked.sharing_groups.set(clean.groups)
    if "recipient_ids" in changed:
        locked.recipients.set(clean.recipients)
    if "indicator_ids" in changed:
        wanted = set(proposed.indicator_ids)
        locked.indicator_set.exclude(indicator_id__in=wanted).delete()
        present = set(locked.indicator_set.values_list("indicator_id", flat=True))
        SignalIndicator.objects.bulk_create(
            [SignalIndicator(signal=locked, indicator_id=i) for i in sorted(wanted - present)]
        )
    audit.record_change(
        request,
        "update",
        "signals.signal",
        [locked.pk],
        actor=actor,
        purpose=locked.purpose,
        details={"fields": changed},
    )
    return changed
