"""Plans follow the entities (issue 5, point 4): a merge that puts two plans on one person
proposes a plan merge to the coordinators and never merges silently; a split keeps each plan
with the entity its coordinator chooses. Merges and splits come from linkage's own grouping
(``write_groups``), which announces them after its transaction commits."""

from __future__ import annotations

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import translation

from schakel.audit.models import AuditEntry
from schakel.cases import following, plans, services, subscribers
from schakel.cases.models import Case, CasePerson, Plan, PlanAction, PlanMerge, PlanSplitChoice
from schakel.cases.tests.helpers import NGO_VICTIM, SignIn, TokenClient, ngo_signal
from schakel.cases.tests.plan_helpers import case_with_plan, plan_of
from schakel.cases.vocabulary import PlanStatus
from schakel.entities.clustering import write_groups
from schakel.entities.events import entities_regrouped
from schakel.entities.models import Entity, Mention
from schakel.entities.services import resolve_signals
from schakel.errors import Conflict, InvalidFields, NotAllowed
from schakel.jobs.services import run_periodic_jobs
from schakel.partners.models import User
from schakel.partners.services import create_user
from schakel.partners.vocabulary import Role
from schakel.signals.intake import PersonInput
from schakel.signals.tests.factories import VICTIM_NAME, make_signal
from schakel.tasks.models import Status as TaskStatus
from schakel.tasks.models import Task
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db


