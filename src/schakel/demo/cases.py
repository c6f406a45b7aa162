"""Demo cases: opened from the demo's signals through the cases services, in every state.

Each case follows a *story* (``schakel.demo.case_stories``): who opens it (the region's
signal table by a decision, or its care coordinator directly), what is decided about its
possible victim (trafficking status, migration status, a reflection period), the one plan per
victim with objectives and actions owned by several organisations, reviews, structured
requests, a handover to another region and the case's status. The people come from the
signals: a story takes a possible victim whom the region's signals mention (an entity) and
opens its case from every signal of the pool that mentions them, so everyone those signals
name comes along.

Everything goes through the services, so history, tasks and audit entries are what the
product itself would write. One thing the services rightly refuse is a due date in the past;
the demo wants actions that became overdue, so it moves such a task's due date and creation
back after the fact, as time would have (``CaseBuilder.let_lapse``), and then runs the periodic
jobs (reflection reminders, escalations) as cron would. Everything else happens on the day of
generation (cases are opened, plans made and reviewed that day): the services write their own
timestamps and the demo rewrites no other history. Dates that a person records (a decision, a
reflection offer, a migration status since) lie in the past, as they may.

Deterministic per seed; the large demo repeats the stories for a bounded number of cases.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from schakel.access import policy
from schakel.cases import consents, handovers, persons, plans, referrals, services
from schakel.cases import messages as line
from schakel.cases.escalation import escalate_overdue_actions
from schakel.cases.models import Case, CasePerson, Plan
from schakel.cases.reflection import add_months, raise_reflection_reminders
from schakel.cases.vocabulary import (
    CaseStatus,
    MessageKind,
    PlanStatus,
    TraffickingStatus,
    strictest_tlp,
)
from schakel.demo.case_stories import (
    CLOSING_REASONS,
    DOMAINS_OF,
    EU,
    IMMIGRATION,
    MARECHAUSSEE,
    PLACES,
    PLAN_DOMAINS,
    REFERRED_TO,
    REPORTING,
    SHELTER,
    STORIES,
    YOUTH_CARE,
    Place,
    Story,
    migration_status,
)
from schakel.demo.generator import Generator
from schakel.entities.matching import resolve_and_match
from schakel.entities.models import Mention, Schema
from schakel.errors import NotAllowed
from schakel.partners.models import Organisation, Region, SharingGroup, User
from schakel.partners.vocabulary import Role
from schakel.signals.intake import person_is_minor
from schakel.signals.models import PersonMention, Signal
from schakel.signaltable import services as table
from schakel.signaltable.agenda import awaiting_decision
from schakel.signaltable.models import Decision, Meeting, Outcome
from schakel.tasks import services as tasks
from schakel.tasks.models import Priority, Task

__all__ = ["DemoCases", "generate_cases"]

Progress = Callable[[str, int], Iterator[int]]

#: Cases per size: the small demo tells every story once; the large one repeats them, in
#: proportion to its signals but never more than this many.
MAX_LARGE_CASES = 120
SIGNALS_PER_LARGE_CASE = 5_000

#: The user name of the care coordinator the demo gives a region's care coordination that
#: the generator leaves without one (Amsterdam's): a case needs one to open, accept or lead it.
MADE_COORDINATOR = "zorgcoordinator-{place}"


@dataclass
class DemoCases:
    created: int = 0
    references: list[str] = field(default_factory=list)
    stories: dict[str, str] = field(default_factory=dict)  # case reference → story key


@dataclass
class Candidate:
    """A possible victim of a region's pool: the signals that mention them, and everyone
    those signals name (entity ids), as the case would hold them."""

    entity_id: int
    signal_ids: list[int]
    people: set[int]
    nationality: str
    minor: bool


def _organisation(name: str) -> Organisation:
    return Organisation.objects.get(name=name)


def _coordinator(region: str, seed: int) -> User:
    """The region's care coordinator: the demo persona, or one made here (Amsterdam's)."""
    lead = _organisation(PLACES[region].lead)
    found = (
        User.objects.with_role(Role.CARE_COORDINATOR)
        .filter(organisation=lead, is_active=True)
        .order_by("pk")
        .first()
    )
    if found is not None:
        return found
    place = (lead.region.name if lead.region else region).lower().replace(" ", "-")
    username = MADE_COORDINATOR.format(place=place)
    return Generator(seed).user(lead, (Role.CARE_COORDINATOR,), username=username)


#: The demo's signal tables met this many days ago, at two in the afternoon.
MEETING_DAYS_AGO = 14


def meeting_start(today: date) -> datetime:
    return timezone.make_aware(
        datetime.combine(today - timedelta(days=MEETING_DAYS_AGO), time(14, 0))
    )


def _pool(group: SharingGroup, size: int, today: date) -> list[Candidate]:
    """Possible victims that the group's undecided agenda signals mention (the first
    ``size`` signals received before the demo's meeting), each with every pool signal that
    mentions them."""
    ids = list(
        awaiting_decision(
            Signal.objects.filter(
                sharing_groups=group,
                received_at__lt=meeting_start(today),
            )
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:size]
    )
    # The large demo leaves resolving to the worker; these are resolved here, matching
    # included, as a case opened from them would have it done.
    resolve_and_match(ids)
    by_signal = {
        s.pk: services.people_of([s]) for s in Signal.objects.filter(pk__in=ids).order_by("pk")
    }
    victims: dict[int, list[int]] = {}
    for pk, people in by_signal.items():
        for entity_id, role in people:
            if role == "possible_victim":
                victims.setdefault(entity_id, []).append(pk)
    details = _person_details(victims, today)
    return [
        Candidate(
            entity_id,
            signal_ids,
            {e for pk in signal_ids for e, _role in by_signal[pk]},
            *details.get(entity_id, ("", False)),
        )
        for entity_id, signal_ids in sorted(victims.items())
    ]


def _person_details(victims: dict[int, list[int]], today: date) -> dict[int, tuple[str, bool]]:
    """Per entity: a nationality the signals state, and whether they describe a minor (the
    same mentions ``schakel.cases.plans.is_minor`` reads)."""
    entity_of = dict(
        Mention.objects.filter(
            entity_id__in=list(victims), schema=Schema.PERSON, source=Mention.Source.PERSON
        ).values_list("source_id", "entity_id")
    )
    details: dict[int, tuple[str, bool]] = {}
    for pk, nationality, born, band in (
        PersonMention.objects.filter(pk__in=list(entity_of))
        .order_by("pk")
        .values_list("pk", "nationality", "date_of_birth", "age_band")
    ):
        known, minor = details.get(entity_of[pk], ("", False))
        details[entity_of[pk]] = (known or nationality, minor or person_is_minor(born, band, today))
    return details


class CaseBuilder:
    """Tells the stories: one case each, from candidates of the story's region."""

    def __init__(self, seed: int, today: date) -> None:
        self.seed = seed
        self.random = random.Random(seed * 104_729 + 31)  # noqa: S311 - synthetic data
        self.today = today
        self.organisations: dict[str, Organisation] = {}
        self.coordinators: dict[str, User] = {}
        self.meetings: dict[str, Meeting] = {}
        self.used_people: set[int] = set()
        self.used_signals: set[int] = set()
        self.result = DemoCases()

    def org(self, name: str) -> Organisation:
        if name not in self.organisations:
            self.organisations[name] = _organisation(name)
        return self.organisations[name]

    def coordinator(self, region: str) -> User:
        if region not in self.coordinators:
            self.coordinators[region] = _coordinator(region, self.seed)
        return self.coordinators[region]

    def worker_of(self, organisation: Organisation) -> User | None:
        """Someone of ``organisation`` who works its task list."""
        return (
            User.objects.filter(organisation=organisation, is_active=True)
            .exclude(role_set__role=Role.FRONT_DESK)
            .order_by("pk")
            .first()
        )

    def days_ago(self, days: int) -> date:
        return self.today - timedelta(days=days)

    # Choosing whom a case is about --------------------------------------------------------

    def pick(self, story: Story, pool: list[Candidate]) -> Candidate | None:
        actor = self.coordinator(story.region)
        for candidate in pool:
            if candidate.people & self.used_people or self.used_signals.intersection(
                candidate.signal_ids
            ):
                continue
            if candidate.minor != story.minor:
                continue
            wants_foreign = story.dublin or story.reflection_ends_in is not None
            if wants_foreign and candidate.nationality in {*EU, "NL", ""}:
                continue
            if not story.by_table and not all(
                policy.decide(actor, "view", signal).is_full()
                for signal in Signal.objects.filter(pk__in=candidate.signal_ids)
            ):
                continue  # a coordinator opens a case only from signals they see in full
            return candidate
        return None

    # Opening --------------------------------------------------------------------------------

    def meeting(self, story: Story) -> Meeting:
        if story.region not in self.meetings:
            group = SharingGroup.objects.get(name=PLACES[story.region].table)
            chair = self.coordinator(story.region)
            starts_at = meeting_start(self.today)
            meeting = table.create_meeting(
                group, starts_at=starts_at, location="Stadskantoor", actor=chair
            )
            self.meetings[story.region] = table.update_meeting(
                meeting,
                status=Meeting.Status.HELD,
                location=meeting.location,
                present_organisations=list(group.members.order_by("pk")),
                actor=chair,
            )
        return self.meetings[story.region]

    def open(self, story: Story, candidate: Candidate) -> Case:
        place = PLACES[story.region]
        actor = self.coordinator(story.region)
        signals = list(Signal.objects.filter(pk__in=candidate.signal_ids).order_by("pk"))
        if story.by_table:
            decision = table.record_decision(
                self.meeting(story),
                candidate.signal_ids,
                outcome=Outcome.OPEN_CASE,
                rationale="Meerdere signalen over dezelfde persoon met indicatoren van "
                "uitbuiting: casus openen en één plan opstellen.",
                actions=[
                    table.ActionInput(
                        self.org(place.police), "Adres controleren en bevindingen delen."
                    )
                ],
                actor=actor,
            )
            # Recorded during the meeting, a quarter of an hour a bundle (the demo makes the
            # record now; the audit log keeps that moment).
            meeting = self.meeting(story)
            Decision.objects.filter(pk=decision.pk).update(
                decided_at=meeting.starts_at
                + timedelta(minutes=15 * meeting.decisions.filter(pk__lt=decision.pk).count())
            )
            # The subscriber opens it after the commit too; opening is idempotent.
            case = services.open_case_for_decision(decision)
            assert case is not None
            return case
        return services.open_case(
            lead_organisation=self.org(place.lead),
            region=Region.objects.get(code=story.region),
            signals=signals,
            actor=actor,
            care_coordinator=actor,
            tlp=strictest_tlp([s.tlp for s in signals]),
            sharing_groups=[SharingGroup.objects.get(name=place.table)],
        )

    # What is decided about the person ---------------------------------------------------------

    def decide_about(self, story: Story, case: Case, candidate: Candidate) -> CasePerson:
        place = PLACES[story.region]
        actor = self.coordinator(story.region)
        person = case.people.get(entity_id=candidate.entity_id)
        decider = {
            TraffickingStatus.ACTUAL_VICTIM: place.police,
            TraffickingStatus.NOT_A_VICTIM: place.police,
        }.get(story.trafficking, MARECHAUSSEE if story.dublin else place.lead)
        persons.record_trafficking_status(
            person,
            story.trafficking,
            deciding_organisation=self.org(decider),
            decided_on=self.days_ago(20),
            basis="Gesprek met betrokkene en de signalen van de signaaltafel.",
            actor=actor,
        )
        persons.record_migration_status(
            person,
            migration_status(story, candidate.nationality),
            since=self.days_ago(60),
            actor=actor,
        )
        if story.reflection_ends_in is not None:
            ends = self.today + timedelta(days=story.reflection_ends_in)
            persons.offer_reflection_period(
                person,
                offered_on=add_months(ends, -3),
                offered_by=self.org(place.police),
                actor=actor,
            )
        return person

    # The one plan per victim ------------------------------------------------------------------

    def owner(self, key: str, place: Place) -> Organisation:
        names = {
            "shelter": SHELTER,
            "police": place.police,
            "health": place.health,
            "legal_aid": place.legal_aid,
            "immigration": IMMIGRATION,
            "municipality": place.municipality,
        }
        return self.org(names[key])

    def let_lapse(self, task: Task, days: int) -> None:
        """The action's agreed due date passed ``days`` ago (see the module's docstring)."""
        Task.objects.filter(pk=task.pk).update(
            due_date=self.days_ago(days),
            created_at=timezone.now() - timedelta(days=days + 14),
        )

    def fill_plan(self, story: Story, plan: Plan, domains: tuple[str, ...], primary: bool) -> None:
        place = PLACES[story.region]
        actor = self.coordinator(story.region)
        for index, domain in enumerate(domains):
            goal, what, owner, priority = PLAN_DOMAINS[domain]
            objective = plans.add_objective(plan, domain, goal, actor=actor)
            action = plans.add_action(
                plan,
                domain=domain,
                description=what,
                owner_organisation=self.owner(owner, place),
                priority=priority,
                objective=objective,
                actor=actor,
            )
            if primary and index < len(story.overdue):
                self.let_lapse(action.task, story.overdue[index])
        if plans.is_minor(plan.person):
            # A minor's plan is set active only with youth care involved.
            plans.add_action(
                plan,
                domain="shelter",
                description="Beschermde plaatsing in de jeugdzorg en een voogd regelen.",
                owner_organisation=self.org(YOUTH_CARE),
                priority=Priority.URGENT,
                actor=actor,
            )
        if not (primary and story.plan_active):
            return
        plans.set_plan_status(plan, PlanStatus.ACTIVE, actor=actor)
        # Reviewed the day it was made, like the case was opened (no earlier history exists).
        plans.record_review(
            plan,
            reviewed_on=self.today,
            summary="Voortgang besproken met betrokkene en de partners; acties bijgesteld.",
            actor=actor,
        )

    def plan_for(self, story: Story, case: Case, primary: CasePerson) -> None:
        for plan in Plan.objects.filter(case=case).select_related("person").order_by("pk"):
            is_primary = plan.person_id == primary.pk
            domains = DOMAINS_OF[story.trafficking] if is_primary else ("health",)
            self.fill_plan(story, plan, domains, is_primary)
            if is_primary and story.requests:
                self.send_requests(story, plan)

    def send_requests(self, story: Story, plan: Plan) -> None:
        actor = self.coordinator(story.region)
        shelter = self.org(SHELTER)
        placement = referrals.request_shelter_placement(plan, recipient=shelter, actor=actor)
        answerer = self.worker_of(shelter)
        if answerer is not None:
            referrals.respond(
                placement, accepted=True, note="Plek beschikbaar per maandag.", actor=answerer
            )
        referrals.register_with_comensha(
            plan, reporting_organisation=self.org(REPORTING), actor=actor
        )

    def write_on_the_line(self, story: Story, case: Case, primary: CasePerson) -> None:
        """The secured line between the region's police and the care coordinator: a request
        for information, the victim's consent, what is shared under it, and an intention to
        report, by the first of the police's people who may write on this case's line."""
        police = next(
            (
                user
                for user in User.objects.filter(
                    organisation=self.org(PLACES[story.region].police), is_active=True
                ).order_by("pk")
                if line.may_send(user, case)
            ),
            None,
        )
        coordinator = case.care_coordinator
        if not story.line or police is None or coordinator is None:
            return
        if coordinator.organisation is None:
            return
        request = line.send_message(
            case,
            kind=MessageKind.REQUEST_FOR_INFORMATION,
            recipients=[coordinator.organisation],
            subject="Vraag over de werkgever",
            body="Is betrokkene bereid een verklaring af te leggen over de werkgever?",
            purpose="criminal_investigation",
            legal_basis="wpg_art_13",
            actor=police,
        )
        consent = consents.record_consent(
            case,
            person=primary,
            purpose="criminal_investigation",
            scope="Verblijfplaats en bereidheid tot aangifte",
            organisations=[self.org(PLACES[story.region].police)],
            informed=True,
            given_on=self.days_ago(4),
            actor=coordinator,
        )
        shared = line.reply(
            request,
            kind=MessageKind.INFORMATION_SHARED,
            subject="Verblijf en aangifte",
            body="Betrokkene verblijft sinds maandag in de opvang en wil aangifte doen.",
            purpose="criminal_investigation",
            legal_basis="wgbo_consent",
            consent=consent,
            actor=coordinator,
        )
        line.reply(
            shared,
            kind=MessageKind.INTENTION_TO_REPORT,
            subject="Aangifte",
            body="Wij plannen het verhoor voor de aangifte in overleg met de zorgcoördinator.",
            purpose="criminal_investigation",
            legal_basis="wpg_art_13",
            actor=police,
        )

    # How the case goes on ---------------------------------------------------------------------

    def finish_actions(self, case: Case, result: str, *, first_only: bool = False) -> None:
        open_tasks = Task.objects.filter(plan_action__plan__case=case).open().order_by("pk")
        for task in open_tasks[:1] if first_only else open_tasks:
            tasks.complete_task(task, actor=self.worker_of(task.owner_organisation), result=result)

    def move_on(self, story: Story, case: Case) -> Case:
        actor = self.coordinator(story.region)
        if story.status == CaseStatus.FOLLOW_UP:
            self.finish_actions(case, "Gedaan; verslag in het dossier.", first_only=True)
            return services.change_status(
                case,
                CaseStatus.FOLLOW_UP,
                reason="Betrokkene is veilig geplaatst; nazorg loopt.",
                actor=actor,
            )
        if story.status in (CaseStatus.CLOSED, CaseStatus.CLOSED_REFERRED):
            self.finish_actions(case, "Afgerond bij het sluiten van de casus.")
            for plan in Plan.objects.filter(case=case).exclude(status=PlanStatus.CLOSED):
                plans.set_plan_status(plan, PlanStatus.CLOSED, actor=actor)
            referred = story.status == CaseStatus.CLOSED_REFERRED
            return services.change_status(
                case,
                story.status,
                reason=CLOSING_REASONS[story.status],
                referred_to=self.org(REFERRED_TO) if referred else None,
                actor=actor,
            )
        return case

    def hand_over(self, story: Story, case: Case) -> None:
        if story.handover is None:
            return
        to_region, outcome = story.handover
        receiver = self.coordinator(to_region)
        handover = handovers.request_handover(
            case,
            to_organisation=self.org(PLACES[to_region].lead),
            reason="Betrokkene verblijft inmiddels in die regio; de regie hoort daar.",
            actor=self.coordinator(story.region),
        )
        if outcome == "accepted":
            handovers.accept(handover, note="Wij nemen de regie over.", actor=receiver)
        elif outcome == "declined":
            handovers.decline(
                handover,
                note="Betrokkene verblijft nog in de eigen regio; eerst een warme overdracht.",
                actor=receiver,
            )

    def tell(self, story: Story, candidate: Candidate) -> Case:
        case = self.open(story, candidate)
        self.used_people |= candidate.people
        self.used_signals.update(candidate.signal_ids)
        primary = self.decide_about(story, case, candidate)
        self.plan_for(story, case, primary)
        self.write_on_the_line(story, case, primary)
        case = self.move_on(story, case)
        self.hand_over(story, case)
        self.result.created += 1
        self.result.references.append(case.reference)
        self.result.stories[case.reference] = story.key
        return case


