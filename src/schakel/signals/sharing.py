"""Who will see what of a signal: shown to the submitter before saving, computed from the
same access matrix that decides it afterwards."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from schakel.access.matrix import Level
from schakel.access.policy import levels_for_relation
from schakel.partners.models import Organisation, SharingGroup
from schakel.partners.vocabulary import Role
from schakel.signals.models import Signal, Tlp

#: The roles a partner's staff typically have at the table; the preview shows the most any
#: of them gets, per organisation.
TABLE_ROLES = frozenset({Role.PROFESSIONAL, Role.ANALYST, Role.COORDINATOR, Role.CARE_COORDINATOR})


@dataclass(frozen=True)
class Audience:
    organisation: Organisation
    via: str  # the group's name, "named recipient" or "owner"
    levels: dict[str, Level]

    @property
    def sees_anything(self) -> bool:
        return any(level is not Level.NONE for level in self.levels.values())


def who_will_see(
    owner: Organisation,
    *,
    tlp: str,
    purpose: str,
    groups: Iterable[SharingGroup],
    recipients: Iterable[Organisation] = (),
) -> list[Audience]:
    """Every organisation that would see the signal, with its level per field category."""
    audiences: dict[int, Audience] = {}
    if tlp == Tlp.RED:
        for organisation in recipients:
            levels = levels_for_relation(
                Signal,
                "named_recipient",
                sector=organisation.sector,
                roles=TABLE_ROLES,
                label=tlp,
                purpose=purpose,
            )
            audiences[organisation.pk] = Audience(organisation, "named recipient", levels)
    else:
        for group in groups:
            for organisation in group.members.all():
                if organisation.pk == owner.pk or organisation.pk in audiences:
                    continue
                levels = levels_for_relation(
                    Signal,
                    "group_member",
                    sector=organisation.sector,
                    roles=TABLE_ROLES,
                    label=tlp,
                    purpose=purpose,
                )
                audiences[organisation.pk] = Audience(organisation, group.name, levels)
    return sorted(
        (a for a in audiences.values() if a.sees_anything), key=lambda a: a.organisation.name
    )


@dataclass(frozen=True)
class Defaults:
    tlp: str
    purpose: str
    groups: list[SharingGroup]


def defaults_for(organisation: Organisation) -> Defaults:
    """The organisation's sharing defaults; without any set: TLP:AMBER, for the signal
    table's assessment, to every group the organisation belongs to."""
    from schakel.signals.models import SharingDefaults

    member_of = SharingGroup.objects.filter(members=organisation).order_by("name")
    stored = SharingDefaults.objects.filter(organisation=organisation).first()
    if stored is None:
        return Defaults(Tlp.AMBER, "signal_table_assessment", list(member_of))
    # A group the organisation has left since is not a default any more.
    return Defaults(
        stored.tlp,
        stored.purpose,
        list(stored.sharing_groups.filter(pk__in=member_of.values("pk"))),
    )
