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
from schakel.cases.models import (
    Case,
    CaseMessage,
    Consent,
    Handover,
    Plan,
    PlanRequest,
    TransferHold,
)
from schakel.signals.access import category_of_role

NOTHING = Q(pk__in=[])

__all__ = ["category_of_role", "register_resources"]

# A plan stands to a viewer as its case does (lead organisation, care coordinator, group
# member, contributor), and in one relation of its own: an organisation that owns one of its
# actions (``action_owner``). Its label and purpose are its case's. Which of its fields are
# care, justice or general details: ``schakel.cases.rules`` (per domain) and the matrix's
# note on ``cases.plan``.


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


def _through_case(relation: Relation) -> Relation:
    """The case's relation, asked of a plan: the plan's case holds it."""

    def holds(viewer: Viewer, plan: Any) -> bool:
        return relation.holds(viewer, plan.case)

    def condition(viewer: Viewer) -> Q:
        inner = relation.condition(viewer)
        return Q(case__in=Case.objects.filter(inner)) if inner != NOTHING else NOTHING

    return Relation(holds, condition)


def _action_owner_holds(viewer: Viewer, plan: Any) -> bool:
    if plan.pk is None or viewer.organisation_id is None:
        return False
    return bool(plan.actions.filter(task__owner_organisation_id=viewer.organisation_id).exists())


def _action_owner_condition(viewer: Viewer) -> Q:
    if viewer.organisation_id is None:
        return NOTHING
    return Q(actions__task__owner_organisation_id=viewer.organisation_id)


def _recipient_holds(viewer: Viewer, request: Any) -> bool:
    return viewer.organisation_id is not None and request.recipient_id == viewer.organisation_id


def _recipient_condition(viewer: Viewer) -> Q:
    return Q(recipient_id=viewer.organisation_id) if viewer.organisation_id else NOTHING


def _case_lead_holds(viewer: Viewer, request: Any) -> bool:
    return _lead_holds(viewer, request.plan.case)


def _case_lead_condition(viewer: Viewer) -> Q:
    if viewer.organisation_id is None:
        return NOTHING
    return Q(plan__case__lead_organisation_id=viewer.organisation_id)


def _case_coordinator_holds(viewer: Viewer, request: Any) -> bool:
    return _coordinator_holds(viewer, request.plan.case)


def _case_coordinator_condition(viewer: Viewer) -> Q:
    return Q(plan__case__care_coordinator_id=viewer.user_id) if viewer.user_id else NOTHING


def _receiving_holds(viewer: Viewer, handover: Any) -> bool:
    return (
        viewer.organisation_id is not None and handover.to_organisation_id == viewer.organisation_id
    )


def _receiving_condition(viewer: Viewer) -> Q:
    return Q(to_organisation_id=viewer.organisation_id) if viewer.organisation_id else NOTHING


def _requesting_holds(viewer: Viewer, handover: Any) -> bool:
    return (
        viewer.organisation_id is not None
        and handover.from_organisation_id == viewer.organisation_id
    )


def _requesting_condition(viewer: Viewer) -> Q:
    return Q(from_organisation_id=viewer.organisation_id) if viewer.organisation_id else NOTHING


def _handover_lead_holds(viewer: Viewer, handover: Any) -> bool:
    return _lead_holds(viewer, handover.case)


def _handover_lead_condition(viewer: Viewer) -> Q:
    if viewer.organisation_id is None:
        return NOTHING
    return Q(case__lead_organisation_id=viewer.organisation_id)


def _handover_coordinator_holds(viewer: Viewer, handover: Any) -> bool:
    return _coordinator_holds(viewer, handover.case)


def _handover_coordinator_condition(viewer: Viewer) -> Q:
    return Q(case__care_coordinator_id=viewer.user_id) if viewer.user_id else NOTHING


def _liaison_holds(viewer: Viewer, hold: Any) -> bool:
    return (
        viewer.organisation_id is not None
        and hold.liaison_organisation_id == viewer.organisation_id
    )


def _liaison_condition(viewer: Viewer) -> Q:
    if viewer.organisation_id is None:
        return NOTHING
    return Q(liaison_organisation_id=viewer.organisation_id)


def _sender_holds(viewer: Viewer, message: Any) -> bool:
    return (
        viewer.organisation_id is not None
        and message.sender_organisation_id == viewer.organisation_id
    )