def stories_for(size: str, signals: int) -> list[Story]:
    if size == "small":
        return list(STORIES)
    count = min(MAX_LARGE_CASES, max(len(STORIES), signals // SIGNALS_PER_LARGE_CASE))
    return [STORIES[index % len(STORIES)] for index in range(count)]


def generate_cases(
    size: str = "small",
    seed: int = 1,
    *,
    progress: Progress | None = None,
    today: date | None = None,
) -> DemoCases:
    """Open the demo's cases from its signals (once: a second run adds none). Refused in
    production mode, like the rest of the demo.

    ``today`` is the day the cases are told as of: overdue actions, reflection periods and
    reviews are counted from it (default: the clock's today, which tests may travel). The
    services check dates against the clock, so it is never a later day."""
    if settings.PRODUCTION:
        raise NotAllowed("Demo data is refused in production mode (SCHAKEL_MODE=production).")
    if Case.objects.exists() or not Signal.objects.exists():
        return DemoCases()
    today = today or timezone.localdate()
    stories = stories_for(size, Signal.objects.count())
    builder = CaseBuilder(seed, today)
    per_region = {region: sum(s.region == region for s in stories) for region in PLACES}
    steps = progress("cases", len(stories)) if progress else iter(range(len(stories)))
    with transaction.atomic():
        pools: dict[str, list[Candidate]] = {}
        for region, wanted in per_region.items():
            group = SharingGroup.objects.get(name=PLACES[region].table)
            # Enough signals to find a victim per story (the small demo takes them all).
            pool = _pool(group, 10**6 if size == "small" else 40 * wanted, today)
            builder.random.shuffle(pool)
            pools[region] = pool
        for index in steps:
            story = stories[index]
            candidate = builder.pick(story, pools[story.region])
            if candidate is not None:
                builder.tell(story, candidate)
        # What the periodic jobs would have done by now.
        raise_reflection_reminders(today)
        escalate_overdue_actions(today)
    return builder.result
