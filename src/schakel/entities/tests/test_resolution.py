"""Mentions with provenance, exact-key resolution, links, flags, and the FollowTheMoney
export under the access policy (round trip through the followthemoney library)."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.core.management import call_command
from followthemoney import model as ftm_model

from schakel.entities.ftm import write_jsonl
from schakel.entities.models import BlockingKey, Entity, Mention, Relation
from schakel.entities.services import resolve_signals, visible_entities
from schakel.signals.intake import CompanyInput, PersonInput
from schakel.signals.models import Signal
from schakel.signals.tests.factories import make_signal
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db
#: "Ioana" typed with Cyrillic letters for "ana": two scripts in one word.
MIXED_SCRIPTS_NAME = "Io\u0430\u043d\u0430"


def _signal(world: World, author: str = "care_coordinator", **overrides: object) -> Signal:
    return make_signal(world.users[author], groups=[world.table_a], **overrides)


def test_each_thing_a_signal_names_becomes_a_mention_with_its_provenance(world: World) -> None:
    signal = _signal(
        world,
        companies=[CompanyInput(name="Nagelstudio Glans B.V.", role="employer")],
    )
    made = resolve_signals([signal.pk])

    mentions = {m.schema: m for m in Mention.objects.filter(signal=signal)}
    assert made == 5
    assert sorted(mentions) == ["Address", "BankAccount", "Company", "Person"]
    victim = Mention.objects.get(signal=signal, role="possible_victim")
    assert victim.organisation_id == signal.owner_organisation_id
    assert victim.stated_at == signal.received_at
    assert victim.category == "care"
    assert victim.original["given_names"] == "Ioana"
    assert victim.original["phone"] == ["06 1234 5678"]
    assert victim.properties["name"] == ["Ioana Popescu"]
    assert victim.properties["birthDate"] == ["1999-03-04"]
    assert victim.properties["phone"] == ["+31612345678"]
    assert victim.properties["nationality"] == ["ro"]
    suspect = Mention.objects.get(signal=signal, role="suspect")
    assert suspect.category == "justice"
    assert mentions["BankAccount"].properties["iban"] == ["NL91ABNA0417164300"]
    keys = set(BlockingKey.objects.filter(mention=victim).values_list("kind", "value"))
    assert ("phone", "+31612345678") in keys
    assert ("name_born", "ioana popescu|1999") in keys
    # One name with the date: a typing error in the other name still finds the record.
    assert {("family_dob", "popescu|1999-03-04"), ("given_dob", "ioana|1999-03-04")} <= keys

    links = {
        (r.schema, r.source.role or r.source.schema, r.target.role or r.target.schema)
        for r in Relation.objects.filter(signal=signal).select_related("source", "target")
    }
    assert links == {
        ("UnknownLink", "suspect", "possible_victim"),
        ("Employment", "employer", "possible_victim"),
        ("addressEntity", "possible_victim", "observed_at"),
    }


def test_resolving_again_changes_nothing(world: World) -> None:
    signal = _signal(world)
    first = resolve_signals([signal.pk])
    assert first > 0
    assert resolve_signals([signal.pk]) == 0
    assert Mention.objects.filter(signal=signal).count() == first


def test_the_same_iban_and_address_from_two_partners_are_one_entity(world: World) -> None:
    first = _signal(world)
    second = _signal(world, author="police_analyst")
    resolve_signals([first.pk, second.pk])

    for schema in ("BankAccount", "Address"):
        mentions = list(Mention.objects.filter(schema=schema).order_by("pk"))
        assert len(mentions) == 2
        assert mentions[0].entity_id == mentions[1].entity_id
        assert {m.organisation_id for m in mentions} == {
            world.municipality_a.pk,
            world.police_a.pk,
        }
    # People are linked by linkage, not here: each mention is its own entity so far.
    victims = Mention.objects.filter(role="possible_victim")
    assert victims.values("entity").distinct().count() == 2


def test_values_their_type_refuses_are_kept_as_given_with_a_flag(world: World) -> None:
    person = PersonInput(
        role="possible_victim",
        given_names="Іван",
        family_name="Petrov",
        date_of_birth=date(1990, 1, 1),
    )
    signal = _signal(world, persons=[person], companies=[], addresses=[], ibans=[])
    # Stored before intake checked country codes (it took any two letters).
    signal.persons.update(nationality="QQ")
    resolve_signals([signal.pk])

    mention = Mention.objects.get(signal=signal)
    # Mixed Cyrillic and Latin: kept as written.
    assert mention.properties["name"] == ["Іван Petrov"]
    # FollowTheMoney knows no country QQ.
    assert mention.original["nationality"] == "QQ"
    assert "nationality" not in mention.properties
    assert mention.flags == [
        {"property": "nationality", "value": "QQ", "problem": "not a valid country"}
    ]


def _export(user: object) -> list[dict[str, object]]:
    stream = io.StringIO()
    write_jsonl(user, stream)
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_the_export_is_followthemoney_that_the_library_reads_back(world: World) -> None:
    signal = _signal(world, companies=[CompanyInput(name="Glans B.V.", role="employer")])
    resolve_signals([signal.pk])

    lines = _export(world.users["care_coordinator"])
    proxies = [ftm_model.get_proxy(line) for line in lines]
    by_schema: dict[str, list[object]] = {}
    for proxy in proxies:
        by_schema.setdefault(proxy.schema.name, []).append(proxy)
        # Read back, written again: the same entity.
        assert ftm_model.get_proxy(proxy.to_dict()).to_dict() == proxy.to_dict()
    assert {"Person", "Company", "Address", "BankAccount", "Employment", "UnknownLink"} <= set(
        by_schema
    )
    ids = {p.id for p in proxies}
    for proxy in proxies:
        for prop, value in proxy.itervalues():
            if prop.type.name == "entity":
                assert value in ids, f"{proxy.schema.name}.{prop.name} points outside the export"
    victim = next(p for p in by_schema["Person"] if "Ioana Popescu" in p.get("name"))
    assert victim.get("addressEntity")


def test_the_export_holds_only_what_the_user_may_see(world: World) -> None:
    signal = _signal(world)
    resolve_signals([signal.pk])

    outsider = _export(world.users["outsider"])
    assert outsider == []
    assert not visible_entities(world.users["outsider"]).exists()

    # The police analyst sees the suspect (justice) but not the possible victim (care).
    police = json.dumps(_export(world.users["police_analyst"]))
    assert "Dragomir" in police
    assert "Popescu" not in police
    assert "+31612345678" not in police


def test_schakel_export_ftm_writes_a_file_and_audits_it(world: World, tmp_path: object) -> None:
    from pathlib import Path

    from schakel.audit.models import AuditEntry

    signal = _signal(world)
    resolve_signals([signal.pk])
    target = Path(str(tmp_path)) / "export.ftm.json"
    username = world.users["care_coordinator"].username
    call_command("schakel_export", "ftm", f"--user={username}", f"--output={target}")

    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines and all(ftm_model.get_proxy(json.loads(line)) for line in lines)
    entry = AuditEntry.objects.filter(action="export_ftm").get()
    assert entry.details == {"entities": len(lines)}


def test_committed_signals_are_resolved_by_a_background_job(
    world: World, django_capture_on_commit_callbacks: object
) -> None:
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        signal = _signal(world)
    job = DBTaskResult.objects.filter(task_path__endswith="resolve_signal_mentions").get()
    assert job.args_kwargs["args"] == [[signal.pk]]
    # Intake did not wait for it.
    assert not Mention.objects.filter(signal=signal).exists()
    assert Entity.objects.count() == 0


def test_the_job_is_queued_with_the_signal_and_rolled_back_with_it(world: World) -> None:
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    jobs = DBTaskResult.objects.filter(task_path__endswith="resolve_signal_mentions")
    with pytest.raises(RuntimeError), transaction.atomic():
        _signal(world)
        assert jobs.count() == 1  # queued inside the signal's transaction
        raise RuntimeError("the request fails after the signal was written")
    assert jobs.count() == 0 and not Signal.objects.exists()


def test_a_job_takes_the_jobs_queued_behind_it_along_and_finishes_them(world: World) -> None:
    """Under load one job does the work of the jobs queued behind it, in its own transaction,
    and marks them done: the queue does not grow, and each signal is resolved once."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from schakel.entities.jobs import resolve_signal_mentions

    first, second, third = (_signal(world) for _ in range(3))
    jobs = DBTaskResult.objects.filter(task_path__endswith="resolve_signal_mentions")
    assert jobs.filter(status=TaskResultStatus.READY).count() == 3
    # The worker runs the first job (claimed: no longer waiting).
    job = jobs.get(args_kwargs__args=[[first.pk]])
    job.claim("worker-1")
    made = resolve_signal_mentions.call([first.pk])
    assert set(Mention.objects.values_list("signal_id", flat=True)) == {
        first.pk,
        second.pk,
        third.pk,
    }
    assert made == Mention.objects.count()
    taken = jobs.exclude(pk=job.pk)
    assert set(taken.values_list("status", flat=True)) == {TaskResultStatus.SUCCESSFUL}
    assert set(taken.values_list("return_value", flat=True)) == {made}
    # A job whose signals another job did finds nothing left to do.
    assert resolve_signal_mentions.call([second.pk]) == 0
    assert Mention.objects.count() == made


