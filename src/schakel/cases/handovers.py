"""Handing a case over: the lead organisation (regie) or the region of a case goes to another
organisation by request, and the receiving organisation accepts or declines it, saying why.

The case stays the case: its id and reference, its people, its plans and their actions (tasks
of their owner organisations), its signals and its history are untouched; only its lead
organisation, region and — when the receiving side names one — care coordinator change. The
requests and their answers are the case's append-only record of handovers.

Who does what is the access matrix's (``cases.case`` action ``hand_over``, ``cases.handover``
actions ``respond`` and ``withdraw``): a coordinator of the current lead requests, a
coordinator of the receiving organisation answers, the requesting organisation may withdraw
while the request is open. One handover per case is open at a time (a database constraint).
Each step is audited and notifies both sides in-app and by e-mail (through the worker).
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from schakel.access import policy
from schakel.audit import services as audit
from schakel.cases.models import Case, Handover, HandoverAnswer
from schakel.cases.vocabulary import HandoverStatus
from schakel.constraints import violates_unique
from schakel.errors import Conflict, InvalidFields, NotAllowed
from schakel.notifications.services import notify
from schakel.partners.models import Organisation, Region, User
from schakel.partners.vocabulary import Role

__all__ = [
    "HANDING_OVER_ROLES",
    "accept",
    "coordinators_of",
    "decline",
    "handover_queryset",
    "handovers_of",
    "open_handover",
    "request_handover",
    "withdraw",
]

#: The coordinating roles that request and answer handovers (the matrix says so too).
HANDING_OVER_ROLES = (Role.COORDINATOR, Role.CARE_COORDINATOR)


def coordinators_of(organisation: Organisation) -> QuerySet[User]:
    return (
        User.objects.filter(
            organisation=organisation, is_active=True, role_set__role__in=HANDING_OVER_ROLES
        )
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


def handover_queryset() -> QuerySet[Handover]:
    """Handovers with what their pages and the API show of them."""
    return Handover.objects.select_related(
        "case",
        "from_organisation",
        "from_region",
        "to_organisation",
        "to_region",
        "requested_by",
        "answer__answered_by",
        "answer__care_coordinator",
    )


def handovers_of(case: Case) -> list[Handover]:
    """The case's handovers, oldest first, with their answers."""
    return list(handover_queryset().filter(case=case).order_by("requested_at", "pk"))


def open_handover(case: Case) -> Handover | None:
    return Handover.objects.filter(case=case, status=HandoverStatus.OPEN).first()


def _audit(request: Any, action: str, handover: Handover, actor: User, **details: Any) -> None:
    audit.record_change(
        request,
        action,
        "cases.handover",
        [handover.pk],
        actor=actor,
        purpose=handover.case.purpose,
        details={"case": handover.case_id, **details},
    )


def _notify_both_sides(handover: Handover, kind: str, title: str, body: str) -> None:
    """The requesting side (its coordinators, the requester and the case's care coordinator)
    and the receiving side (its coordinators) hear of each step."""
    case = handover.case
    users = [
        *coordinators_of(handover.from_organisation),
        *coordinators_of(handover.to_organisation),
        handover.requested_by,
    ]
    if case.care_coordinator is not None:
        users.append(case.care_coordinator)
    notify(
        users,
        kind=kind,
        title=title,
        body=body,
        link=reverse("case_handover", args=[handover.pk]),
        source_type="cases.handover",
        source_id=str(handover.pk),
    )


def _message(handover: Handover, step: str) -> tuple[str, str]:
    # Messages name the case and the organisations only: an e-mail leaves our hands.
    names = {
        "case": handover.case.reference,
        "from": handover.from_organisation.name,
        "to": handover.to_organisation.name,
        "region": handover.to_region.name,
    }
    with translation.override("nl"):
        if step == HandoverStatus.OPEN:
            return (
                _("Handover requested (case %(case)s)") % names,
                _(
                    "%(from)s asks %(to)s to take over the lead of case %(case)s (region "
                    "%(region)s). A coordinator of %(to)s accepts or declines it in Schakel."
                )
                % names,
            )
        if step == HandoverStatus.ACCEPTED:
            return (
                _("Handover accepted (case %(case)s)") % names,
                _("%(to)s accepted the lead of case %(case)s from %(from)s.") % names,
            )
        if step == HandoverStatus.DECLINED:
            return (
                _("Handover declined (case %(case)s)") % names,
                _(
                    "%(to)s declined the lead of case %(case)s; %(from)s keeps it. The reason "
                    "is in Schakel."
                )
                % names,
            )
        return (
            _("Handover withdrawn (case %(case)s)") % names,
            _("%(from)s withdrew its request to hand case %(case)s to %(to)s.") % names,
        )


def _check_request(
    case: Case, to_organisation: Organisation | None, to_region: Region | None, reason: str
) -> None:
    problems: dict[str, list[Any]] = {}
    if to_organisation is None or not to_organisation.is_active:
        problems.setdefault("to_organisation", []).append(_("Choose the receiving organisation."))
    elif not coordinators_of(to_organisation).exists():
        problems.setdefault("to_organisation", []).append(
            _("This organisation has no coordinator who could accept the case.")
        )
    if to_region is None:
        problems.setdefault("to_region", []).append(_("Choose the region."))
    if (
        to_organisation is not None
        and to_region is not None
        and to_organisation.pk == case.lead_organisation_id
        and to_region.pk == case.region_id
    ):
        problems.setdefault("to_organisation", []).append(
            _("Name another organisation or another region than the case has now.")
        )
    if not reason.strip():
        problems.setdefault("reason", []).append(_("Say why the case is handed over."))
    if problems:
        raise InvalidFields(problems)


