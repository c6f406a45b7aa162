"""Entity pages, the signal page's "known elsewhere" panel and the entities API, per persona:
values with provenance where the matrix allows, otherwise hits that carry no hidden data,
no-hit when there is nothing else, and 404 for the outsider."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import time_machine
from django.core.cache import cache
from django.http import HttpResponseBase
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from schakel.audit.models import AuditEntry
from schakel.entities.models import Entity, Mention
from schakel.entities.services import resolve_signals
from schakel.entities.tests.factories import suspect_mention
from schakel.partners.models import User
from schakel.signals.intake import AddressInput, PersonInput
from schakel.signals.models import Signal
from schakel.signals.tests.factories import make_signal
from schakel.testing.personas import World
from schakel.web.api_auth import issue_api_token

pytestmark = pytest.mark.django_db
SignIn = Callable[[User], Client]
HIDDEN_SUSPECT = "Kowalczyk"
#: "Ioana" typed with Cyrillic letters for "ana": two scripts in one word.
MIXED_SCRIPTS_NAME = "Io\u0430\u043d\u0430"


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    cache.clear()
    with time_machine.travel("2026-11-29 10:00", tick=True):
        yield
    cache.clear()


@pytest.fixture
def shared(world: World) -> Signal:
    """The coordinator's signal, shared with signal table A."""
    signal = make_signal(world.users["care_coordinator"], groups=[world.table_a])
    resolve_signals([signal.pk])
    return signal


@pytest.fixture
def unshared(world: World, shared: Signal) -> Signal:
    """The police's own signal with the same bank account, shared with nobody."""
    signal = make_signal(
        world.users["police_analyst"],
        groups=[],
        persons=[PersonInput(role="suspect", given_names="Adam", family_name=HIDDEN_SUSPECT)],
        companies=[],
        addresses=[],
    )
    resolve_signals([signal.pk])
    return signal


def _entity(signal: Signal, schema: str, role: str = "") -> Entity:
    mention = Mention.objects.filter(signal=signal, schema=schema, role=role).get()
    assert mention.entity is not None
    return mention.entity


def _get(client: Client, name: str, *args: object, status: int = 200) -> str:
    response = client.get(reverse(name, args=args))
    assert response.status_code == status
    return response.content.decode()


def test_the_entity_page_shows_each_value_with_who_said_it(
    world: World, shared: Signal, signed_in: SignIn
) -> None:
    victim = _entity(shared, "Person", "possible_victim")
    page = _get(signed_in(world.users["care_coordinator"]), "entity_detail", victim.pk)
    assert "Ioana Popescu" in page
    assert "+31612345678" in page
    assert shared.reference in page
    assert world.municipality_a.name in page
    assert 'data-testid="no-hit"' in page


def test_it_checks_access(world: World, shared: Signal, signed_in: SignIn) -> None:
    victim = _entity(shared, "Person", "possible_victim")
    suspect = _entity(shared, "Person", "suspect")
    outsider = signed_in(world.users["outsider"])
    for entity in (victim, suspect):
        assert _get(outsider, "entity_detail", entity.pk, status=404)
    # The police analyst may see the suspect (justice) but not the possible victim (care).
    police = signed_in(world.users["police_analyst"])
    assert "Popescu" not in _get(police, "entity_detail", victim.pk, status=404)
    assert "Dragomir" in _get(police, "entity_detail", suspect.pk)
    assert _get(police, "entity_detail", 999_999, status=404)
    anonymous = Client().get(reverse("entity_detail", args=[victim.pk]))
    assert anonymous.status_code == 302


