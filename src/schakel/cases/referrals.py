"""Structured requests from a plan to the partners that act on them: a shelter placement,
and the registration of a (possible) victim with CoMensha, the national coordination centre,
made on behalf of a partner obliged to report.

Their content is generated from what the case already holds (the person as the signals
describe them, their statuses, the reflection period, the plan's shelter objectives, the
case's lead and coordinator): nobody types it twice. It is kept with the request, so the
recipient sees what was sent, and it is a care detail of the plan.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from schakel.access import policy
from schakel.audit import services as audit
from schakel.cases.following import mentions_of
from schakel.cases.models import Plan, PlanRequest
from schakel.cases.plans import is_minor
from schakel.cases.reflection import current_offer
from schakel.cases.vocabulary import (
    HTCDS_TRAFFICKING_STATUS,
    RequestKind,
    RequestStatus,
    TraffickingStatus,
)
from schakel.constraints import violates_unique
from schakel.entities.models import Mention
from schakel.errors import Conflict, InvalidFields, NotAllowed
from schakel.partners.models import Organisation, User
from schakel.partners.vocabulary import Function, Sector
from schakel.signals.models import PersonMention, Signal

__all__ = [
    "comensha",
    "register_with_comensha",
    "request_content",
    "request_shelter_placement",
    "respond",
    "withdraw",
]


def _first(values: list[Any]) -> Any:
    return next((v for v in values if v), "")


def request_content(plan: Plan, kind: str) -> dict[str, Any]:
    """What a request of ``kind`` says, from the case's own records."""
    person = plan.person
    case = plan.case
    mentions = list(
        PersonMention.objects.filter(
            pk__in=mentions_of(person).filter(source=Mention.Source.PERSON).values("source_id")
        ).order_by("-pk")
    )
    trafficking = person.trafficking_statuses.order_by("-recorded_at", "-pk").first()
    migration = person.migration_statuses.order_by("-recorded_at", "-pk").first()
    offer = current_offer(person)
    signals = Signal.objects.filter(case_links__case=case)
    forms = sorted({f for s in signals for f in (s.forms_of_exploitation or [])})
    coordinator = case.care_coordinator
    born = _first([m.date_of_birth for m in mentions])
    content: dict[str, Any] = {
        "case": case.reference,
        "plan": plan.reference,
        "person": {
            "name": str(person.entity),
            "date_of_birth": born.isoformat() if born else "",
            "age_band": _first([m.age_band for m in mentions]),
            "gender": _first([m.gender for m in mentions]),
            "nationality": _first([m.nationality for m in mentions]),
            "languages": sorted({lang for m in mentions for lang in (m.languages or [])}),
            "minor": is_minor(person),
        },
        "trafficking_status": (
            {
                "status": trafficking.status,
                "htcds": HTCDS_TRAFFICKING_STATUS[TraffickingStatus(trafficking.status)],
                "decided_by": trafficking.deciding_organisation.name,
                "decided_on": trafficking.decided_on.isoformat(),
            }
            if trafficking
            else None
        ),
        "migration_status": migration.status if migration else "",
        "reflection_period": (
            {"offered_on": offer.offered_on.isoformat(), "ends_on": offer.ends_on.isoformat()}
            if offer
            else None
        ),
        "forms_of_exploitation": forms,
        "lead_organisation": case.lead_organisation.name,
        "care_coordinator": (
            {"name": str(coordinator), "email": coordinator.email} if coordinator else None
        ),
    }
    if kind == RequestKind.SHELTER_PLACEMENT:
        content["shelter_objectives"] = list(
            plan.objectives.filter(domain="shelter").values_list("text", flat=True)
        )
        content["safety_needed"] = plan.actions.filter(domain="safety").exists()
    return content


def comensha() -> Organisation | None:
    """The national coordination centre (CoMensha) as the chain's directory names it."""
    return (
        Organisation.objects.filter(
            is_active=True, function_set__function=Function.NATIONAL_COORDINATION_CENTRE
        )
        .order_by("pk")
        .first()
    )