def _mentions(plan: Plan) -> list[int]:
    return list(
        Mention.objects.filter(entity_id=plan.entity_id, schema="Person")
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _entity_of(mention: int) -> Entity:
    return Mention.objects.select_related("entity").get(pk=mention).entity  # type: ignore[return-value]


def _group(*groups: list[int]) -> None:
    """Linkage regroups these mentions and announces the merges and splits on commit."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        write_groups("Person", [list(g) for g in groups])


#: How the cases context subscribes to linkage's regroupings (``subscribers``).
MERGES_RECEIVER = "cases.plans_follow_merges"


@pytest.fixture
def two_plans(world: World) -> tuple[Case, Plan, Plan]:
    """One case, two victims (Ioana Popescu and Dana Ionescu), each with a plan and work."""
    case, ioana = case_with_plan(world)
    dana = plan_of(case, NGO_VICTIM[1])
    carla = world.users["care_coordinator"]
    plans.add_objective(ioana, "shelter", "Veilige opvang", actor=carla)
    plans.add_action(
        dana, domain="health", description="Huisarts", owner_organisation=world.ngo_a, actor=carla
    )
    return case, ioana, dana


@pytest.fixture
def proposed(two_plans: tuple[Case, Plan, Plan]) -> tuple[Case, Plan, Plan, PlanMerge]:
    """Linkage merged Ioana and Dana: the proposal it made."""
    case, ioana, dana = two_plans
    _group(_mentions(ioana) + _mentions(dana))
    return case, ioana, dana, PlanMerge.objects.get()


def _other_case(world: World) -> tuple[Case, Plan, User]:
    """A case of Gemeente Groningen (region B) about Dana Ionescu, with her plan there."""
    gemma = create_user(
        world.municipality_b, "gemma", roles=[Role.COORDINATOR], email="gemma@example.test"
    )
    case = services.open_case(
        lead_organisation=world.municipality_b,
        region=world.region_b,
        signals=[
            make_signal(
                gemma,
                groups=[world.table_b],
                persons=[
                    PersonInput(role="possible_victim", given_names="Dana", family_name="Ionescu")
                ],
                companies=[],
                addresses=[],
                ibans=[],
            )
        ],
        care_coordinator=None,
        tlp="AMBER",
        purpose="victim_protection",
        sharing_groups=[world.table_b],
        actor=gemma,
    )
    return case, plan_of(case, NGO_VICTIM[1]), gemma


@pytest.mark.parametrize("lookup", ["by id", "every plan read"])
def test_a_merge_putting_two_plans_on_one_person_proposes_and_changes_nothing(
    world: World, two_plans: tuple[Case, Plan, Plan], lookup: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if lookup == "every plan read":  # as for a batch run's many merges
        monkeypatch.setattr(subscribers, "PLAN_LOOKUP_CHUNK", 0)
    case, ioana, dana = two_plans
    _group(_mentions(ioana) + _mentions(dana))

    merge = PlanMerge.objects.get()
    assert merge.status == PlanMerge.Status.OPEN
    assert set(merge.plans.all()) == {ioana, dana}
    assert merge.entity_id == following.current_entity(dana.entity_id)
    # Nothing merged: both plans live, each with its own work.
    assert set(following.live_plans()) == {ioana, dana}
    assert PlanAction.objects.get().plan_id == dana.pk
    # The case's lead is asked, through its task list (no names in the task).
    task = merge.tasks.get()
    assert task.owner_organisation == world.municipality_a
    assert task.reference == case.reference
    assert VICTIM_NAME[1] not in task.title + task.description

    # The event again, or the periodic job: still one proposal, one task.
    following.review_plans()
    run_periodic_jobs(["plan-follow-entities"])
    assert PlanMerge.objects.count() == 1 and merge.tasks.count() == 1


@pytest.mark.parametrize("lookup", ["by id", "every plan read"])
def test_the_plans_of_a_merge_are_found_by_the_entity_or_the_one_it_was_merged_into(
    two_plans: tuple[Case, Plan, Plan], lookup: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if lookup == "every plan read":
        monkeypatch.setattr(subscribers, "PLAN_LOOKUP_CHUNK", 0)
    _case, ioana, _dana = two_plans
    later = Entity.objects.create(schema="Person", caption="Later")
    other = Entity.objects.create(schema="Person", caption="Other")
    Entity.objects.filter(pk=ioana.entity_id).update(merged_into=later)
    assert subscribers._holding_plans({ioana.entity_id, other.pk}) == {ioana.entity_id}
    assert subscribers._holding_plans({later.pk, other.pk}) == {later.pk}
    assert subscribers._holding_plans({other.pk}) == set()


def test_the_periodic_job_proposes_the_merge_a_lost_event_missed(
    world: World, two_plans: tuple[Case, Plan, Plan]
) -> None:
    case, ioana, dana = two_plans
    tasks_before = Task.objects.count()
    # The event of the regrouping is lost: the cases context does not hear of the merge.
    assert entities_regrouped.disconnect(sender=Entity, dispatch_uid=MERGES_RECEIVER)
    try:
        _group(_mentions(ioana) + _mentions(dana))
    finally:
        entities_regrouped.connect(
            subscribers.plans_follow_merges, sender=Entity, dispatch_uid=MERGES_RECEIVER
        )
    assert following.current_entity(ioana.entity_id) == following.current_entity(dana.entity_id)
    assert not PlanMerge.objects.exists() and Task.objects.count() == tasks_before

    with translation.override("en"):
        ran = run_periodic_jobs(["plan-follow-entities"])
    assert ran == {"plan-follow-entities": "1 plan merges proposed, 0 void"}
    merge = PlanMerge.objects.get()
    assert merge.status == PlanMerge.Status.OPEN
    assert set(merge.plans.all()) == {ioana, dana}
    assert merge.entity_id == following.current_entity(dana.entity_id)
    task = merge.tasks.get()
    assert task.status == TaskStatus.OPEN and task.owner_organisation == world.municipality_a
    assert task.reference == case.reference
    assert set(following.live_plans()) == {ioana, dana}  # proposed, never merged silently

    # Running it again proposes nothing more.
    with translation.override("en"):
        assert following.run_plan_follow_entities() == "0 plan merges proposed, 0 void"
    assert PlanMerge.objects.count() == 1 and merge.tasks.count() == 1
    assert Task.objects.count() == tasks_before + 1


def test_agreeing_merges_into_the_chosen_plan_and_keeps_the_work(
    world: World, proposed: tuple[Case, Plan, Plan, PlanMerge]
) -> None:
    case, ioana, dana, merge = proposed
    carla = world.users["care_coordinator"]

    following.answer_merge(merge, case=case, agrees=True, kept_plan=ioana, actor=carla)

    merge.refresh_from_db()
    dana.refresh_from_db()
    assert merge.status == PlanMerge.Status.MERGED and merge.kept_plan == ioana
    assert dana.status == PlanStatus.MERGED and dana.merged_into == ioana
    action = PlanAction.objects.select_related("task").get()
    assert action.plan_id == ioana.pk and action.task.subject_id == str(ioana.pk)
    assert list(following.live_plans()) == [ioana]
    assert following.plan_for_entity(dana.entity_id) == ioana
    assert merge.tasks.get().status == TaskStatus.DONE
    # A merged plan is over: no new actions, no status moves.
    with pytest.raises(InvalidFields) as refused:
        plans.add_action(
            dana, domain="health", description="x", owner_organisation=world.ngo_a, actor=carla
        )
    assert "status" in refused.value.problems
    with pytest.raises(InvalidFields):
        plans.set_plan_status(dana, PlanStatus.ACTIVE, actor=carla)


def test_declining_keeps_the_plans_apart_and_needs_a_reason(
    world: World, proposed: tuple[Case, Plan, Plan, PlanMerge]
) -> None:
    case, ioana, dana, merge = proposed
    carla = world.users["care_coordinator"]
    with pytest.raises(InvalidFields) as missing:
        following.answer_merge(merge, case=case, agrees=False, actor=carla)
    assert "reason" in missing.value.problems
    following.answer_merge(
        merge, case=case, agrees=False, reason="Twee verschillende vrouwen", actor=carla
    )
    merge.refresh_from_db()
    assert merge.status == PlanMerge.Status.DECLINED
    assert set(following.live_plans()) == {ioana, dana}
    assert merge.tasks.get().status == TaskStatus.CANCELLED
    with pytest.raises(Conflict):
        following.answer_merge(merge, case=case, agrees=True, kept_plan=ioana, actor=carla)


def test_only_those_who_change_the_plan_answer(
    world: World, proposed: tuple[Case, Plan, Plan, PlanMerge]
) -> None:
    case, ioana, _dana, merge = proposed
    for name in ("police_analyst", "ngo_worker", "outsider"):
        with pytest.raises(NotAllowed):
            following.answer_merge(
                merge, case=case, agrees=True, kept_plan=ioana, actor=world.users[name]
            )
    assert not merge.answers.exists()


def test_plans_in_two_cases_merge_only_when_both_cases_agree(
    world: World, two_plans: tuple[Case, Plan, Plan]
) -> None:
    case, _ioana, dana = two_plans
    other_case, dana_there, gemma = _other_case(world)
    # Linkage had given Dana's second mention an entity of its own: two plans, two cases.
    assert dana_there.entity_id != dana.entity_id
    _group(_mentions(dana) + _mentions(dana_there))

    merge = PlanMerge.objects.get()
    assert set(merge.plans.all()) == {dana, dana_there}
    assert {t.owner_organisation for t in merge.tasks.all()} == {
        world.municipality_a,
        world.municipality_b,
    }
    carla = world.users["care_coordinator"]
    # Gemma answers for her own case only, and the first agreement chose the plan to keep.
    with pytest.raises(NotAllowed):
        following.answer_merge(merge, case=case, agrees=True, kept_plan=dana, actor=gemma)
    following.answer_merge(merge, case=case, agrees=True, kept_plan=dana, actor=carla)
    merge.refresh_from_db()
    assert merge.status == PlanMerge.Status.OPEN
    assert set(following.live_plans()) >= {dana, dana_there}
    with pytest.raises(InvalidFields) as other_choice:
        following.answer_merge(
            merge, case=other_case, agrees=True, kept_plan=dana_there, actor=gemma
        )
    assert "kept_plan" in other_choice.value.problems
    following.answer_merge(merge, case=other_case, agrees=True, actor=gemma)
    merge.refresh_from_db()
    dana_there.refresh_from_db()
    assert merge.status == PlanMerge.Status.MERGED
    assert dana_there.status == PlanStatus.MERGED and dana_there.merged_into == dana


def test_a_proposal_is_void_once_a_split_parts_the_plans_again(
    world: World, two_plans: tuple[Case, Plan, Plan]
) -> None:
    _case, ioana, dana = two_plans
    ioana_mentions, dana_mentions = _mentions(ioana), _mentions(dana)
    _group(ioana_mentions + dana_mentions)
    merge = PlanMerge.objects.get()
    kept = following.current_entity(dana.entity_id)
    # Linkage splits them again: Dana's mentions go to a new entity. Both plans were on the
    # merged person, so each case chooses; the proposal stands until they have.
    _group(ioana_mentions, dana_mentions)
    part = _entity_of(dana_mentions[0])
    assert part.pk != kept
    choices = {c.plan_id: c for c in PlanSplitChoice.objects.all()}
    assert set(choices) == {ioana.pk, dana.pk}
    merge.refresh_from_db()
    assert merge.status == PlanMerge.Status.OPEN

    carla = world.users["care_coordinator"]
    following.choose_after_split(choices[dana.pk], entity=part, actor=carla)
    merge.refresh_from_db()
    assert merge.status == PlanMerge.Status.VOID
    assert merge.tasks.get().status == TaskStatus.CANCELLED
    following.choose_after_split(choices[ioana.pk], entity=Entity.objects.get(pk=kept), actor=carla)
    assert set(following.live_plans()) == {ioana, dana}
    assert following.plan_for_entity(kept) == ioana
    assert following.plan_for_entity(part.pk) == dana
    assert not PlanMerge.objects.filter(status=PlanMerge.Status.OPEN).exists()


def test_a_split_keeps_the_plan_with_the_entity_the_coordinator_chooses(
    world: World, two_plans: tuple[Case, Plan, Plan]
) -> None:
    case, ioana, dana = two_plans
    # Ioana's mentions: the municipality's and a second signal's (one entity by linkage).
    second = ngo_signal(
        world,
        persons=[
            PersonInput(
                role="possible_victim", given_names=VICTIM_NAME[0], family_name=VICTIM_NAME[1]
            )
        ],
    )
    resolve_signals([second.pk])
    extra = list(
        Mention.objects.filter(signal=second, schema="Person").values_list("pk", flat=True)
    )
    assert extra
    mentions = _mentions(ioana)
    _group(mentions + extra)
    ioana.refresh_from_db()
    original = Entity.objects.get(pk=following.current_entity(ioana.entity_id))

    # An analyst's judgement splits them again: the new mentions go to a new entity.
    _group(mentions, extra)
    choice = PlanSplitChoice.objects.get(plan=ioana)
    assert choice.status == PlanSplitChoice.Status.OPEN and choice.original == original
    part = _entity_of(extra[0])
    assert set(choice.options.all()) == {original, part}
    assert choice.task is not None and choice.task.owner_organisation == world.municipality_a
    ioana.refresh_from_db()
    assert ioana.entity_id == original.pk  # stays until chosen

    carla = world.users["care_coordinator"]
    with pytest.raises(NotAllowed):
        following.choose_after_split(choice, entity=part, actor=world.users["police_analyst"])
    with pytest.raises(InvalidFields) as wrong:
        following.choose_after_split(choice, entity=dana.entity, actor=carla)
    assert "entity" in wrong.value.problems
    following.choose_after_split(choice, entity=part, actor=carla)
    ioana.refresh_from_db()
    choice.refresh_from_db()
    assert ioana.entity_id == part.pk and ioana.person.entity_id == part.pk
    assert choice.status == PlanSplitChoice.Status.CHOSEN and choice.chosen == part
    assert Task.objects.filter(pk=choice.task_id or 0, status=TaskStatus.DONE).exists()
    assert CasePerson.objects.filter(case=case, entity=part).exists()
    with pytest.raises(Conflict):
        following.choose_after_split(choice, entity=original, actor=carla)


def test_a_person_merged_into_one_with_a_plan_finds_that_plan(
    world: World, proposed: tuple[Case, Plan, Plan, PlanMerge]
) -> None:
    """A new case about a person whose entity was merged away reuses the person's plan."""
    case, ioana, dana, merge = proposed
    following.answer_merge(
        merge, case=case, agrees=True, kept_plan=ioana, actor=world.users["care_coordinator"]
    )
    person = CasePerson.objects.get(case=case, entity_id=dana.entity_id)
    assert plans.ensure_plan(person, actor=world.users["care_coordinator"]) == ioana


# --- Pages and API, per persona --------------------------------------------------------------


def test_the_merge_page_per_persona_and_answering_by_the_form(
    world: World, proposed: tuple[Case, Plan, Plan, PlanMerge], signed_in: SignIn
) -> None:
    case, ioana, dana, merge = proposed
    url = reverse("plan_merge", args=[merge.pk])
    plan_url = reverse("plan_detail", args=[case.pk, ioana.pk])
    carla = world.users["care_coordinator"]
    page = signed_in(carla).get(plan_url).content.decode()
    assert 'data-testid="open-merge"' in page and url in page
    page = signed_in(carla).get(url).content.decode()
    assert ioana.reference in page and dana.reference in page and 'name="answer"' in page
    # The police analyst at the table and the NGO (it owns an action of Dana's plan) see the
    # plans' general details: the proposal, without the form.
    for persona in ("police_analyst", "ngo_worker"):
        client = signed_in(world.users[persona])
        page = client.get(url).content.decode()
        assert dana.reference in page and 'name="answer"' not in page
        assert client.post(url, {"answer": "agree", "kept_plan": ioana.pk}).status_code == 403
    outsider = signed_in(world.users["outsider"])
    assert outsider.get(url).status_code == 404
    assert outsider.post(url, {"answer": "agree", "kept_plan": ioana.pk}).status_code == 404
    assert outsider.get(plan_url).status_code == 404
    # Declining without a reason names the field; agreeing merges.
    client = signed_in(carla)
    refused = client.post(url, {"answer": "decline", "reason": ""})
    assert refused.status_code == 200 and "reason" in refused.context["form"].errors
    done = client.post(url, {"answer": "agree", "kept_plan": ioana.pk})
    assert done.status_code == 302
    dana.refresh_from_db()
    assert dana.status == PlanStatus.MERGED
    page = client.get(reverse("plan_detail", args=[case.pk, dana.pk])).content.decode()
    assert 'data-testid="merged-into"' in page and ioana.reference in page
    assert AuditEntry.objects.filter(object_type="cases.plan", action="merge").exists()


def test_the_split_page_per_persona_and_choosing_by_the_form(
    world: World, two_plans: tuple[Case, Plan, Plan], signed_in: SignIn
) -> None:
    case, ioana, dana = two_plans
    mentions, others = _mentions(ioana), _mentions(dana)
    _group(mentions + others)
    _group(mentions, others)
    choice = PlanSplitChoice.objects.get(plan=dana)
    url = reverse("plan_split", args=[choice.pk])
    carla = signed_in(world.users["care_coordinator"])
    assert url in carla.get(reverse("plan_detail", args=[case.pk, dana.pk])).content.decode()
    part = _entity_of(others[0])
    page = carla.get(url).content.decode()
    assert f'value="{part.pk}"' in page and NGO_VICTIM[1] in page
    for persona in ("police_analyst", "ngo_worker"):
        client = signed_in(world.users[persona])
        assert client.get(url).status_code == 200
        assert client.post(url, {"entity": part.pk}).status_code == 403
    outsider = signed_in(world.users["outsider"])
    assert outsider.get(url).status_code == 404
    assert outsider.post(url, {"entity": part.pk}).status_code == 404
    carla = signed_in(world.users["care_coordinator"])
    assert carla.post(url, {"entity": part.pk}).status_code == 302
    dana.refresh_from_db()
    assert dana.entity_id == part.pk


def test_merges_and_splits_through_the_api_per_persona(
    world: World, proposed: tuple[Case, Plan, Plan, PlanMerge], token_client: TokenClient
) -> None:
    case, ioana, dana, merge = proposed
    detail = f"/api/v1/plan-merges/{merge.pk}/"
    outsider = token_client(world.users["outsider"])
    assert outsider.get(detail).status_code == 404
    assert outsider.post(f"{detail}answer/", {"agrees": True}, format="json").status_code == 404
    police = token_client(world.users["police_analyst"])
    data = police.get(detail).json()
    assert data["status"] == "open" and data["you_answer_for"] is None
    assert {p["reference"] for p in data["plans"]} == {ioana.reference, dana.reference}
    assert police.post(f"{detail}answer/", {"agrees": True}, format="json").status_code == 403
    carla = token_client(world.users["care_coordinator"])
    assert carla.get(detail).json()["you_answer_for"] == case.reference
    missing = carla.post(f"{detail}answer/", {"agrees": False}, format="json")
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "reason"
    answered = carla.post(
        f"{detail}answer/", {"agrees": True, "kept_plan": ioana.pk}, format="json"
    )
    assert answered.status_code == 200, answered.json()
    assert answered.json()["status"] == "merged" and answered.json()["kept_plan"] == ioana.pk
    again = carla.post(f"{detail}answer/", {"agrees": True}, format="json")
    assert again.status_code in (403, 409)

    # A split through the API: linkage parts Ioana's and Dana's mentions again.
    together = Mention.objects.filter(entity_id=ioana.entity_id)
    mentions = list(together.filter(caption__contains=VICTIM_NAME[1]).values_list("pk", flat=True))
    dana_mentions = list(together.exclude(pk__in=mentions).values_list("pk", flat=True))
    assert mentions and dana_mentions
    _group(mentions, dana_mentions)
    choice = PlanSplitChoice.objects.get(plan=ioana)
    split = f"/api/v1/plan-splits/{choice.pk}/"
    assert outsider.get(split).status_code == 404
    assert outsider.post(f"{split}choose/", {"entity": 1}, format="json").status_code == 404
    options = carla.get(split).json()["options"]
    assert len(options) == 2 and sum(o["original"] for o in options) == 1
    wrong = carla.post(f"{split}choose/", {"entity": dana.entity_id}, format="json")
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "entity"
    original = next(o["entity"] for o in options if o["original"])
    chosen = carla.post(f"{split}choose/", {"entity": original}, format="json")
    assert chosen.status_code == 200 and chosen.json()["chosen"] == original


@pytest.mark.parametrize("chunk", [1000, 2])
def test_merges_of_people_without_plans_cost_one_query_for_all(
    world: World, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch run announces thousands of merges at once; for people without plans the cases
    context looks them up (or, for many, reads every plan's person) once and does nothing."""
    monkeypatch.setattr(subscribers, "PLAN_LOOKUP_CHUNK", chunk)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from schakel.entities.events import entities_regrouped

    people = [Entity.objects.create(schema="Person", caption=f"P{n}") for n in range(6)]
    merges = [(kept.pk, [gone.pk]) for kept, gone in zip(people[::2], people[1::2], strict=True)]
    with CaptureQueriesContext(connection) as queries:
        entities_regrouped.send(sender=Entity, merges=merges, splits=[])
    assert len(queries) == 1
    assert not PlanMerge.objects.exists()
