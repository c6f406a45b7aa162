"""How the partners context's records stand under the access policy."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from schakel.access import policy
from schakel.access.policy import Relation, Viewer
from schakel.partners.models import (
    Organisation,
    RegionContact,
    SharingGroup,
    SharingGroupMembership,
    User,
)
from schakel.partners.vocabulary import Role, Sector

NOTHING = Q(pk__in=[])


def viewer_from_user(user: Any) -> Viewer:
    organisation = user.organisation
    group_ids: frozenset[int] = frozenset()
    if organisation is not None:
        group_ids = frozenset(
            SharingGroupMembership.objects.filter(organisation=organisation).values_list(
                "group_id", flat=True
            )
        )
    # A deactivated organisation's users keep their account but see nothing of the chain.
    active_org = organisation is not None and organisation.is_active
    return Viewer(
        user_id=user.pk,
        organisation_id=organisation.pk if active_org else None,
        sector=organisation.sector if active_org else None,
        roles=frozenset(user.roles) if active_org else frozenset(),
        group_ids=group_ids if active_org else frozenset(),
        is_superuser=bool(user.is_superuser),
    )


def _member_holds(viewer: Viewer, group: Any) -> bool:
    return bool(group.pk in viewer.group_ids)


def _member_condition(viewer: Viewer) -> Q:
    return Q(pk__in=sorted(viewer.group_ids))


def _colleague_holds(viewer: Viewer, user: Any) -> bool:
    return viewer.organisation_id is not None and user.organisation_id == viewer.organisation_id


def _colleague_condition(viewer: Viewer) -> Q:
    if viewer.organisation_id is None:
        return NOTHING
    return Q(organisation_id=viewer.organisation_id)


def _self_holds(viewer: Viewer, user: Any) -> bool:
    return viewer.user_id is not None and user.pk == viewer.user_id


def _self_condition(viewer: Viewer) -> Q:
    return Q(pk=viewer.user_id) if viewer.user_id is not None else NOTHING


def register_resources() -> None:
    policy.register_viewer_resolver(viewer_from_user, sectors=Sector.values, roles=Role.values)
    policy.register(Organisation, relations={})
    policy.register(RegionContact, relations={})
    policy.register(
        SharingGroup,
        relations={
            "member": Relation(_member_holds, _member_condition),
        },
    )
    policy.register(
        User,
        relations={
            "colleague": Relation(_colleague_holds, _colleague_condition),
            "self": Relation(_self_holds, _self_condition),
        },
    )
