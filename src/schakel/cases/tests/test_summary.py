"""The case summary per persona, as a page and as a PDF: the care coordinator reads the care
details, the police analyst what label and purpose allow, the NGO worker its own contributions,
the outsider gets 404 for both. Hidden details are absent from the HTML and from the text of
the PDF itself; the TLP label heads the page and every PDF page; one audit entry per request;
the number of queries does not grow with the case's signals."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from schakel.audit.models import AuditEntry
from schakel.cases import handovers, persons, plans
from schakel.cases.models import Case, CasePerson, Plan, PlanAction
from schakel.cases.summary import build_summary
from schakel.cases.tests.helpers import SignIn, municipality_signal, ngo_signal, open_case
from schakel.cases.tests.plan_helpers import plan_of
from schakel.cases.tests.test_timeline import BASIS, REVIEW, SAFETY_ACTION, SHELTER_ACTION
from schakel.partners.models import Organisation, OrganisationFunction
from schakel.partners.services import create_user
from schakel.partners.vocabulary import Function, Role, Sector
from schakel.signals.models import Signal
from schakel.signals.tests.factories import SUSPECT_NAME, VICTIM_NAME
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db

OBJECTIVE = "Een veilige opvangplek"
HANDOVER_REASON = "Cliënte verhuist naar Tilburg"


def _pdf_objects(data: bytes) -> tuple[dict[int, bytes], dict[int, bytes]]:
    """A PDF's objects (their dictionaries) and decompressed streams, by number, including
    those packed in object streams (as WeasyPrint writes them)."""
    objects: dict[int, bytes] = {}
    streams: dict[int, bytes] = {}
    for number, body in re.findall(rb"(\d+) 0 obj\s*(.*?)endobj", data, re.S):
        head, _, rest = body.partition(b"stream")
        objects[int(number)] = head
        if rest:
            raw = rest.lstrip(b"\r\n").rsplit(b"endstream", 1)[0]
            streams[int(number)] = zlib.decompress(raw) if b"/FlateDecode" in head else raw
    for number, head in list(objects.items()):
        if b"/ObjStm" in head:
            content = streams[number]
            found = re.search(rb"/First (\d+)", head)
            assert found is not None
            first = int(found.group(1))
            pairs = list(map(int, content[:first].split()))
            offsets = list(zip(pairs[::2], pairs[1::2], strict=True))
            ends = [offset for _, offset in offsets[1:]] + [len(content) - first]
            for (inner, offset), end in zip(offsets, ends, strict=True):
                objects[inner] = content[first + offset : first + end]
    return objects, streams


def pdf_text(data: bytes) -> str:
    """The text a reader of the PDF sees: the page contents decoded through each font's
    ToUnicode map, and the outline's (bookmarks') titles. Enough for WeasyPrint's output
    (Flate streams, object streams, two-byte CID fonts); whitespace is normalised."""
    objects, streams = _pdf_objects(data)

    def to_unicode(number: int) -> dict[bytes, str]:
        table: dict[bytes, str] = {}
        cmap = streams[number]
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
            for source, target in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                table[bytes.fromhex(source.decode())] = bytes.fromhex(target.decode()).decode(
                    "utf-16-be"
                )
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
            pattern = rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>"
            for low, high, target in re.findall(pattern, block):
                start, base = int(low, 16), int(target, 16)
                for code in range(start, int(high, 16) + 1):
                    table[code.to_bytes(len(low) // 2, "big")] = chr(base + code - start)
        return table

    fonts = {}
    for number, head in objects.items():
        found = re.search(rb"/ToUnicode (\d+) 0 R", head)
        if found:
            fonts[number] = to_unicode(int(found.group(1)))
    by_name = {}
    for head in objects.values():
        for name, number in re.findall(rb"/([^\s/<>\[\]()]+) (\d+) 0 R", head):
            if int(number) in fonts:
                by_name[name] = fonts[int(number)]
    out: list[str] = []
    token = re.compile(rb"/(\S+)\s+[\d.]+\s+Tf|<([0-9A-Fa-f]*)>|\b(Tm|Td|TD|T\*|ET)\b")
    for number, content in streams.items():
        if b"/Length1" in objects[number] or b"Tf" not in content:
            continue  # a font file, or no text
        table: dict[bytes, str] = {}
        for match in token.finditer(content):
            if match.group(1):
                table = by_name.get(match.group(1), {})
            elif match.group(2) is not None:
                raw = bytes.fromhex(match.group(2).decode())
                out.append("".join(table.get(raw[i : i + 2], "") for i in range(0, len(raw), 2)))
            else:
                out.append(" ")
    title = rb"/Title (?:\(((?:[^()\\]|\\.)*)\)|<feff([0-9A-Fa-f]*)>)"
    for head in objects.values():
        for literal, utf16 in re.findall(title, head):
            text = literal.decode("latin-1") if literal else bytes.fromhex(utf16.decode())
            out.append(" " + (text if isinstance(text, str) else text.decode("utf-16-be")))
    return " ".join("".join(out).split())


def _plain(html: str) -> str:
    """The page's text with whitespace normalised, as the PDF's is."""
    return " ".join(html.split())


@dataclass
class Story:
    case: Case
    plan: Plan
    victim: CasePerson
    municipality_signal: Signal
    ngo_signal: Signal
    shelter_action: PlanAction


@pytest.fixture
def story(world: World) -> Story:
    """The municipality's case about Ioana Popescu (a Dublin claimant, so under a transfer
    hold), with the NGO's signal; her plan with a care objective, an overdue care action of
    the NGO, a justice action of the police and a review; a handover waiting for an answer."""
    carla = world.users["care_coordinator"]
    liaison = Organisation.objects.create(
        name="IND Liaison Zuid", sector=Sector.IMMIGRATION_SERVICE, region=world.region_a
    )
    OrganisationFunction.objects.create(organisation=liaison, function=Function.IMMIGRATION_LIAISON)
    receiving = Organisation.objects.create(
        name="Gemeente Tilburg", sector=Sector.MUNICIPALITY, region=world.region_a
    )
    create_user(receiving, "rita", roles=[Role.COORDINATOR], email="rita@example.test")
    # A few days ago: the NGO's action was due yesterday.
    with time_machine.travel("2026-11-26 10:00", tick=False):
        mine, ngo = municipality_signal(world), ngo_signal(world)
        case = open_case(world, [mine, ngo])
        victim = case.people.get(entity__caption__contains=VICTIM_NAME[1])
        persons.record_trafficking_status(
            victim,
            "possible_victim",
            deciding_organisation=world.municipality_a,
            decided_on=date(2026, 11, 26),
            basis=BASIS,
            actor=carla,
        )
        persons.record_migration_status(victim, "dublin_claimant", actor=carla)
        persons.offer_reflection_period(
            victim, offered_on=date(2026, 11, 26), offered_by=world.municipality_a, actor=carla
        )
        plan = plan_of(case)
        plans.add_objective(plan, "shelter", f"{OBJECTIVE}.", actor=carla)
        shelter_action = plans.add_action(
            plan,
            domain="shelter",
            description=SHELTER_ACTION,
            owner_organisation=world.ngo_a,
            due_date=date(2026, 11, 28),
            actor=carla,
        )
        plans.add_action(
            plan,
            domain="safety",
            description=SAFETY_ACTION,
            owner_organisation=world.police_a,
            due_date=date(2026, 12, 15),
            actor=carla,
        )
        plans.record_review(plan, reviewed_on=date(2026, 11, 26), summary=REVIEW, actor=carla)
        handovers.request_handover(
            case, to_organisation=receiving, reason=HANDOVER_REASON, actor=carla
        )
    return Story(Case.objects.get(pk=case.pk), plan, victim, mine, ngo, shelter_action)


def _page(client: Any, case: Case) -> str:
    response = client.get(reverse("case_summary", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.status_code
    return _plain(response.content.decode())


def _pdf(client: Any, case: Case) -> str:
    response = client.get(reverse("case_summary_pdf", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-") and b"%%EOF" in response.content[-32:]
    return pdf_text(response.content)


def test_the_care_coordinator_reads_the_care_details_in_the_page_and_the_pdf(
    world: World, story: Story, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    page, pdf = _page(client, story.case), _pdf(client, story.case)
    for seen in (page, pdf):
        assert f"Case summary {story.case.reference}" in seen
        assert "TLP:AMBER" in seen
        # The header: status, lead, care coordinator, region, purpose, and for whom.
        assert "Active" in seen and world.municipality_a.name in seen
        assert "Carla Zorg" in seen and world.region_a.name in seen
        assert "Generated for Carla Zorg (Gemeente Breda)" in seen
        # The people with their statuses, the reflection period.
        assert VICTIM_NAME[1] in seen and SUSPECT_NAME[1] in seen and BASIS in seen
        assert "Dublin claimant" in seen and "days left" in seen
        # The plan: objective, actions with owner, due date and status, the reviews.
        assert OBJECTIVE in seen and SHELTER_ACTION in seen and SAFETY_ACTION in seen
        assert world.ngo_a.name in seen and "overdue" in seen
        assert REVIEW in seen and "Next review" in seen
        # The hold, the open handover, the signals, the recent events.
        assert "Dublin transfer holds in place" in seen
        assert HANDOVER_REASON in seen and "Gemeente Tilburg" in seen
        assert story.municipality_signal.reference in seen
        assert story.ngo_signal.reference in seen
        assert "Recent events" in seen and "Case opened" in seen
    assert "Open tasks" in page and "Dublin transfer hold (case" not in page  # not theirs
    assert reverse("case_summary_pdf", args=[story.case.pk]) in page
    case_page = client.get(reverse("case_detail", args=[story.case.pk])).content.decode()
    assert reverse("case_summary", args=[story.case.pk]) in case_page


def test_the_police_analyst_reads_justice_details_but_no_care_details(
    world: World, story: Story, signed_in: SignIn
) -> None:
    client = signed_in(world.users["police_analyst"])
    page, pdf = _page(client, story.case), _pdf(client, story.case)
    for seen in (page, pdf):
        assert "TLP:AMBER" in seen and "Generated for Piet" in seen
        # What label and purpose allow: the suspect, the justice action, the signals, the hold.
        assert SUSPECT_NAME[1] in seen and SAFETY_ACTION in seen
        assert story.municipality_signal.reference in seen
        assert "Dublin transfer holds in place" in seen
        # Not the care details: the victim, her status's basis, the care objective and
        # action, the review's notes; nor the handover between the lead and another
        # organisation.
        assert VICTIM_NAME[1] not in seen and BASIS not in seen
        assert OBJECTIVE not in seen and SHELTER_ACTION not in seen and REVIEW not in seen
        assert HANDOVER_REASON not in seen and "Gemeente Tilburg" not in seen
        assert "Dublin claimant" not in seen
        # The hidden people are hits, with whom to ask.
        assert "Known, but not shown to you" in seen and "contact Gemeente Breda" in seen


def test_the_ngo_worker_reads_its_own_contributions_only(
    world: World, story: Story, signed_in: SignIn
) -> None:
    client = signed_in(world.users["ngo_worker"])
    page, pdf = _page(client, story.case), _pdf(client, story.case)
    for seen in (page, pdf):
        assert "TLP:AMBER" in seen
        # Its own signal and its own action (a task on its list, overdue).
        assert story.ngo_signal.reference in seen and SHELTER_ACTION in seen
        assert "overdue" in seen
        # Nothing of the others: the municipality's signal, the police's action, the
        # people and their statuses, the review's notes, the care coordinator, the handover.
        assert story.municipality_signal.reference not in seen
        assert SAFETY_ACTION not in seen and BASIS not in seen and REVIEW not in seen
        assert VICTIM_NAME[1] not in seen and SUSPECT_NAME[1] not in seen
        assert "Care coordinator" not in seen and HANDOVER_REASON not in seen


def test_it_checks_access(world: World, story: Story, signed_in: SignIn) -> None:
    outsider = signed_in(world.users["outsider"])
    for name in ("case_summary", "case_summary_pdf"):
        assert outsider.get(reverse(name, args=[story.case.pk])).status_code == 404, name
        assert outsider.get(reverse(name, args=[999999])).status_code == 404, name
    # A RED case is for its lead and care coordinator only: the police get 404 for the PDF.
    red = open_case(world, [municipality_signal(world)], tlp="RED")
    police = signed_in(world.users["police_analyst"])
    assert police.get(reverse("case_summary_pdf", args=[red.pk])).status_code == 404
    assert police.get(reverse("case_summary", args=[red.pk])).status_code == 404
    anonymous = signed_in(world.users["care_coordinator"])
    anonymous.logout()
    response = anonymous.get(reverse("case_summary_pdf", args=[story.case.pk]))
    assert response.status_code == 302


def test_the_pdf_is_marked_with_the_tlp_label_on_every_page_in_its_colour(
    world: World, signed_in: SignIn
) -> None:
    carla = world.users["care_coordinator"]
    red = open_case(world, [municipality_signal(world)], tlp="RED")
    client = signed_in(carla)
    response = client.get(reverse("case_summary_pdf", args=[red.pk]))
    text = pdf_text(response.content)
    footers = re.findall(r"\b(\d+) / (\d+)\b", text)
    pages = int(footers[-1][1])
    assert [int(n) for n, _ in footers] == list(range(1, pages + 1))
    # At the top of the body and in its sharing facts, and in each page's header and footer.
    assert text.count("TLP:RED") == 2 + 2 * pages
    assert "TLP:AMBER" not in text
    # Coloured as TLP 2.0 says: red (#FF2B2B) text on black.
    drawing = b"".join(_pdf_objects(response.content)[1].values())
    assert b"1 0.168627 0.168627 rg" in drawing and b"0 0 0 rg" in drawing
    page = client.get(reverse("case_summary", args=[red.pk])).content.decode()
    assert 'data-testid="tlp"' in page and "#FF2B2B" in page
    # The file is named by the case's reference and the day: no personal data.
    disposition = response["Content-Disposition"]
    assert disposition == f'attachment; filename="case-summary-{red.reference}-2026-11-29.pdf"'
    assert "no-store" in response["Cache-Control"]


def test_the_page_and_the_pdf_are_audited_once_each_with_the_case_purpose(
    world: World, story: Story, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    for name in ("case_summary", "case_summary_pdf"):
        before = AuditEntry.objects.count()
        assert client.get(reverse(name, args=[story.case.pk])).status_code == 200
        assert AuditEntry.objects.count() == before + 1, name
        entry = AuditEntry.objects.order_by("-position").first()
        assert entry is not None and entry.action == "read"
        assert entry.purpose == "victim_protection"
        assert entry.object_ids["cases.case"] == [story.case.pk]
        assert story.victim.pk in entry.object_ids["cases.caseperson"]
        assert story.shelter_action.pk in entry.object_ids["cases.planaction"]


def test_the_police_audit_entry_names_no_one_they_were_not_shown(
    world: World, story: Story, signed_in: SignIn
) -> None:
    signed_in(world.users["police_analyst"]).get(reverse("case_summary", args=[story.case.pk]))
    entry = AuditEntry.objects.order_by("-position").first()
    assert entry is not None and entry.action == "read"
    assert story.victim.pk not in entry.object_ids.get("cases.caseperson", [])
    assert story.shelter_action.pk not in entry.object_ids.get("cases.planaction", [])


def test_the_summary_lists_only_the_latest_events(world: World, story: Story) -> None:
    carla = world.users["care_coordinator"]
    everything = build_summary(carla, story.case, recent=1000).events
    latest = build_summary(carla, story.case, recent=3).events
    assert len(everything) > 3 and latest == everything[-3:]


def _case_with_signals(world: World, count: int) -> Case:
    """A case about the municipality's signal and ``count - 1`` more signals naming no one (so
    that the number of people and plans stays the same)."""
    extra = [
        municipality_signal(world, persons=[], companies=[], addresses=[], ibans=[])
        for _ in range(count - 1)
    ]
    return open_case(world, [municipality_signal(world), *extra])


def _queries(client: Any, case: Case) -> int:
    url = reverse("case_summary", args=[case.pk])
    client.get(url)  # the viewer and the rules are loaded once per process
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_number_of_queries_does_not_grow_with_the_number_of_signals(
    world: World, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    few, many = _case_with_signals(world, 2), _case_with_signals(world, 6)
    assert many.signal_links.count() == 6
    page = client.get(reverse("case_summary", args=[many.pk])).content.decode()
    assert all(link.signal.reference in page for link in many.signal_links.all())
    assert _queries(client, many) == _queries(client, few)
