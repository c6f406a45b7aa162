"""What one viewer may see of one case, decided by the policy per field category.

As with signals, hidden personal data never reaches a template or a serializer: a person the
viewer may not see is a *hit* (that someone of this role is there, and whom to ask); the
signals the case holds are shown as far as each signal's own rules allow, the rest counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from schakel.access import policy
from schakel.access.matrix import Level
from schakel.cases.access import category_of_role
from schakel.cases.models import (
    Case,
    CasePerson,
    CaseStatusChange,
    MigrationStatusRecord,
    TraffickingStatusDecision,
)
from schakel.cases.reflection import ReflectionState, state_of
from schakel.cases.vocabulary import VICTIM_ROLES
from schakel.signals.models import Signal


@dataclass(frozen=True)
class Hit:
    """In place of a hidden person or detail: what is there and whom to ask."""

    what: str  # e.g. "person:possible_victim", "signals"
    contact_organisation: str
    contact_email: str
    count: int = 1

    @property
    def role(self) -> str:
        """For a hidden person: their role's code."""
        return self.what.removeprefix("person:") if self.what.startswith("person:") else ""


@dataclass
class PersonView:
    person: CasePerson
    name: str
    trafficking: list[TraffickingStatusDecision]
    migration: list[MigrationStatusRecord]
    reflection: ReflectionState | None

    @property
    def role(self) -> str:
        return self.person.role

    @property
    def is_victim(self) -> bool:
        """Trafficking status and the reflection period are about the people the case is for
        (and anyone who already has such a record, e.g. after their role was reconsidered)."""
        return self.role in VICTIM_ROLES or bool(self.trafficking or self.reflection)

    @property
    def trafficking_status(self) -> TraffickingStatusDecision | None:
        return self.trafficking[-1] if self.trafficking else None

    @property
    def migration_status(self) -> MigrationStatusRecord | None:
        return self.migration[-1] if self.migration else None


@dataclass
class CaseView:
    case: Case
    levels: dict[str, Level]
    people: list[PersonView] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    signal_count: int = 0
    history: list[CaseStatusChange] = field(default_factory=list)
    can_change: bool = False

    @property
    def general_full(self) -> bool:
        return self.levels.get("general", Level.NONE) is Level.FULL

    @property
    def redacted(self) -> bool:
        return bool(self.hits) or not self.general_full

    @property
    def personal_ids(self) -> dict[str, list[int]]:
        """What this view shows of personal data, for the audit log."""
        return {
            "cases.caseperson": [p.person.pk for p in self.people],
            "entities.entity": [p.person.entity_id for p in self.people],
        }


def case_queryset() -> QuerySet[Case]:
    return Case.objects.select_related(
        "lead_organisation", "region", "care_coordinator", "source_decision__meeting__group"
    ).prefetch_related("sharing_groups")


def _people(case: Case) -> list[CasePerson]:
    return list(
        case.people.select_related("entity")
        .prefetch_related(
            Prefetch(
                "trafficking_statuses",
                queryset=TraffickingStatusDecision.objects.select_related(
                    "deciding_organisation", "recorded_by"
                ).order_by("recorded_at", "pk"),
            ),
            Prefetch(
                "migration_statuses",
                queryset=MigrationStatusRecord.objects.select_related("recorded_by").order_by(
                    "recorded_at", "pk"
                ),
            ),
            "reflection_offers__offered_by",
        )
        # The people the case is for first, then by when they were added.
        .order_by("pk")
    )


def present_case(
    user: Any, case: Case, *, today: date | None = None, signal_limit: int | None = None
) -> CaseView:
    """The case as ``user`` may see it. Call only for cases ``can(user, 'view')``. With
    ``signal_limit``, only that many of the signals the user may see (the most recent);
    ``signal_count`` says how many there are."""
    today = today or timezone.localdate()
    levels = policy.decide(user, "view", case).levels
    view = CaseView(case, levels, can_change=policy.can(user, "change", case))
    lead = case.lead_organisation

    def full(category: str) -> bool:
        return levels.get(category, Level.NONE) is Level.FULL

    people = sorted(_people(case), key=lambda p: (p.role not in VICTIM_ROLES, p.pk))
    hidden: dict[str, int] = {}
    for person in people:
        if full(category_of_role(person.role)):
            view.people.append(
                PersonView(
                    person=person,
                    name=str(person.entity),
                    trafficking=list(person.trafficking_statuses.all()),
                    migration=list(person.migration_statuses.all()),
                    reflection=state_of(person, today),
                )
            )
        else:
            key = f"person:{person.role}"
            hidden[key] = hidden.get(key, 0) + 1
    if view.general_full:
        view.history = list(
            case.status_changes.select_related("changed_by", "referred_to").order_by(
                "changed_at", "pk"
            )
        )
    linked = policy.visible(user, Signal.objects.filter(case_links__case=case)).select_related(
        "owner_organisation"
    )
    if signal_limit is None:
        view.signals = list(linked.order_by("received_at", "pk"))
        view.signal_count = len(view.signals)
    else:
        # The most recent ones, newest first (a case may hold a thousand signals).
        view.signal_count = linked.count()
        view.signals = list(linked.order_by("-received_at", "-pk")[:signal_limit])
    unseen = case.signal_links.count() - view.signal_count
    if unseen:
        hidden["signals"] = unseen
    view.hits = [Hit(what, lead.name, lead.email, count) for what, count in sorted(hidden.items())]
    return view
