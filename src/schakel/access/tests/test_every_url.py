"""Every page and endpoint that names an object answers an outsider with 404.

The URL map itself is walked: each pattern with a parameter is either filled below with real
objects of the small demo (signals of every label, meetings, decisions, cases, plans, people,
requests, handovers, holds, plan merges and splits, line messages, consents, entities, pairs,
tasks, users, imports, exports, attachments) or listed as not naming anything the access matrix
guards, with the reason. A new pattern that is neither fails
``test_every_pattern_with_a_parameter_is_walked``.

The outsiders are two organisations of a region the demo does not know, each with every role
but the national coordinator's: a municipality and a police force. They are in no sharing
group, no case and no line, so the matrix gives them nothing of anyone else: for each object,
every method answers 404 (or 405 where the method does not exist at that address, which says
nothing about the object). Nothing they send may change anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from io import StringIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db.models import Model, QuerySet
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from schakel.cases.models import (
    Case,
    CaseMessage,
    CasePerson,
    Consent,
    Handover,
    Plan,
    PlanMerge,
    PlanRequest,
    PlanSplitChoice,
    TransferHold,
)
from schakel.cases.vocabulary import RequestKind
from schakel.entities.models import Entity, FtmExport, Judgement, Mention, Suggestion
from schakel.imports.models import ImportJob
from schakel.partners.models import Organisation, Region, RegionContact, SharingGroup, User
from schakel.partners.services import create_user
from schakel.partners.vocabulary import RegionKind, Role, Sector
from schakel.signals import attachments
from schakel.signals.models import Attachment, Signal
from schakel.signaltable.models import Decision, Meeting
from schakel.tasks.models import Task
from schakel.testing.personas import login

pytestmark = pytest.mark.django_db

#: Patterns with a parameter that names nothing the access matrix guards.
NOT_OBJECTS = {
    "password_reset_confirm": "a one-time token for whoever holds the e-mail, not a record",
    "signal_import_template": "the empty import template, the same for everyone",
}

#: Records every signed-in user sees by the matrix (the chain's directory and the contacts
#: published for whoever meets a possible victim); the walk checks they are shown.
DIRECTORY = {
    "organisation-detail": "partners.organisation: relation authenticated",
    "regioncontact-detail": "partners.regioncontact: relation authenticated",
}

#: How many objects of each kind are tried (the first and the last, and one per label).
SAMPLE = 2

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff"
    b"\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _walk(patterns: Iterable[Any], namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, inner)
        elif pattern.name:
            yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), pattern


def _parameters(pattern: URLPattern) -> set[str]:
    return set(pattern.pattern.regex.groupindex)


def patterns_with_parameters() -> list[tuple[str, str, set[str], bool]]:
    """(name to reverse, name without namespace, parameters, served by the REST framework) of
    every pattern outside the Django admin (platform superusers only) that has a parameter."""
    found = []
    for name, pattern in _walk(get_resolver().url_patterns):
        parameters = _parameters(pattern)
        if parameters and not name.startswith("admin:"):
            api = isinstance(getattr(pattern.callback, "cls", None), type)
            found.append((name, name.rsplit(":", 1)[-1], parameters, api))
    return found


def _some(queryset: QuerySet[Any], n: int = SAMPLE) -> list[Any]:
    ordered = list(queryset.order_by("pk"))
    assert ordered, f"the walk needs at least one {queryset.model._meta.label}"
    picked = ordered[: n - 1] + ordered[-1:]
    return list(dict.fromkeys(picked))


def _signals() -> list[Signal]:
    picked: list[Signal] = []
    for label in Signal.objects.order_by().values_list("tlp", flat=True).distinct():
        picked.extend(_some(Signal.objects.filter(tlp=label), 1))
    return picked


def _cases() -> list[Case]:
    picked: list[Case] = []
    for label in Case.objects.order_by().values_list("tlp", flat=True).distinct():
        picked.extend(_some(Case.objects.filter(tlp=label), 1))
    return picked


def _plans() -> list[Plan]:
    return _some(Plan.objects.all())


@dataclass
class Fill:
    """Real parameter values for one family of patterns."""

    parameters: set[str]
    values: Callable[[], list[dict[str, Any]]]


def _by(
    objects: Callable[[], Iterable[Model]], name: str = "pk"
) -> Callable[[], list[dict[str, Any]]]:
    return lambda: [{name: obj.pk} for obj in objects()]


def _case_and(
    key: str, objects: Callable[[], Iterable[Any]], name: str
) -> Callable[[], list[dict[str, Any]]]:
    return lambda: [{key: obj.case_id, name: obj.pk} for obj in objects()]


def _people() -> list[dict[str, Any]]:
    return [{"pk": p.case_id, "person_pk": p.pk} for p in _some(CasePerson.objects.all())]


def _plan_pages() -> list[dict[str, Any]]:
    return [{"pk": plan.case_id, "plan_pk": plan.pk} for plan in _plans()]


def _plan_requests() -> list[dict[str, Any]]:
    return [
        {"pk": plan.case_id, "plan_pk": plan.pk, "kind": kind}
        for plan in _plans()
        for kind in RequestKind.values
    ]


def _task_actions() -> list[dict[str, Any]]:
    return [
        {"pk": task.pk, "action": action}
        for task in _some(Task.objects.all())
        for action in ("start", "complete", "cancel")
    ]


def _imports() -> list[dict[str, Any]]:
    return [{"job_id": job.pk} for job in ImportJob.objects.all()]


def _import_downloads() -> list[dict[str, Any]]:
    return [
        {"job_id": job.pk, "kind": kind}
        for job in ImportJob.objects.all()
        for kind in ("csv", "xlsx")
    ]


def _exports() -> list[dict[str, Any]]:
    return [{"export_id": export.pk} for export in FtmExport.objects.all()]


def _users() -> list[User]:
    return _some(User.objects.exclude(organisation__name__startswith="Buiten"))


def _references() -> list[dict[str, Any]]:
    return [{"reference": signal.reference} for signal in _signals()]


def _attachments() -> list[dict[str, Any]]:
    return [{"reference": a.signal.reference, "pk": a.pk} for a in Attachment.objects.all()]


def _decisions() -> list[dict[str, Any]]:
    return [{"pk": d.meeting_id, "decision_pk": d.pk} for d in _some(Decision.objects.all())]


def _plan_api() -> list[dict[str, Any]]:
    return [{"case_pk": plan.case_id, "pk": plan.pk} for plan in _plans()]


def _entities() -> list[Entity]:
    mentioned = Mention.objects.filter(entity__isnull=False).values("entity_id")
    return _some(Entity.objects.filter(pk__in=mentioned))


FILLS: dict[str, Fill] = {
    # Pages
    **{
        name: Fill({"pk"}, _by(_users))
        for name in (
            "orgadmin_user_edit",
            "orgadmin_user_set_active",
            "orgadmin_user_reset_two_factor",
            "orgadmin_user_invite",
        )
    },
    "task_detail": Fill({"pk"}, _by(lambda: _some(Task.objects.all()))),
    "task_action": Fill({"pk", "action"}, _task_actions),
    "signal_import_progress": Fill({"job_id"}, _imports),
    "signal_import_report": Fill({"job_id"}, _imports),
    "signal_import_result": Fill({"job_id"}, _imports),
    "signal_import_report_download": Fill({"job_id", "kind"}, _import_downloads),
    **{
        name: Fill({"reference"}, _references)
        for name in ("signal_detail", "signal_receipt", "signal_overrule", "signal_retriage")
    },
    "signal_attachment": Fill({"reference", "pk"}, _attachments),
    **{
        name: Fill({"group_pk"}, _by(lambda: SharingGroup.objects.all(), "group_pk"))
        for name in ("signaltable_table", "signaltable_meeting_create", "signaltable_decisions")
    },
    **{
        name: Fill({"pk"}, _by(lambda: Meeting.objects.all()))
        for name in (
            "signaltable_meeting",
            "signaltable_progress",
            "signaltable_decide",
            "signaltable_minutes",
            "signaltable_minutes_pdf",
        )
    },
    "signaltable_correct": Fill({"pk", "decision_pk"}, _decisions),
    **{
        name: Fill({"pk"}, _by(_cases))
        for name in (
            "case_detail",
            "case_status",
            "case_handover_request",
            "case_line",
            "case_consents",
            "case_timeline",
            "case_summary",
            "case_summary_pdf",
        )
    },
    **{
        name: Fill({"pk", "person_pk"}, _people)
        for name in (
            "case_person_trafficking",
            "case_person_migration",
            "case_person_reflection",
        )
    },
    **{
        name: Fill({"pk", "plan_pk"}, _plan_pages)
        for name in ("plan_detail", "plan_objective", "plan_action", "plan_review", "plan_status")
    },
    "plan_request": Fill({"pk", "plan_pk", "kind"}, _plan_requests),
    "plan_request_detail": Fill(
        {"request_pk"}, _by(lambda: PlanRequest.objects.all(), "request_pk")
    ),
    "case_handover": Fill({"handover_pk"}, _by(lambda: Handover.objects.all(), "handover_pk")),
    "case_transfer_hold": Fill({"hold_pk"}, _by(lambda: TransferHold.objects.all(), "hold_pk")),
    "plan_merge": Fill({"merge_pk"}, _by(lambda: PlanMerge.objects.all(), "merge_pk")),
    "plan_split": Fill({"choice_pk"}, _by(lambda: PlanSplitChoice.objects.all(), "choice_pk")),
    "case_line_message": Fill({"message_pk"}, _by(lambda: CaseMessage.objects.all(), "message_pk")),
    "case_consent_withdraw": Fill({"consent_pk"}, _by(lambda: Consent.objects.all(), "consent_pk")),
    "entity_detail": Fill({"pk"}, _by(_entities)),
    "entity_split": Fill({"pk"}, _by(_entities)),
    "entity_export": Fill({"export_id"}, _exports),
    "entity_export_download": Fill({"export_id"}, _exports),
    "api_entity_export": Fill({"export_id"}, _exports),
    "api_entity_export_download": Fill({"export_id"}, _exports),
    "entity_review_judge": Fill({"pk"}, _by(lambda: _some(Suggestion.objects.all()))),
    # A standing judgement and a withdrawal.
    "entity_judgement_withdraw": Fill({"pk"}, _by(lambda: _some(Judgement.objects.all()))),
    # The API (v1, and the paths of before v1 where they exist)
    "organisation-detail": Fill({"pk"}, _by(lambda: _some(Organisation.objects.all()))),
    "regioncontact-detail": Fill({"pk"}, _by(lambda: RegionContact.objects.all())),
    "sharinggroup-detail": Fill({"pk"}, _by(lambda: SharingGroup.objects.all())),
    "user-detail": Fill({"pk"}, _by(_users)),
    **{
        name: Fill({"pk"}, _by(lambda: _some(Task.objects.all())))
        for name in ("task-detail", "task-cancel", "task-complete", "task-start")
    },
    "signal-detail": Fill({"reference"}, _references),
    "signal-retriage": Fill({"reference"}, _references),
    "api_entity_detail": Fill({"pk"}, _by(_entities)),
    "case-detail": Fill({"pk"}, _by(_cases)),
    "case-timeline-list": Fill({"id"}, _by(_cases, "id")),
    **{
        name: Fill({"case_pk"}, _by(_cases, "case_pk"))
        for name in ("case-plan-list", "case-message-list", "case-consent-list")
    },
    **{
        name: Fill({"case_pk", "pk"}, _plan_api)
        for name in (
            "case-plan-detail",
            "case-plan-actions",
            "case-plan-objectives",
            "case-plan-requests",
            "case-plan-reviews",
            "case-plan-status",
        )
    },
    "case-message-detail": Fill(
        {"case_pk", "pk"}, _case_and("case_pk", lambda: CaseMessage.objects.all(), "pk")
    ),
    "case-consent-withdraw": Fill(
        {"case_pk", "pk"}, _case_and("case_pk", lambda: Consent.objects.all(), "pk")
    ),
    **{
        name: Fill({"pk"}, _by(objects))
        for name, objects in (
            ("plan-request-detail", lambda: PlanRequest.objects.all()),
            ("plan-request-answer", lambda: PlanRequest.objects.all()),
            ("handover-detail", lambda: Handover.objects.all()),
            ("handover-answer", lambda: Handover.objects.all()),
            ("transfer-hold-detail", lambda: TransferHold.objects.all()),
            ("transfer-hold-agree", lambda: TransferHold.objects.all()),
            ("plan-merge-detail", lambda: PlanMerge.objects.all()),
            ("plan-merge-answer", lambda: PlanMerge.objects.all()),
            ("plan-split-detail", lambda: PlanSplitChoice.objects.all()),
            ("plan-split-choose", lambda: PlanSplitChoice.objects.all()),
        )
    },
}


def _complete_the_demo() -> None:
    """What the small demo does not make: an attachment, an import, an export of entities
    (finished), a proposed plan merge and
    split (its secured lines hold consents and messages already), an analyst's judgement on a
    pair and the withdrawal of another."""
    signal = Signal.objects.order_by("pk").first()
    assert signal is not None
    owner = User.objects.filter(organisation=signal.owner_organisation).first()
    checked = attachments.check_uploads([SimpleUploadedFile("advert.png", PNG)])
    attachments.attach(signal, checked, user=owner)
    ImportJob.objects.create(
        organisation=signal.owner_organisation,
        created_by=owner,
        file_name="signals.csv",
        file_size=10,
        file_sha256="0" * 64,
        status=ImportJob.Status.CHECKED,
        outcome={"problems": [], "file_problems": []},
    )
    FtmExport.objects.create(
        requested_by=owner,
        status=FtmExport.Status.DONE,
        lines_total=3,
        lines_done=3,
        stored_name="never-written.ftm.jsonl",
    )
    plans = list(Plan.objects.order_by("pk")[:2])
    merge = PlanMerge.objects.create(entity_id=plans[0].entity_id)
    merge.plans.set(plans)
    choice = PlanSplitChoice.objects.create(plan=plans[0], original_id=plans[0].entity_id)
    choice.options.set([plans[0].entity_id, plans[1].entity_id])
    pairs = list(Suggestion.objects.order_by("pk")[:2])
    assert pairs and owner is not None, "the walk needs a pair to judge, and a judge"
    judged = [
        Judgement.objects.create(
            left_id=pair.left_id,
            right_id=pair.right_id,
            verdict=Judgement.Verdict.NOT_SAME,
            reason="Different fathers' names.",
            judged_by=owner,
        )
        for pair in pairs
    ]
    Judgement.objects.create(
        left_id=judged[-1].left_id,
        right_id=judged[-1].right_id,
        verdict=Judgement.Verdict.WITHDRAWN,
        reason="Wrong file opened.",
        withdraws=judged[-1],
        judged_by=owner,
    )


def _outsiders() -> list[User]:
    nl = Region.objects.get(kind=RegionKind.COUNTRY, code="NL")
    elsewhere = Region.objects.create(
        code="PR-BUITEN", name="Buitengebied", kind=RegionKind.REGION, parent=nl, country_code="NL"
    )
    roles = [role for role in Role.values if role != Role.NATIONAL_COORDINATOR]
    made = []
    for sector, username in (
        (Sector.MUNICIPALITY, "buiten-gemeente"),
        (Sector.POLICE, "buiten-politie"),
    ):
        organisation = Organisation.objects.create(
            name=f"Buiten {sector}", sector=sector, region=elsewhere
        )
        made.append(
            create_user(
                organisation,
                username,
                roles=roles,
                password="x" * 20,
                email=f"{username}@example.test",
            )
        )
    return made


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[list[int]]:
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)
        call_command("schakel_demo", size="small", seed=1, stdout=StringIO())
        _complete_the_demo()
        yield [user.pk for user in _outsiders()]
        call_command("flush", interactive=False, verbosity=0)


def test_every_pattern_with_a_parameter_is_walked() -> None:
    found = {
        (short, frozenset(parameters - {"format"}))
        for _, short, parameters, _api in patterns_with_parameters()
    }
    walked = {(name, frozenset(fill.parameters)) for name, fill in FILLS.items()}
    unknown = sorted(name for name, parameters in found - walked if name not in NOT_OBJECTS)
    assert not unknown, f"patterns the outsider walk does not fill: {unknown}"
    gone = sorted(name for name, parameters in walked - found)
    assert not gone, f"filled patterns that no longer exist: {gone}"


def _answers(client: Client, url: str, api: bool) -> dict[str, int]:
    answers = {"GET": client.get(url).status_code}
    if not api:
        answers["POST"] = client.post(url, {}).status_code
    else:
        for method in ("post", "put", "patch", "delete"):
            answers[method.upper()] = getattr(client, method)(
                url, "{}", content_type="application/json"
            ).status_code
    return answers


def _snapshot() -> list[tuple[str, int]]:
    """What the outsiders' requests could have added or deleted: rows per model."""
    from django.apps import apps

    rows = []
    for model in apps.get_models():
        if model._meta.app_label in {"signals", "signaltable", "cases", "entities", "tasks"}:
            rows.append((model._meta.label, model._default_manager.count()))
    return rows