def test_elsewhere_is_a_hit_without_the_hidden_data(
    world: World, shared: Signal, unshared: Signal, signed_in: SignIn
) -> None:
    account = _entity(shared, "BankAccount")
    assert _entity(unshared, "BankAccount") == account
    client = signed_in(world.users["care_coordinator"])

    for page in (
        _get(client, "entity_detail", account.pk),
        _get(client, "signal_detail", shared.reference),
    ):
        hit = page.split('data-testid="hit"', 1)[1].split("</", 1)[0]
        assert " 1 " in hit and world.police_a.name in hit
        assert unshared.reference not in page
        assert HIDDEN_SUSPECT not in page
    hits = AuditEntry.objects.filter(action="read", object_type__contains="entities.hit")
    assert hits.count() == 2
    hidden = Mention.objects.get(signal=unshared, schema="BankAccount")
    assert all(entry.object_ids["entities.hit"] == [hidden.pk] for entry in hits)

    # The police see both records of the account in full: no hit.
    police = _get(signed_in(world.users["police_analyst"]), "entity_detail", account.pk)
    assert unshared.reference in police and shared.reference in police
    assert 'data-testid="no-hit"' in police


def test_a_red_signal_is_no_hit_for_those_it_was_not_given_to(
    world: World, shared: Signal, signed_in: SignIn
) -> None:
    """The police's TLP:RED signal names the same bank account and goes to the NGO alone:
    the coordinator learns nothing of it, not even a hit (it was counted as one)."""
    red = make_signal(
        world.users["police_analyst"],
        groups=[],
        tlp="RED",
        recipient_ids=[world.ngo_a.pk],
        persons=[PersonInput(role="suspect", given_names="Adam", family_name=HIDDEN_SUSPECT)],
        companies=[],
        addresses=[],
    )
    resolve_signals([red.pk])
    account = _entity(shared, "BankAccount")
    assert _entity(red, "BankAccount") == account
    client = signed_in(world.users["care_coordinator"])
    for page in (
        _get(client, "entity_detail", account.pk),
        _get(client, "signal_detail", shared.reference),
    ):
        assert 'data-testid="hit"' not in page and 'data-testid="no-hit"' in page
        assert world.police_a.name not in page.split('data-testid="no-hit"', 1)[1][:400]
    assert not AuditEntry.objects.filter(object_type__contains="entities.hit").exists()


def test_the_signal_page_says_no_hit_when_nothing_else_is_known(
    world: World, shared: Signal, signed_in: SignIn
) -> None:
    page = _get(signed_in(world.users["care_coordinator"]), "signal_detail", shared.reference)
    panel = page.split('data-testid="entities-panel"', 1)[1]
    assert panel.count('data-testid="no-hit"') == 5  # victim, suspect, company, address, IBAN


def test_search_finds_entities_the_user_may_see_however_the_number_is_typed(
    world: World, shared: Signal, unshared: Signal, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    page = client.get(reverse("entity_search"), {"q": "+31 6-12 34 56 78"}).content.decode()
    assert "Ioana Popescu" in page
    page = client.get(reverse("entity_search"), {"q": HIDDEN_SUSPECT}).content.decode()
    assert "entity_detail" not in _results(page) and "/entities/" not in _results(page)
    assert "Adam" not in _results(page)
    outsider = signed_in(world.users["outsider"])
    page = outsider.get(reverse("entity_search"), {"q": "Popescu"}).content.decode()
    assert "Ioana" not in page


def _results(page: str) -> str:
    return page.split('data-testid="results"', 1)[1].split("</table>", 1)[0]


@pytest.fixture
def api() -> Callable[[User], APIClient]:
    def make(user: User) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user)}")
        return client

    return make


