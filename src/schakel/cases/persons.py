"""Decisions about a person in a case: trafficking status, migration status and the offer of
a reflection period. Each is an append-only record; the latest is the current one."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from schakel.access import policy
from schakel.audit import services as audit
from schakel.cases import holds, plans
from schakel.cases.models import (
    CasePerson,
    MigrationStatusRecord,
    Plan,
    ReflectionOffer,
    TraffickingStatusDecision,
)
from schakel.cases.reflection import period_end
from schakel.cases.vocabulary import DecidingOrganisationType, TraffickingStatus, deciding_type_for
from schakel.errors import InvalidFields, NotAllowed
from schakel.partners.models import Organisation, User
from schakel.signals.rules import vocabulary

MIGRATION_STATUS = "migration_status"


def _check_change(actor: User, person: CasePerson) -> None:
    if not policy.can(actor, "change", person.case):
        raise NotAllowed(_("Only the lead organisation and the care coordinator record this."))


def _not_in_future(problems: dict[str, list[Any]], field: str, day: date | None) -> None:
    if day is not None and day > timezone.localdate():
        problems.setdefault(field, []).append(_("This date lies in the future."))


def _raise(problems: dict[str, list[Any]]) -> None:
    if problems:
        raise InvalidFields(problems)


def _audit(request: Any, action: str, person: CasePerson, actor: User, **details: Any) -> None:
    audit.record_change(
        request,
        action,
        "cases.caseperson",
        [person.pk],
        actor=actor,
        purpose=person.case.purpose,
        details={"case": person.case_id, **details},
    )


@transaction.atomic
def record_trafficking_status(
    person: CasePerson,
    status: str,
    *,
    deciding_organisation: Organisation,
    decided_on: date,
    basis: str,
    actor: User,
    deciding_organisation_type: str = "",
    request: Any = None,
) -> TraffickingStatusDecision:
    """Possible victim, actual victim or not a victim, as ``deciding_organisation`` decided
    on ``decided_on`` on ``basis``. The type of organisation (HTCDS) follows from its sector
    unless given."""
    _check_change(actor, person)
    problems: dict[str, list[Any]] = {}
    if status not in TraffickingStatus.values:
        problems.setdefault("status", []).append(_("Choose a trafficking status."))
    kind = deciding_organisation_type or deciding_type_for(deciding_organisation.sector)
    if kind not in DecidingOrganisationType.values:
        problems.setdefault("deciding_organisation_type", []).append(_("Choose a type."))
    _not_in_future(problems, "decided_on", decided_on)
    if not basis.strip():
        problems.setdefault("basis", []).append(_("Say on what the decision rests."))
    _raise(problems)
    record = TraffickingStatusDecision.objects.create(
        person=person,
        status=status,
        deciding_organisation=deciding_organisation,
        deciding_organisation_type=kind,
        decided_on=decided_on,
        basis=basis.strip(),
        recorded_by=actor,
    )
    _audit(request, "trafficking_status", person, actor, status=status)
    # A possible or actual victim has a plan (one, whichever case made it).
    plans.ensure_plan(person, actor=actor)
    holds.evaluate_person(person, actor=actor)
    return record


@transaction.atomic
def record_migration_status(
    person: CasePerson,
    status: str,
    *,
    actor: User,
    since: date | None = None,
    note: str = "",
    request: Any = None,
) -> MigrationStatusRecord:
    """The person's migration status, a code of the reviewed vocabulary."""
    _check_change(actor, person)
    problems: dict[str, list[Any]] = {}
    choosable = {code for code, _label in vocabulary.current().choices(MIGRATION_STATUS)}
    if status not in choosable:
        problems.setdefault("status", []).append(_("Choose a migration status."))
    _not_in_future(problems, "since", since)
    _raise(problems)
    record = MigrationStatusRecord.objects.create(
        person=person, status=status, since=since, note=note.strip(), recorded_by=actor
    )
    _audit(request, "migration_status", person, actor, status=status)
    plan = Plan.objects.filter(person=person).first()
    if plan is not None:
        # An unaccompanied minor: the plan asks about Veilig Thuis.
        plans.ask_about_veilig_thuis(plan, actor=actor)
    holds.evaluate_person(person, actor=actor)
    return record


@transaction.atomic
def offer_reflection_period(
    person: CasePerson,
    *,
    offered_on: date,
    offered_by: Organisation,
    actor: User,
    note: str = "",
    request: Any = None,
) -> ReflectionOffer:
    """The reflection period was offered on ``offered_on``: it ends three months later."""
    _check_change(actor, person)
    problems: dict[str, list[Any]] = {}
    _not_in_future(problems, "offered_on", offered_on)
    _raise(problems)
    offer = ReflectionOffer.objects.create(
        person=person,
        offered_on=offered_on,
        offered_by=offered_by,
        ends_on=period_end(offered_on),
        note=note.strip(),
        recorded_by=actor,
    )
    _audit(request, "reflection_offer", person, actor, ends_on=offer.ends_on.isoformat())
    return offer