def request_handover(
    case: Case,
    *,
    to_organisation: Organisation | None,
    to_region: Region | None = None,
    reason: str,
    actor: User,
    request: Any = None,
) -> Handover:
    """A coordinator of the lead organisation asks ``to_organisation`` to take over the lead
    of the case, in ``to_region`` (by default the receiving organisation's police region)."""
    if not policy.can(actor, "hand_over", case):
        raise NotAllowed(_("Only a coordinator of the lead organisation hands a case over."))
    if not case.is_open:
        raise Conflict(_("A closed case is not handed over."))
    if to_region is None and to_organisation is not None and to_organisation.region is not None:
        to_region = to_organisation.region.police_region() or to_organisation.region
    _check_request(case, to_organisation, to_region, reason)
    assert to_organisation is not None and to_region is not None
    try:
        with transaction.atomic():
            handover = Handover.objects.create(
                case=case,
                from_organisation=case.lead_organisation,
                from_region=case.region,
                to_organisation=to_organisation,
                to_region=to_region,
                reason=reason.strip(),
                requested_by=actor,
            )
            _audit(
                request,
                "request",
                handover,
                actor,
                to_organisation=to_organisation.pk,
                to_region=to_region.pk,
            )
            _notify_both_sides(
                handover, "handover_requested", *_message(handover, HandoverStatus.OPEN)
            )
    except IntegrityError as exc:
        if not violates_unique(exc, Handover, "handover_one_open_per_case"):
            raise
        raise Conflict(_("A handover of this case is already open.")) from None
    return handover


def _answer(
    handover: Handover,
    status: HandoverStatus,
    *,
    note: str,
    actor: User,
    request: Any,
    care_coordinator: User | None = None,
) -> Handover:
    locked = Handover.objects.select_for_update().select_related("case").get(pk=handover.pk)
    if locked.status != HandoverStatus.OPEN:
        raise Conflict(_("This handover was already answered or withdrawn."))
    HandoverAnswer.objects.create(
        handover=locked,
        status=status,
        note=note.strip(),
        care_coordinator=care_coordinator,
        answered_by=actor,
    )
    locked.status = status
    locked.save(update_fields=["status"])
    _audit(request, str(status), locked, actor, status=str(status))
    _notify_both_sides(locked, f"handover_{status}", *_message(locked, status))
    return locked


@transaction.atomic
def accept(
    handover: Handover,
    *,
    note: str = "",
    care_coordinator: User | None = None,
    actor: User,
    request: Any = None,
) -> Handover:
    """A coordinator of the receiving organisation accepts: from now on it leads the case, in
    the region asked for. The care coordinator becomes ``care_coordinator`` (one of its own
    coordinators) or, if none is named, the one accepting."""
    if not policy.can(actor, "respond", handover):
        raise NotAllowed(_("Only a coordinator of the receiving organisation answers."))
    coordinator = care_coordinator or actor
    if not coordinators_of(handover.to_organisation).filter(pk=coordinator.pk).exists():
        raise InvalidFields(
            {"care_coordinator": [_("Choose a coordinator of the receiving organisation.")]}
        )
    case = Case.objects.select_for_update().get(pk=handover.case_id)
    if case.lead_organisation_id != handover.from_organisation_id:
        # The lead changed another way since the request: it no longer stands.
        raise Conflict(_("The case has another lead organisation than when this was asked."))
    answered = _answer(
        handover,
        HandoverStatus.ACCEPTED,
        note=note,
        actor=actor,
        request=request,
        care_coordinator=coordinator,
    )
    case.lead_organisation = handover.to_organisation
    case.region = handover.to_region
    case.care_coordinator = coordinator
    case.save(update_fields=["lead_organisation", "region", "care_coordinator"])
    audit.record_change(
        request,
        "hand_over",
        "cases.case",
        [case.pk],
        actor=actor,
        purpose=case.purpose,
        details={
            "handover": handover.pk,
            "from_organisation": handover.from_organisation_id,
            "to_organisation": handover.to_organisation_id,
            "to_region": handover.to_region_id,
        },
    )
    return answered


@transaction.atomic
def decline(handover: Handover, *, note: str, actor: User, request: Any = None) -> Handover:
    """A coordinator of the receiving organisation declines, saying why; the lead stays."""
    if not policy.can(actor, "respond", handover):
        raise NotAllowed(_("Only a coordinator of the receiving organisation answers."))
    if not note.strip():
        raise InvalidFields({"note": [_("Say why the handover is declined.")]})
    return _answer(handover, HandoverStatus.DECLINED, note=note, actor=actor, request=request)


@transaction.atomic
def withdraw(handover: Handover, *, note: str = "", actor: User, request: Any = None) -> Handover:
    """The requesting organisation takes its request back while it is open."""
    if not policy.can(actor, "withdraw", handover):
        raise NotAllowed(_("Only the requesting organisation withdraws a handover."))
    return _answer(handover, HandoverStatus.WITHDRAWN, note=note, actor=actor, request=request)