def test_the_api_gives_values_with_sources_and_hits_only_for_the_rest(
    world: World, shared: Signal, unshared: Signal, api: Callable[[User], APIClient]
) -> None:
    account = _entity(shared, "BankAccount")
    response = api(world.users["care_coordinator"]).get(f"/api/v1/entities/{account.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["schema"] == "BankAccount"
    assert body["values"][0]["value"] == "NL91ABNA0417164300"
    assert body["values"][0]["sources"][0]["signal"] == shared.reference
    assert body["signals"] == [shared.reference]
    assert body["hits"] == [
        {
            "count": 1,
            "place": world.police_a.name,
            "contact_organisation": world.police_a.name,
            "contact_email": world.police_a.email,
        }
    ]
    assert unshared.reference not in response.content.decode()
    assert HIDDEN_SUSPECT not in response.content.decode()


def test_every_api_endpoint_checks_access(
    world: World, shared: Signal, api: Callable[[User], APIClient]
) -> None:
    victim = _entity(shared, "Person", "possible_victim")
    outsider = api(world.users["outsider"])
    assert outsider.get(f"/api/v1/entities/{victim.pk}/").status_code == 404
    assert outsider.get("/api/v1/entities/", {"q": "Popescu"}).json() == {"results": []}
    export = outsider.get("/api/v1/entities/export.ftm.jsonl")
    assert export.status_code == 200 and _streamed(export) == ""
    assert APIClient().get(f"/api/v1/entities/{victim.pk}/").status_code in (401, 403)


def test_the_entity_page_names_properties_and_values_in_the_readers_language(
    world: World, shared: Signal, signed_in: SignIn
) -> None:
    victim = _entity(shared, "Person", "possible_victim")
    client = signed_in(world.users["care_coordinator"])
    values = _get(client, "entity_detail", victim.pk).split('data-testid="values"', 1)[1]
    values = values.split("</table>", 1)[0]
    for label, shown in (("Geboortedatum", "4 maart 1999"), ("Nationaliteit", "Roemenië")):
        assert f'<td class="utrecht-table__cell">{label}</td>' in values
        assert f'<td class="utrecht-table__cell">{shown}</td>' in values
    assert "Birth date" not in values and "1999-03-04" not in values
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = _get(client, "entity_detail", victim.pk).split('data-testid="values"', 1)[1]
    assert "Date of birth" in english and "4 March 1999" in english and "Romania" in english


def test_the_api_exports_followthemoney_lines(
    world: World, shared: Signal, api: Callable[[User], APIClient]
) -> None:
    import json

    from followthemoney import model as ftm_model

    response = api(world.users["care_coordinator"]).get("/api/v1/entities/export.ftm.jsonl")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/x-ndjson")
    lines = _streamed(response).splitlines()
    proxies = [ftm_model.get_proxy(json.loads(line)) for line in lines]
    for proxy in proxies:
        # Read back, written again: the same entity.
        assert ftm_model.get_proxy(proxy.to_dict()).to_dict() == proxy.to_dict()
    schemata = {proxy.schema.name for proxy in proxies}
    assert {"Person", "Address", "BankAccount", "UnknownLink"} <= schemata
    assert AuditEntry.objects.filter(action="export_ftm").count() == 1


def test_the_api_export_audits_every_mention_it_hands_over(
    world: World, shared: Signal, unshared: Signal, api: Callable[[User], APIClient]
) -> None:
    """The export hands over every name, phone and IBAN the user may see: its one audit
    entry lists each of those mentions, and none the user may not see."""
    response = api(world.users["care_coordinator"]).get(reverse("v1:api_entity_export_ftm"))
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="export_ftm")
    assert entry.object_type == "entities.mention"
    assert entry.purpose == "export"
    assert entry.object_ids == sorted(
        Mention.objects.filter(signal=shared).values_list("pk", flat=True)
    )
    assert entry.details == {"entities": len(_streamed(response).splitlines())}
    hidden = Mention.objects.get(signal=unshared, schema="BankAccount")
    assert hidden.pk not in entry.object_ids


def _streamed(response: HttpResponseBase) -> str:
    """The body of a streamed response, as the client receives it."""
    assert response.streaming
    return b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]