def _sender_condition(viewer: Viewer) -> Q:
    return Q(sender_organisation_id=viewer.organisation_id) if viewer.organisation_id else NOTHING


def _message_recipient_holds(viewer: Viewer, message: Any) -> bool:
    # A message not yet sent (the "may I send this?" check) has no recipients.
    if message.pk is None or viewer.organisation_id is None:
        return False
    return any(org.pk == viewer.organisation_id for org in message.recipients.all())


def _message_recipient_condition(viewer: Viewer) -> Q:
    return Q(recipients=viewer.organisation_id) if viewer.organisation_id else NOTHING


def _care_party_holds(viewer: Viewer, message: Any) -> bool:
    coordinator = message.case.care_coordinator
    return (
        viewer.organisation_id is not None
        and coordinator is not None
        and coordinator.organisation_id == viewer.organisation_id
    )


def _care_party_condition(viewer: Viewer) -> Q:
    if viewer.organisation_id is None:
        return NOTHING
    return Q(case__care_coordinator__organisation_id=viewer.organisation_id)


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
    case_relations = {
        "lead_organisation": Relation(_lead_holds, _lead_condition),
        "care_coordinator": Relation(_coordinator_holds, _coordinator_condition),
        "group_member": Relation(_group_holds, _group_condition),
        "contributor": Relation(_contributor_holds, _contributor_condition),
    }
    policy.register(
        Plan,
        relations={
            **{name: _through_case(relation) for name, relation in case_relations.items()},
            "action_owner": Relation(_action_owner_holds, _action_owner_condition),
        },
        label_field="case__tlp",
        purpose_field="case__purpose",
    )
    # A request is directed: its recipient sees it whatever the case's label (it was sent to
    # them), and the case team that sent it; everyone else sees it on the plan, as far as the
    # plan's rules allow.
    policy.register(
        PlanRequest,
        relations={
            "recipient": Relation(_recipient_holds, _recipient_condition),
            "case_lead": Relation(_case_lead_holds, _case_lead_condition),
            "case_coordinator": Relation(_case_coordinator_holds, _case_coordinator_condition),
        },
    )
    # A handover is directed too: the receiving organisation sees it (it is asked to take the
    # case over) whatever the case's label, the requesting organisation keeps seeing what it
    # asked, and the case's lead and care coordinator see every handover of the case.
    policy.register(
        Handover,
        relations={
            "receiving_organisation": Relation(_receiving_holds, _receiving_condition),
            "requesting_organisation": Relation(_requesting_holds, _requesting_condition),
            "case_lead": Relation(_handover_lead_holds, _handover_lead_condition),
            "case_coordinator": Relation(
                _handover_coordinator_holds, _handover_coordinator_condition
            ),
        },
    )
    # A Dublin transfer hold: the case team and the liaison organisation (it was given the
    # task) see it in full and decide on lifting it; the partners at the case's table see that
    # a hold is in place (general details), not whom it is about.
    policy.register(
        TransferHold,
        relations={
            "case_lead": _through_case(case_relations["lead_organisation"]),
            "case_coordinator": _through_case(case_relations["care_coordinator"]),
            "group_member": _through_case(case_relations["group_member"]),
            "liaison_organisation": Relation(_liaison_holds, _liaison_condition),
        },
        label_field="case__tlp",
        purpose_field="case__purpose",
    )
    # The secured line: a message is seen by the organisation that sent it, the organisations
    # it was sent to and the case's care coordinator (the care side of the line, also after a
    # handover) - nobody else, whatever the case's label; the partners at the case's table
    # included. The care coordinator's organisation (``care_party``) and the justice partners
    # (``sender_organisation``, by sector) send; the services ask first that the sender may see
    # the case (or, for a reply, the message answered).
    policy.register(
        CaseMessage,
        relations={
            "sender_organisation": Relation(_sender_holds, _sender_condition),
            "recipient": Relation(_message_recipient_holds, _message_recipient_condition),
            "care_coordinator": _through_case(case_relations["care_coordinator"]),
            "care_party": Relation(_care_party_holds, _care_party_condition),
        },
    )
    # A person's consent: the case's lead organisation and care coordinator see and record
    # it; a recipient sees on a message only that it was shared under a consent, and whether
    # that consent was withdrawn.
    policy.register(
        Consent,
        relations={
            "case_lead": _through_case(case_relations["lead_organisation"]),
            "case_coordinator": _through_case(case_relations["care_coordinator"]),
        },
    )
