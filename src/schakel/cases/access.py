"""How cases stand under the access policy, and which of their details are care, justice or
general details.

Relations of a viewer to a case: the lead organisation (regie), the case's care coordinator,
a member of a sharing group the case goes to, and a *contributor* (an organisation whose
signal the case holds). The matrix (``schakel/access/matrix.yaml``, ``cases.case``) says what
each gets, by sector, role, the case's TLP label and its purpose. A person's details are
care, justice or general details by their role, as in a signal.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from schakel.access import policy
from schakel.access.policy import Relation, Viewer
from schakel.cases.models import Case
from schakel.signals.access import category_of_role

NOTHING = Q(pk__in=[])

__all__ = ["category_of_role", "register_resources"]


def _lead_holds(viewer: Viewer, case: Any) -> bool:
    return (
        viewer.organisation_id is not None and case.lead_organisation_id == viewer.organisation_id
    )


def _lead_condition(viewer: Viewer) -> Q:
    return Q(lead_organisation_id=viewer.organisation_id) if viewer.organisation_id else NOTHING


def _coordinator_holds(viewer: Viewer, case: Any) -> bool:
    return viewer.user_id is not None and case.care_coordinator_id == viewer.user_id


def _coordinator_condition(viewer: Viewer) -> Q:
    return Q(care_coordinator_id=viewer.user_id) if viewer.user_id is not None else NOTHING


def _group_holds(viewer: Viewer, case: Any) -> bool:
    # A case not yet saved (the "may I open this?" check) has no groups.
    if case.pk is None or not viewer.group_ids:
        return False
    # Uses a prefetch when the caller made one; otherwise one small query.
    return bool(viewer.group_ids & {group.pk for group in case.sharing_groups.all()})


def _group_condition(viewer: Viewer) -> Q:
    return Q(sharing_groups__in=sorted(viewer.group_ids)) if viewer.group_ids else NOTHING


def _contributor_holds(viewer: Viewer, case: Any) -> bool:
    if case.pk is None or viewer.organisation_id is None:
        return False
    return bool(
        case.signal_links.filter(signal__owner_organisation_id=viewer.organisation_id).exists()
    )


def _contributor_condition(viewer: Viewer) -> Q:
    if viewer.organisation_id is None:
        return NOTHING
    return Q(signal_links__signal__owner_organisation_id=viewer.organisation_id)


def register_resources() -> None:
    policy.register(
        Case,
        relations={
            "lead_organisation": Relation(_lead_holds, _lead_condition),
            "care_coordinator": Relation(_coordinator_holds, _coordinator_condition),
            "group_member": Relation(_group_holds, _group_condition),
            "contributor": Relation(_contributor_holds, _contributor_condition),
        },
        label_field="tlp",
        purpose_field="purpose",
    )