def test_an_outsider_gets_404_for_every_object_at_every_address(demo: list[int]) -> None:
    problems: list[str] = []
    before = _snapshot()
    walked = 0
    for user_pk in demo:
        client = login(Client(), User.objects.get(pk=user_pk))
        for name, short, parameters, api in patterns_with_parameters():
            if short in NOT_OBJECTS:
                continue
            fill = FILLS[short]
            filled = fill.values()
            if not filled:
                problems.append(f"{name}: the demo has nothing to fill it with")
            for values in filled:
                if "format" in parameters:
                    values = {**values, "format": "json"}
                url = reverse(name, kwargs=values)
                answers = _answers(client, url, api)
                walked += 1
                if short in DIRECTORY:
                    if answers["GET"] != 200:
                        problems.append(f"{url}: the directory answers {answers['GET']}")
                    continue
                if set(answers.values()) - {404, 405} or 404 not in answers.values():
                    problems.append(f"{url} ({name}): {answers}")
    assert walked > 150
    assert not problems, "\n".join(problems)
    assert _snapshot() == before


def test_the_walk_would_see_a_page_that_leaks(demo: list[int]) -> None:
    """The same addresses answer those the matrix lets in: the walk's 404s come from the
    policy, not from addresses that do not exist."""
    signal = (
        Signal.objects.exclude(submitted_by__role_set__role=Role.FRONT_DESK)
        .filter(submitted_by__isnull=False)
        .order_by("pk")
        .first()
    )
    assert signal is not None and signal.submitted_by is not None
    owner = login(Client(), signal.submitted_by)
    outsider = login(Client(), User.objects.get(pk=demo[0]))
    for name in ("signal_detail", "v1:signal-detail"):
        url = reverse(name, kwargs={"reference": signal.reference})
        assert owner.get(url).status_code == 200
        assert outsider.get(url).status_code == 404
    case = Case.objects.order_by("pk").first()
    assert case is not None
    lead = (
        User.objects.filter(
            organisation=case.lead_organisation, role_set__role=Role.COORDINATOR
        ).first()
        or User.objects.filter(organisation=case.lead_organisation).first()
    )
    assert lead is not None
    for name in ("case_detail", "v1:case-detail"):
        assert login(Client(), lead).get(reverse(name, kwargs={"pk": case.pk})).status_code == 200
    # A reference that does not exist answers as one the outsider may not see.
    assert outsider.get(reverse("signal_detail", kwargs={"reference": "S-NONE"})).status_code == 404
