"""How signals stand under the access policy, and which of their fields are care, justice or
general details (the matrix grants a level per category)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.db.models import Q, QuerySet

from schakel.access import policy
from schakel.access.matrix import Level, current
from schakel.access.policy import Relation, Viewer
from schakel.signals.models import SharingDefaults, Signal

NOTHING = Q(pk__in=[])

#: Person roles whose details are justice details (suspects and the people around them) or
#: care details (possible victims). Every other person, and identifiers, addresses and the
#: description, are general details.
JUSTICE_ROLES = frozenset({"suspect", "recruiter", "facilitator", "employer", "landlord"})
CARE_ROLES = frozenset({"possible_victim"})


def category_of_role(role: str) -> str:
    if role in CARE_ROLES:
        return "care"
    if role in JUSTICE_ROLES:
        return "justice"
    return "general"


def seeing_general_details_in_full(user: Any, queryset: QuerySet[Signal]) -> QuerySet[Signal]:
    """The signals of ``queryset`` whose general details (the description, companies,
    addresses) ``user`` sees in full, not redacted: for a search in what they hold.

    The policy's own list filter, asked of only the matrix's rules that grant the general
    details in full. A viewer gets the highest level any of their matching rules grants, so a
    signal passes exactly when ``policy.decide(user, "view", signal).is_full("general")``:
    the same rules, not a second reading of them.
    """
    matrix = current()
    granting = tuple(rule for rule in matrix.rules if rule.levels.get("general") is Level.FULL)
    return policy.visible(user, queryset, matrix=replace(matrix, rules=granting))


def _ids(manager: Any) -> set[int]:
    # Uses a prefetch when the caller made one; otherwise one small query.
    return {obj.pk for obj in manager.all()}


def _owner_holds(viewer: Viewer, signal: Any) -> bool:
    return (
        viewer.organisation_id is not None
        and signal.owner_organisation_id == viewer.organisation_id
    )


def _owner_condition(viewer: Viewer) -> Q:
    return Q(owner_organisation_id=viewer.organisation_id) if viewer.organisation_id else NOTHING


def _submitter_holds(viewer: Viewer, signal: Any) -> bool:
    return viewer.user_id is not None and signal.submitted_by_id == viewer.user_id


def _submitter_condition(viewer: Viewer) -> Q:
    return Q(submitted_by_id=viewer.user_id) if viewer.user_id is not None else NOTHING


def _group_holds(viewer: Viewer, signal: Any) -> bool:
    return bool(viewer.group_ids & _ids(signal.sharing_groups))


def _group_condition(viewer: Viewer) -> Q:
    return Q(sharing_groups__in=sorted(viewer.group_ids)) if viewer.group_ids else NOTHING


def _recipient_holds(viewer: Viewer, signal: Any) -> bool:
    return viewer.organisation_id is not None and viewer.organisation_id in _ids(signal.recipients)


def _recipient_condition(viewer: Viewer) -> Q:
    return Q(recipients=viewer.organisation_id) if viewer.organisation_id else NOTHING


def _own_defaults_holds(viewer: Viewer, defaults: Any) -> bool:
    return viewer.organisation_id is not None and defaults.organisation_id == viewer.organisation_id


def _own_defaults_condition(viewer: Viewer) -> Q:
    return Q(organisation_id=viewer.organisation_id) if viewer.organisation_id else NOTHING


def register_resources() -> None:
    policy.register(
        SharingDefaults,
        relations={"own_organisation": Relation(_own_defaults_holds, _own_defaults_condition)},
    )
    policy.register(
        Signal,
        relations={
            "owner": Relation(_owner_holds, _owner_condition),
            "submitter": Relation(_submitter_holds, _submitter_condition),
            "group_member": Relation(_group_holds, _group_condition),
            "named_recipient": Relation(_recipient_holds, _recipient_condition),
        },
        label_field="tlp",
        purpose_field="purpose",
    )