def _audit(request: Any, action: str, record: PlanRequest, actor: User, **details: Any) -> None:
    audit.record_change(
        request,
        action,
        "cases.planrequest",
        [record.pk],
        actor=actor,
        purpose=record.plan.case.purpose,
        details={"plan": record.plan_id, "kind": record.kind, **details},
    )


def _create(
    plan: Plan,
    kind: str,
    recipient: Organisation,
    actor: User,
    request: Any,
    reporting_organisation: Organisation | None = None,
) -> PlanRequest:
    try:
        with transaction.atomic():
            record = PlanRequest.objects.create(
                plan=plan,
                kind=kind,
                recipient=recipient,
                reporting_organisation=reporting_organisation,
                content=request_content(plan, kind),
                requested_by=actor,
            )
    except IntegrityError as exc:
        if not violates_unique(exc, PlanRequest, "plan_request_one_open_per_kind"):
            raise
        raise Conflict(_("A request of this kind is already open for this plan.")) from None
    _audit(request, "request", record, actor, recipient=recipient.pk)
    return record


def _check_change(actor: User, plan: Plan) -> None:
    if not policy.can(actor, "change", plan):
        raise NotAllowed(_("Only the lead organisation and the care coordinator send requests."))


def request_shelter_placement(
    plan: Plan, *, recipient: Organisation | None, actor: User, request: Any = None
) -> PlanRequest:
    """Ask a shelter (or the regional placement desk) to take the person in."""
    _check_change(actor, plan)
    if recipient is None or not (
        recipient.sector == Sector.SHELTER or recipient.has_function(Function.SHELTER_PLACEMENT)
    ):
        raise InvalidFields(
            {"recipient": [_("Choose a shelter or an organisation that places in shelters.")]}
        )
    return _create(plan, RequestKind.SHELTER_PLACEMENT, recipient, actor, request)


def register_with_comensha(
    plan: Plan,
    *,
    reporting_organisation: Organisation | None,
    actor: User,
    request: Any = None,
) -> PlanRequest:
    """Register the person with CoMensha on behalf of ``reporting_organisation``, a partner
    obliged to report victims."""
    _check_change(actor, plan)
    problems: dict[str, list[Any]] = {}
    if reporting_organisation is None or not reporting_organisation.has_function(
        Function.REPORTING_OBLIGATION
    ):
        problems["reporting_organisation"] = [
            _("Choose a partner that is obliged to report victims to CoMensha.")
        ]
    recipient = comensha()
    if recipient is None:
        problems["recipient"] = [
            _("No organisation in the chain is the national coordination centre.")
        ]
    if problems:
        raise InvalidFields(problems)
    assert recipient is not None
    return _create(
        plan,
        RequestKind.COMENSHA_REGISTRATION,
        recipient,
        actor,
        request,
        reporting_organisation=reporting_organisation,
    )


def _answer(
    record: PlanRequest, status: str, note: str, actor: User, request: Any, action: str
) -> PlanRequest:
    locked = PlanRequest.objects.select_for_update().get(pk=record.pk)
    if locked.status != RequestStatus.SENT:
        raise Conflict(_("This request was already answered or withdrawn."))
    locked.status = status
    locked.response_note = note.strip()
    locked.responded_by = actor
    locked.responded_at = timezone.now()
    locked.save(update_fields=["status", "response_note", "responded_by", "responded_at"])
    _audit(request, action, locked, actor, status=status)
    return locked


@transaction.atomic
def respond(
    record: PlanRequest, *, accepted: bool, note: str = "", actor: User, request: Any = None
) -> PlanRequest:
    """The recipient accepts (a place, a registration) or declines, saying why."""
    if not policy.can(actor, "respond", record):
        raise NotAllowed()
    if not accepted and not note.strip():
        raise InvalidFields({"note": [_("Say why the request is declined.")]})
    status = RequestStatus.ACCEPTED if accepted else RequestStatus.DECLINED
    return _answer(record, status, note, actor, request, "respond")


@transaction.atomic
def withdraw(
    record: PlanRequest, *, note: str = "", actor: User, request: Any = None
) -> PlanRequest:
    if not policy.can(actor, "withdraw", record):
        raise NotAllowed()
    return _answer(record, RequestStatus.WITHDRAWN, note, actor, request, "withdraw")