def test_a_job_takes_along_no_more_than_a_batch(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from schakel.entities import jobs as entity_jobs
    from schakel.entities.jobs import resolve_signal_mentions

    monkeypatch.setattr(entity_jobs, "RESOLVE_BATCH", 2)
    first, second, third = (_signal(world) for _ in range(3))
    queued = DBTaskResult.objects.filter(task_path__endswith="resolve_signal_mentions")
    queued.get(args_kwargs__args=[[first.pk]]).claim("worker-1")
    resolve_signal_mentions.call([first.pk])
    assert set(Mention.objects.values_list("signal_id", flat=True)) == {first.pk, second.pk}
    assert queued.get(args_kwargs__args=[[third.pk]]).status == TaskResultStatus.READY


def test_schakel_export_ftm_audits_every_mention_it_writes(world: World, tmp_path: object) -> None:
    """The command's one audit entry lists every mention whose values the file holds, for
    the user it exported for; the possible victim the police may not see is not among
    them."""
    from pathlib import Path

    from schakel.audit.models import AuditEntry

    signal = _signal(world)
    resolve_signals([signal.pk])
    police = world.users["police_analyst"]
    target = Path(str(tmp_path)) / "export.ftm.json"
    call_command("schakel_export", "ftm", f"--user={police.username}", f"--output={target}")

    entry = AuditEntry.objects.get(action="export_ftm")
    assert entry.actor_id == police.pk and entry.purpose == "export"
    assert entry.object_type == "entities.mention"
    victim = Mention.objects.get(signal=signal, role="possible_victim")
    shown = Mention.objects.filter(signal=signal).exclude(pk=victim.pk)
    assert entry.object_ids == sorted(shown.values_list("pk", flat=True))


def _named(world: World, **person: str) -> Mention:
    signal = _signal(
        world,
        persons=[PersonInput(role="witness", **person)],
        companies=[],
        addresses=[],
        ibans=[],
    )
    resolve_signals([signal.pk])
    return Mention.objects.get(signal=signal)


def test_a_name_in_mixed_scripts_is_kept_with_a_flag(world: World) -> None:
    """A name mixing Latin and Cyrillic letters in one word (a typing or transliteration
    slip) is kept as given, and flagged."""
    mention = _named(world, given_names=MIXED_SCRIPTS_NAME, family_name="Popescu")
    assert mention.original["given_names"] == MIXED_SCRIPTS_NAME
    assert mention.properties["firstName"] == [MIXED_SCRIPTS_NAME]
    assert mention.flags == [
        {"property": "firstName", "value": MIXED_SCRIPTS_NAME, "problem": "mixed scripts"}
    ]


@pytest.mark.parametrize(
    ("given_names", "family_name"),
    [
        ("Иоана", "Попеску"),  # all Cyrillic
        ("Ștefania", "Nguyễn-Łódź"),  # Latin with diacritics
        ("Seán", "O'Brien"),  # an apostrophe is no script
        ("Іван", "Petrov"),  # two words, each in one script
        ("花子", "山田はな"),  # Japanese: Han with Hiragana, by design
    ],
)
def test_a_name_in_one_script_per_word_is_not_flagged(
    world: World, given_names: str, family_name: str
) -> None:
    mention = _named(world, given_names=given_names, family_name=family_name)
    assert mention.flags == []


def test_company_names_streets_and_cities_in_mixed_scripts_are_flagged(world: World) -> None:
    from schakel.signals.intake import AddressInput

    signal = _signal(
        world,
        persons=[],
        # Each with one Cyrillic letter that looks Latin: U+0430 (a) or U+0435 (e).
        companies=[CompanyInput(name="Gl\u0430ns B.V.")],
        addresses=[
            AddressInput(
                street="Ginnek\u0435nweg", house_number="12", postcode="4818 JA", city="Br\u0435da"
            )
        ],
        ibans=[],
    )
    resolve_signals([signal.pk])
    flags = {
        (m.schema, f["property"], f["problem"])
        for m in Mention.objects.filter(signal=signal)
        for f in m.flags
    }
    assert flags == {
        ("Company", "name", "mixed scripts"),
        ("Address", "street", "mixed scripts"),
        ("Address", "city", "mixed scripts"),
    }
