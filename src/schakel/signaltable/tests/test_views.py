"""Signal-table pages per persona: what each sees, what the chair does, and the outsider's 404."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
import time_machine
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from schakel.audit.models import AuditEntry
from schakel.audit.services import start_collecting
from schakel.signals.models import Signal
from schakel.signals.tests.factories import SUSPECT_NAME
from schakel.signaltable import services
from schakel.signaltable.models import Decision, Meeting, Outcome
from schakel.signaltable.services import ActionInput
from schakel.signaltable.tests.helpers import SignIn, distinct_signal, street, suspect, victim
from schakel.signaltable.views import minutes_html
from schakel.tasks.models import Task
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db

VICTIM = ("Ioana", "Popescu", date(1999, 3, 4))
ADDRESS = "Ginnekenweg"


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    with time_machine.travel("2026-11-29 10:00", tick=True):
        yield


def _pair(
    world: World,
    tlp: str = "AMBER",
    reporters: tuple[str, str] = ("care_coordinator", "ngo_worker"),
) -> list[Signal]:
    """Two signals about the same victim (name and date of birth) at the same address, with
    a suspect each, from two partners (by default the municipality and the NGO)."""
    return [
        distinct_signal(
            world.users[user],
            groups=[world.table_a],
            tlp=tlp,
            persons=[victim(*VICTIM), suspect(*SUSPECT_NAME)],
            addresses=[street(ADDRESS, "12a")],
        )
        for user in reporters
    ]


def _section(page: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}".*?</(ul|table|dl)>', page, re.S)
    assert match, testid
    return match.group(0)


def _url(name: str, meeting: Meeting) -> str:
    return reverse(name, args=[meeting.pk])


def _get(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_chair_sees_the_bundle_with_every_link_and_value(
    world: World, meeting: Meeting, signed_in: SignIn
) -> None:
    a, b = _pair(world)
    page = _get(
        signed_in(world.users["care_coordinator"]),
        reverse("signaltable_meeting", args=[meeting.pk]),
    )
    assert page.count('data-testid="bundle"') == 1
    links = _section(page, "bundle-links")
    assert a.reference in links and b.reference in links
    assert "Ioana Popescu, 04-03-1999" in links and f"{ADDRESS} 12a" in links
    known = _section(page, "bundle-known")
    assert "Popescu" in known and world.ngo_a.name in known
    assert 'data-testid="decision-form"' in page


def test_the_police_see_a_hit_and_a_contact_instead_of_the_victim(
    world: World, meeting: Meeting, signed_in: SignIn
) -> None:
    _pair(world)
    page = _get(
        signed_in(world.users["police_analyst"]), reverse("signaltable_meeting", args=[meeting.pk])
    )
    assert "Popescu" not in page and "1999" not in page
    links = _section(page, "bundle-links")
    # The person link shows only that a person is shared, and whom to ask: the municipality,
    # whose signal holds the victim as care details. The address is general: shown.
    assert "Gemeente Breda" in links and f"{ADDRESS} 12a" in links
    assert SUSPECT_NAME[1] in page  # justice details: the police see the suspect
    assert 'data-testid="bundle-hits"' in page
    assert 'data-testid="decision-form"' not in page  # members see, chairs decide


def test_civil_society_sees_only_hits_on_the_agenda(
    world: World, meeting: Meeting, signed_in: SignIn
) -> None:
    _pair(world, tlp="GREEN", reporters=("care_coordinator", "police_analyst"))
    page = _get(
        signed_in(world.users["ngo_worker"]), reverse("signaltable_meeting", args=[meeting.pk])
    )
    # The postcode with its letters: "4811" alone may turn up in a random token on the page.
    for hidden in ("Popescu", "Ioana", *SUSPECT_NAME, ADDRESS, "4811 AA", "4811AA"):
        assert hidden not in page, hidden
    links = _section(page, "bundle-links")
    assert "Gemeente Breda" in links and world.police_a.name in links
    assert 'data-testid="bundle-hits"' in page


def test_showing_the_agenda_writes_one_audit_entry_listing_what_was_shown(
    world: World, meeting: Meeting, signed_in: SignIn
) -> None:
    a, b = _pair(world)
    client = signed_in(world.users["police_analyst"])
    before = AuditEntry.objects.count()
    _get(client, reverse("signaltable_meeting", args=[meeting.pk]))
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.order_by("-position").first()
    assert entry is not None and entry.action == "read"
    assert entry.object_ids["signals.signal"] == sorted([a.pk, b.pk])
    shown_persons = entry.object_ids["signals.personmention"]
    # Only the suspects: the victims were not shown to the police.
    assert sorted(shown_persons) == sorted(
        p.pk for s in (a, b) for p in s.persons.filter(role="suspect")
    )


def test_the_chair_records_a_decision_on_the_page(
    world: World, meeting: Meeting, signed_in: SignIn
) -> None:
    a, b = _pair(world)
    client = signed_in(world.users["care_coordinator"])
    response = client.post(
        reverse("signaltable_decide", args=[meeting.pk]),
        {
            "signals": f"{a.pk},{b.pk}",
            "outcome": Outcome.REFER,
            "refer_to": world.ngo_a.pk,
            "rationale": "Hulpverlening eerst.",
            "actions-TOTAL_FORMS": "2",
            "actions-INITIAL_FORMS": "0",
            "actions-0-organisation": world.ngo_a.pk,
            "actions-0-title": "Contact leggen",
            "actions-0-due_date": "2026-12-10",
            "actions-1-organisation": "",
            "actions-1-title": "",
        },
    )
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert decision.refer_to == world.ngo_a and set(decision.signals.all()) == {a, b}
    task = Task.objects.get(subject_id=str(decision.pk))
    assert task.owner_organisation == world.ngo_a and task.due_date == date(2026, 12, 10)
    page = _get(client, reverse("signaltable_meeting", args=[meeting.pk]))
    assert 'data-testid="agenda-empty"' in page and 'data-testid="decided"' in page


def test_a_decision_with_problems_shows_the_bundle_and_the_form_again(
    world: World, meeting: Meeting, signed_in: SignIn
) -> None:
    a, b = _pair(world)
    client = signed_in(world.users["care_coordinator"])
    response = client.post(
        reverse("signaltable_decide", args=[meeting.pk]),
        {
            "signals": f"{a.pk},{b.pk}",
            "outcome": Outcome.REFER,
            "rationale": "",
            "actions-TOTAL_FORMS": "1",
            "actions-INITIAL_FORMS": "0",
            "actions-0-organisation": world.police_a.pk,
            "actions-0-title": "",
        },
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"refer_to", "rationale"}
    assert response.context["actions"].forms[0].errors["title"]
    assert a.reference in response.content.decode()
    assert not Decision.objects.exists()


@pytest.mark.parametrize("bad", ["abc", "²", "٣", "-1", str(2**63), "99999999999999999999"])
def test_a_decision_on_a_value_that_is_no_signal_id_is_refused(
    world: World, meeting: Meeting, signed_in: SignIn, bad: str
) -> None:
    """Only ASCII digits within the database's ids are looked up: int() takes "٣", and SQLite
    fails on an integer over 64 bits. The rest are unknown signals, and nothing is decided."""
    a, _ = _pair(world)
    client = signed_in(world.users["care_coordinator"])
    response = client.post(
        reverse("signaltable_decide", args=[meeting.pk]),
        {
            "signals": f"{a.pk},{bad}",
            "outcome": Outcome.NO_ACTION,
            "rationale": "Geen aanwijzingen.",
            "actions-TOTAL_FORMS": "0",
            "actions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302  # back to the meeting, with the form's message
    assert not Decision.objects.exists()


def test_a_member_who_does_not_chair_cannot_decide_or_plan(
    world: World, meeting: Meeting, signed_in: SignIn
) -> None:
    a, _ = _pair(world)
    client = signed_in(world.users["police_analyst"])
    response = client.post(
        reverse("signaltable_decide", args=[meeting.pk]),
        {"signals": str(a.pk), "outcome": Outcome.NO_ACTION, "rationale": "x"},
    )
    assert response.status_code == 403
    assert (
        client.get(reverse("signaltable_meeting_create", args=[world.table_a.pk])).status_code
        == 403
    )
    assert not Decision.objects.exists()


def test_the_chair_plans_a_meeting_and_records_who_came(world: World, signed_in: SignIn) -> None:
    client = signed_in(world.users["care_coordinator"])
    response = client.post(
        reverse("signaltable_meeting_create", args=[world.table_a.pk]),
        {"starts_at": "2026-12-10T09:30", "location": "Stadskantoor"},
    )
    meeting = Meeting.objects.get()
    assert response["Location"] == reverse("signaltable_meeting", args=[meeting.pk])
    assert timezone.localtime(meeting.starts_at).hour == 9
    client.post(
        reverse("signaltable_progress", args=[meeting.pk]),
        {
            "status": "held",
            "location": "Stadskantoor",
            "present_organisations": [world.municipality_a.pk, world.police_a.pk],
        },
    )
    meeting.refresh_from_db()
    assert meeting.status == "held"
    assert set(meeting.present_organisations.all()) == {world.municipality_a, world.police_a}
    table = _get(client, reverse("signaltable_table", args=[world.table_a.pk]))
    assert reverse("signaltable_meeting", args=[meeting.pk]) in table


def test_a_meeting_update_that_cannot_be_saved_says_which_field(
    world: World, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    client.post(
        reverse("signaltable_meeting_create", args=[world.table_a.pk]),
        {"starts_at": "2026-12-10T09:30", "location": "Stadskantoor"},
    )
    meeting = Meeting.objects.get()
    page = client.post(
        reverse("signaltable_progress", args=[meeting.pk]), {"location": "Elders"}, follow=True
    ).content.decode()
    assert "Het overleg is niet bijgewerkt: Status: Dit veld is vereist." in page
    meeting.refresh_from_db()
    assert meeting.location == "Stadskantoor"


def _decided(world: World, meeting: Meeting) -> Decision:
    a, b = _pair(world)
    decision = services.record_decision(
        meeting,
        [a.pk, b.pk],
        outcome=Outcome.OPEN_CASE,
        rationale="Patroon bij meerdere partners.",
        actions=[
            ActionInput(world.police_a, "Adres natrekken", date(2026, 12, 10)),
            ActionInput(world.municipality_a, "Opvang regelen", date(2026, 12, 2)),
        ],
        actor=world.users["care_coordinator"],
    )
    services.update_meeting(
        meeting,
        status="held",
        location="",
        present_organisations=[world.municipality_a, world.police_a],
        actor=world.users["care_coordinator"],
    )
    return decision


def test_the_minutes_show_who_came_the_bundles_decisions_and_actions(
    world: World, meeting: Meeting, signed_in: SignIn
) -> None:
    decision = _decided(world, meeting)
    page = _get(
        signed_in(world.users["care_coordinator"]),
        reverse("signaltable_minutes", args=[meeting.pk]),
    )
    present = _section(page, "present")
    assert world.municipality_a.name in present and world.ngo_a.name not in present
    assert page.count('data-testid="minutes-entry"') == 1
    assert "Patroon bij meerdere partners." in page and "Popescu" in page
    actions = _section(page, "actions")
    assert "Adres natrekken" in actions and "Opvang regelen" in actions
    assert '<style media="print">' in page
    assert reverse("signaltable_minutes_pdf", args=[meeting.pk]) in page
    history = _get(
        signed_in(world.users["police_analyst"]),
        reverse("signaltable_decisions", args=[world.table_a.pk]),
    )
    assert f"#{decision.pk}" in history


def test_the_minutes_of_the_police_hide_the_victim_in_the_page_and_the_pdf(
    world: World, meeting: Meeting, signed_in: SignIn
) -> None:
    _decided(world, meeting)
    police = world.users["police_analyst"]
    client = signed_in(police)
    page = _get(client, reverse("signaltable_minutes", args=[meeting.pk]))
    assert "Popescu" not in page and SUSPECT_NAME[1] in page
    response = client.get(reverse("signaltable_minutes_pdf", args=[meeting.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-") and b"%%EOF" in response.content[-32:]
    assert "no-store" in response["Cache-Control"]
    # The PDF is made of this HTML, built for the same reader under the same policy.
    request = RequestFactory().get("/")
    request.user = police
    start_collecting(request)
    html = minutes_html(request, meeting)
    assert "Popescu" not in html and SUSPECT_NAME[1] in html and "Adres natrekken" in html
    assert "<link" not in html and "<img" not in html  # self-contained: nothing to fetch


def test_the_pdf_download_is_audited_like_the_page(
    world: World, meeting: Meeting, signed_in: SignIn
) -> None:
    decision = _decided(world, meeting)
    client = signed_in(world.users["care_coordinator"])
    before = AuditEntry.objects.count()
    client.get(reverse("signaltable_minutes_pdf", args=[meeting.pk]))
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.order_by("-position").first()
    assert entry is not None and entry.action == "read"
    assert entry.object_ids["signaltable.decision"] == [decision.pk]
    assert len(entry.object_ids["signals.signal"]) == 2


def test_the_dashboard_shows_open_signals_tasks_due_and_recent_decisions(
    world: World, meeting: Meeting, signed_in: SignIn
) -> None:
    carla = world.users["care_coordinator"]
    decision = _decided(world, meeting)
    waiting = distinct_signal(carla, groups=[world.table_a])
    someone_elses = distinct_signal(world.users["police_analyst"], groups=[world.table_a])
    far_task = Task.objects.create(
        owner_organisation=world.municipality_a, title="Later", due_date=date(2027, 3, 1)
    )
    page = _get(signed_in(carla), reverse("signaltable_dashboard"))
    open_signals = _section(page, "open-signals")
    assert waiting.reference in open_signals and someone_elses.reference not in open_signals
    tasks = _section(page, "tasks-due")
    assert "Opvang regelen" in tasks and "Adres natrekken" not in tasks  # the police's task
    assert far_task.title not in tasks
    decisions = _section(page, "recent-decisions")
    assert decision.get_outcome_display() in decisions
    assert world.table_a.name in _section(page, "tables")


def test_the_navigation_offers_signal_tables_to_members_only(
    world: World, signed_in: SignIn
) -> None:
    url = reverse("signaltable_dashboard")
    assert f'href="{url}"' in _get(signed_in(world.users["police_analyst"]), reverse("home"))
    assert f'href="{url}"' not in _get(signed_in(world.users["front_desk"]), reverse("home"))
    assert f'href="{url}"' not in _get(
        signed_in(world.users["national_coordinator"]), reverse("home")
    )


def test_it_checks_access(world: World, meeting: Meeting, signed_in: SignIn) -> None:
    decision = _decided(world, meeting)
    a = decision.signals.first()
    assert a is not None
    outsider = signed_in(world.users["outsider"])
    for name, args in (
        ("signaltable_meeting", [meeting.pk]),
        ("signaltable_minutes", [meeting.pk]),
        ("signaltable_minutes_pdf", [meeting.pk]),
        ("signaltable_correct", [meeting.pk, decision.pk]),
        ("signaltable_table", [world.table_a.pk]),
        ("signaltable_decisions", [world.table_a.pk]),
        ("signaltable_meeting_create", [world.table_a.pk]),
    ):
        assert outsider.get(reverse(name, args=args)).status_code == 404, name
    for name, args, data in (
        ("signaltable_decide", [meeting.pk], {"signals": str(a.pk), "outcome": "no_action"}),
        ("signaltable_progress", [meeting.pk], {"status": "closed"}),
        (
            "signaltable_correct",
            [meeting.pk, decision.pk],
            {"outcome": "no_action", "rationale": "x", "reason": "y"},
        ),
        ("signaltable_meeting_create", [world.table_a.pk], {"starts_at": "2026-12-10T09:30"}),
    ):
        assert outsider.post(reverse(name, args=args), data).status_code == 404, name
    assert Decision.objects.count() == 1 and Meeting.objects.count() == 1
    meeting.refresh_from_db()
    assert meeting.status == "held"
    dashboard = _get(outsider, reverse("signaltable_dashboard"))
    assert world.table_a.name not in dashboard and "Patroon" not in dashboard
    assert world.table_a.name not in _get(outsider, reverse("signaltable_tables"))


def test_the_decision_form_on_the_agenda_posts_what_the_decide_view_reads(
    world: World, meeting: Meeting, signed_in: SignIn
) -> None:
    a, b = _pair(world)
    client = signed_in(world.users["care_coordinator"])
    page = _get(client, _url("signaltable_meeting", meeting))
    start = page.index('data-testid="decision-form"')
    form = page[start : page.index("</form>", start)]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    names = set(re.findall(r'name="([^"]+)"', form))
    assert fields["signals"] == f"{a.pk},{b.pk}"
    assert {"outcome", "refer_to", "rationale", "actions-0-organisation"} <= names
    # Every control has a label.
    for control_id in re.findall(r'<(?:select|textarea|input) [^>]*id="([^"]+)"', form):
        assert f'for="{control_id}"' in form, control_id
    response = client.post(
        reverse("signaltable_decide", args=[meeting.pk]),
        {
            **fields,
            "outcome": Outcome.MONITOR,
            "rationale": "Volgen.",
            "actions-0-organisation": str(world.police_a.pk),
            "actions-0-title": "Meekijken",
        },
    )
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert decision.outcome == Outcome.MONITOR and decision.actions.get().title == "Meekijken"


def test_markup_in_what_partners_wrote_is_escaped_on_the_agenda_list_and_minutes(
    world: World, meeting: Meeting, signed_in: SignIn
) -> None:
    markup = '<img src=x onerror="alert(1)">'
    signals = [
        distinct_signal(
            world.users[user],
            groups=[world.table_a],
            description=f"{markup} Acht mensen boven een winkel.",
            persons=[victim(f"{markup}Ioana", "Popescu", date(1999, 3, 4))],
            addresses=[street(f"{markup}Ginnekenweg", "12a")],
        )
        for user in ("care_coordinator", "ngo_worker")
    ]
    chair = signed_in(world.users["care_coordinator"])
    pages = {
        "agenda": _get(chair, reverse("signaltable_meeting", args=[meeting.pk])),
        "list": _get(chair, reverse("signal_list")),
        "detail": _get(chair, reverse("signal_detail", args=[signals[0].reference])),
        "minutes": _get(chair, reverse("signaltable_minutes", args=[meeting.pk])),
    }
    assert pages["agenda"].count('data-testid="bundle"') == 1
    for name, page in pages.items():
        assert "<img src=x" not in page, name
    # Where the text is shown, it is shown as text (the list shows no free text).
    for name in ("agenda", "detail"):
        assert "&lt;img src=x" in pages[name], name


def test_markup_in_a_decided_bundle_is_text_in_the_minutes_page_and_pdf(
    world: World, meeting: Meeting, signed_in: SignIn
) -> None:
    markup = '<img src=x onerror="alert(1)">'
    signals = [
        distinct_signal(
            world.users[user],
            groups=[world.table_a],
            description=f"{markup} Acht mensen boven een winkel.",
            persons=[victim(f"{markup}Ioana", "Popescu", date(1999, 3, 4))],
            addresses=[street(f"{markup}Ginnekenweg", "12a")],
        )
        for user in ("care_coordinator", "ngo_worker")
    ]
    carla = world.users["care_coordinator"]
    services.record_decision(
        meeting,
        [s.pk for s in signals],
        outcome=Outcome.MONITOR,
        rationale=f"{markup} Meer signalen afwachten.",
        actions=[ActionInput(world.police_a, f"{markup}Adres natrekken", date(2026, 12, 10))],
        actor=carla,
    )
    services.update_meeting(
        meeting,
        status="held",
        location=f"{markup}Stadskantoor",
        present_organisations=[world.municipality_a, world.police_a],
        actor=carla,
    )
    page = _get(signed_in(carla), reverse("signaltable_minutes", args=[meeting.pk]))
    request = RequestFactory().get("/")
    request.user = carla
    start_collecting(request)
    meeting.refresh_from_db()
    pdf_html = minutes_html(request, meeting)
    escaped = "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"
    for name, html in (("page", page), ("pdf", pdf_html)):
        assert "<img src=x" not in html, name
        # Each text partners wrote is there, as text: rationale, action, place, names.
        for text in (" Meer signalen afwachten", "Adres natrekken", "Stadskantoor", "Ioana"):
            assert f"{escaped}{text}" in html, (name, text)
    response = signed_in(carla).get(reverse("signaltable_minutes_pdf", args=[meeting.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