def _chain(world: World, signals: int, first: int = 0) -> None:
    """``signals`` signals of the coordinator, shared with table A, each naming a possible
    victim and a suspect of their own and where she was seen: three entities and a link
    (UnknownLink) per signal, and her address (``addressEntity``, part of her line)."""
    for number in range(first, first + signals):
        # Names apart per signal (letters only: digits would be flagged), so none is linked.
        letters = "".join(chr(ord("a") + int(digit)) for digit in f"{number:03d}")
        make_signal(
            world.users["care_coordinator"],
            groups=[world.table_a],
            persons=[
                PersonInput(role="possible_victim", given_names="Ioana", family_name=f"V{letters}"),
                PersonInput(role="suspect", given_names="Marius", family_name=f"S{letters}"),
            ],
            companies=[],
            addresses=[
                AddressInput(
                    street=f"Straat{letters}",
                    house_number=str(number + 1),
                    city="Breda",
                    is_place_of_observation=True,
                )
            ],
            ibans=[],
        )
    resolve_signals(list(Signal.objects.values_list("pk", flat=True)))


def test_the_api_streams_the_export_in_blocks(
    world: World, api: Callable[[User], APIClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The body is not built before the answer: it is streamed, block by block, and the
    blocks put together are the export, line by line, that the library reads back."""
    import json

    from followthemoney import model as ftm_model

    from schakel.entities import api as entities_api

    _chain(world, 3)
    monkeypatch.setattr(entities_api, "EXPORT_BLOCK", 1)  # a block per line
    response = api(world.users["care_coordinator"]).get(reverse("v1:api_entity_export_ftm"))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    blocks = [block.decode() for block in response.streaming_content]  # type: ignore[attr-defined]
    assert len(blocks) == 3 * 4
    proxies = [ftm_model.get_proxy(json.loads(block)) for block in blocks]
    assert [p.schema.name for p in proxies].count("UnknownLink") == 3
    victims = [p for p in proxies if p.schema.name == "Person" and p.get("addressEntity")]
    assert len(victims) == 3


def test_the_api_export_reads_the_database_in_chunks(
    world: World, api: Callable[[User], APIClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The queries grow with the number of chunks, not with the number of entities: 6 or
    51 entities in one chunk cost the same queries; in chunks of 10, seven queries per chunk
    more (the mentions, their signals and the signals' groups and recipients to decide; the
    mentions' values, the addresses and the entities to write)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from schakel.entities import ftm

    client = api(world.users["care_coordinator"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            body = _streamed(client.get(reverse("v1:api_entity_export_ftm")))
        assert len(body.splitlines()) == Entity.objects.count() + Signal.objects.count()
        return len(captured)

    _chain(world, 2)
    monkeypatch.setattr(ftm, "CHUNK", 1000)
    small_in_one = queries()
    monkeypatch.setattr(ftm, "CHUNK", 10)
    assert queries() == small_in_one  # 6 entities: one chunk of 10 too
    _chain(world, 15, first=2)
    assert Entity.objects.count() == 51
    assert queries() <= small_in_one + 7 * 5  # six chunks of 10 instead of one
    monkeypatch.setattr(ftm, "CHUNK", 1000)
    assert queries() == small_in_one


def test_the_api_export_holds_only_the_part_of_the_chain_the_user_may_see(
    world: World, shared: Signal, unshared: Signal, api: Callable[[User], APIClient]
) -> None:
    """The police analyst at table A sees the suspect and the bank account of the shared
    signal (justice and general data), not the possible victim (care data), and of the
    police's own signal everything; the lines and the audit say the same."""
    police = world.users["police_analyst"]
    response = api(police).get(reverse("v1:api_entity_export_ftm"))
    body = _streamed(response)
    assert "Dragomir" in body and HIDDEN_SUSPECT in body
    assert "Popescu" not in body and "+31612345678" not in body
    entry = AuditEntry.objects.get(action="export_ftm")
    victim = Mention.objects.get(signal=shared, role="possible_victim")
    assert victim.pk not in entry.object_ids
    assert entry.actor_id == police.pk
    assert entry.details == {"entities": len(body.splitlines())}
    # The coordinator, outside the police's own signal, sees the victim but not its suspect.
    coordinator = _streamed(
        api(world.users["care_coordinator"]).get(reverse("v1:api_entity_export_ftm"))
    )
    assert "Popescu" in coordinator and HIDDEN_SUSPECT not in coordinator


def test_the_api_export_answers_a_client_that_accepts_only_json_lines(
    world: World, shared: Signal, api: Callable[[User], APIClient]
) -> None:
    """A client that asks for what the documentation promises gets it, not 406; its errors
    come in JSON, as documented."""
    url = reverse("v1:api_entity_export_ftm")
    response = api(world.users["care_coordinator"]).get(url, HTTP_ACCEPT="application/x-ndjson")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    assert "Popescu" in _streamed(response)
    refused = APIClient().get(url, HTTP_ACCEPT="application/x-ndjson")
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/json"
    assert refused.json()["errors"][0]["code"] == "not_authenticated"


def test_the_api_export_is_audited_before_its_body_and_once_if_cut_off(
    world: World, shared: Signal, api: Callable[[User], APIClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The audit entry is written before the first line leaves: a download that fails
    half-way (here: while the links are read) has handed over data, and is audited once."""
    from schakel.entities import ftm

    def failing_links(plan: object) -> Iterator[object]:
        raise RuntimeError("the database went away")
        yield  # a generator, as the real one

    monkeypatch.setattr(ftm, "_links", failing_links)
    response = api(world.users["care_coordinator"]).get(reverse("v1:api_entity_export_ftm"))
    entry = AuditEntry.objects.get(action="export_ftm")
    assert entry.object_ids == sorted(
        Mention.objects.filter(signal=shared).values_list("pk", flat=True)
    )
    with pytest.raises(RuntimeError, match="went away"):
        b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert AuditEntry.objects.filter(action="export_ftm").count() == 1


def test_search_counts_every_record_of_the_entity_the_user_may_see(
    world: World, signed_in: SignIn, api: Callable[[User], APIClient]
) -> None:
    """An entity found through one of its spellings is shown with all its records the user
    may see, not only those whose spelling matched: the "Records" column and the API's
    ``records`` count both, and the audit lists both."""
    from schakel.entities import review
    from schakel.entities.models import LinkageRun, Suggestion
    from schakel.entities.services import search_entities

    a, b = (
        suspect_mention(world, "Marius", "Dragomir"),
        suspect_mention(world, "Marius", "Dragomira"),
    )
    run = LinkageRun.objects.create(
        kind=LinkageRun.Kind.BATCH,
        schema="Person",
        status=LinkageRun.Status.DONE,
        threshold=0.9,
        review_threshold=0.3,
    )
    a.refresh_from_db()
    b.refresh_from_db()
    Suggestion.objects.create(
        left=a,
        right=b,
        run=run,
        probability=0.99,
        match_weight=1.5,
        links=True,
        explanation=[{"comparison": "family_name", "label": "similar", "weight": 4.2}],
        priority=review.priority(0.99, a.entity, b.entity),
    )
    review.resolve_around([a, b])
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.entity_id == b.entity_id

    user = world.users["care_coordinator"]
    # The linkage's reasons in the reader's words, not the settings' codes.
    why = signed_in(user).get(reverse("entity_detail", args=[a.entity_id])).content.decode()
    why = why.split('id="evidence-heading"', 1)[1]
    assert '<td class="utrecht-table__cell">Achternaam</td>' in why and "lijkt erop" in why
    assert "family_name" not in why and "similar" not in why
    ((entity, mentions),) = search_entities(user, "Dragomira")
    assert entity.pk == a.entity_id
    assert sorted(m.pk for m in mentions) == sorted([a.pk, b.pk])

    page = signed_in(user).get(reverse("entity_search"), {"q": "Dragomira"}).content.decode()
    assert '<td class="utrecht-table__cell">2</td>' in _results(page)
    body = api(user).get(reverse("v1:api_entity_search"), {"q": "Dragomira"}).json()
    assert [r["records"] for r in body["results"]] == [2]
    for entry in AuditEntry.objects.filter(action="read", purpose="entity_search"):
        assert sorted(entry.object_ids["entities.mention"]) == sorted([a.pk, b.pk])


def test_search_still_finds_nothing_through_a_spelling_the_user_may_not_see(
    world: World,
) -> None:
    """Counting every record does not widen what a search finds: an entity whose only
    matching spelling is in a record the user may not see is not found through it, and
    where it is found the hidden record is not counted."""
    from schakel.entities.services import search_entities

    seen = suspect_mention(world, "Adam", "Nowak")
    hidden = suspect_mention(world, "Adam", HIDDEN_SUSPECT, author="police_analyst")
    hidden.signal.sharing_groups.clear()
    Mention.objects.filter(pk=hidden.pk).update(entity=seen.entity_id)

    user = world.users["care_coordinator"]
    assert search_entities(user, HIDDEN_SUSPECT) == []
    ((entity, mentions),) = search_entities(user, "Nowak")
    assert entity.pk == seen.entity_id
    assert [m.pk for m in mentions] == [seen.pk]


def _queries(make_request: Callable[[], object]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_request()  # warm-up: sessions, the viewer, caches
    with CaptureQueriesContext(connection) as captured:
        response = make_request()
    assert getattr(response, "status_code", None) == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("where", ["page", "api", "search"])
def test_the_entity_views_cost_the_same_queries_for_two_signals_as_for_six(
    world: World, signed_in: SignIn, api: Callable[[User], APIClient], where: str
) -> None:
    """The access decision per signal reads its sharing groups and recipients: prefetched
    for all signals at once, and decided once per signal, not twice."""
    user = world.users["care_coordinator"]
    counts = []
    for signals in (2, 6):
        made = [make_signal(user, groups=[world.table_a]) for _ in range(signals)]
        resolve_signals([s.pk for s in made])
        account = _entity(made[0], "BankAccount")
        address = _entity(made[0], "Address", "observed_at")
        assert account.mentions.count() >= signals and address.mentions.count() >= signals
        if where == "page":
            client = signed_in(user)
            count = sum(
                _queries(lambda e=entity, c=client: c.get(reverse("entity_detail", args=[e.pk])))
                for entity in (account, address)  # the address: links to each signal's victim
            )
        elif where == "api":
            token = api(user)
            count = sum(
                _queries(lambda e=entity, c=token: c.get(reverse("v1:api_entity_detail", args=[e])))
                for entity in (account.pk, address.pk)
            )
        else:
            client = signed_in(user)
            count = _queries(
                lambda c=client: c.get(reverse("entity_search"), {"q": "NL91ABNA0417164300"})
            )
        counts.append(count)
        cache.clear()  # the API's rate limit counts in the process's cache
    assert counts[0] == counts[1], counts


def test_the_entity_page_shows_a_name_in_mixed_scripts_apart_from_invalid_values(
    world: World, signed_in: SignIn
) -> None:
    """A mixed-script flag is shown where the other validation flags are, but not as a
    value that is "not valid for its type"."""
    signal = make_signal(
        world.users["care_coordinator"],
        groups=[world.table_a],
        persons=[
            PersonInput(role="witness", given_names=MIXED_SCRIPTS_NAME, family_name="Popescu")
        ],
        companies=[],
        addresses=[],
        ibans=[],
    )
    resolve_signals([signal.pk])
    entity = _entity(signal, "Person", "witness")
    page = _get(signed_in(world.users["care_coordinator"]), "entity_detail", entity.pk)
    flagged = page.split('data-testid="mixed-scripts"', 1)[1].split("</p>", 1)[0]
    assert f"firstName “{MIXED_SCRIPTS_NAME}”" in flagged
    assert 'data-testid="invalid-values"' not in page
