"""Server time of a signal table's agenda over 10,000 open signals.

Target (issue 3): the agenda over 10,000 open signals in ≤ 300 ms server time (p50 and p95 over
at least 50 requests after warm-up). Builds one table (the test personas' region A) with
10,000 open signals (discuss or urgent, undecided) and, around them, signals the agenda must
skip (no action, monitor, already decided). About a third of the open signals share a person,
an address, a phone number, an IBAN or a plate with others, a few share two, so bundles form
and chain as they do in real tables without one bundle swallowing the rest.

    python bench/agenda.py [open_signals] [runs] [--entities] [--history=K]

--entities resolves every signal's mentions to entities first (as the worker does), so that
the agenda bundles by entities; without it, the bundler falls back to exact keys.

--history=K (PostgreSQL) adds K copies of all of that as the table's past, before measuring:
odd copies discuss and urgent signals a meeting decided (with the outcome the decision
service records), even copies signals triaged "monitor"; each with its own entities,
mentions, identifiers and sharing. The agenda stays the same 10,000 signals; what grows is
what its queries must not read (K=35: 468,000 signals, 1.6 million mentions). Copied in SQL,
table by table; a person's own details (names, addresses) are not copied, as no agenda query
reads them beyond the page's own signals.
"""

from __future__ import annotations

import gc
import random
import sys
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from _django import setup, timed

OVERLAPS = (
    # kind, share of open signals drawing a recurring value, signals per recurring value
    ("person", 0.10, 3),
    ("address", 0.08, 4),
    ("phone", 0.06, 3),
    ("iban", 0.03, 3),
    ("plate", 0.03, 3),
)
GIVEN = ["Ioana", "Maria", "Andrei", "Olena", "Piotr", "Nguyen", "Ama", "Fatima", "Jonas", "Lena"]
FAMILY = ["Popescu", "Nowak", "Kowalski", "Shevchenko", "Tran", "Mensah", "Yilmaz", "Jansen"]
STREETS = ["Ginnekenweg", "Haagweg", "Nieuwe Boschstraat", "Teteringsedijk", "Belcrumweg"]


def _person(rng: random.Random, n: int) -> dict[str, Any]:
    from schakel.normalise import name_key

    given, family = rng.choice(GIVEN), f"{rng.choice(FAMILY)}{n}"
    return {
        "given_names": given,
        "family_name": family,
        "name_key": name_key(f"{given} {family}"),
        "date_of_birth": date(1970, 1, 1) + timedelta(days=rng.randrange(16000)),
    }


def _address(rng: random.Random, n: int) -> dict[str, Any]:
    street, number = rng.choice(STREETS), str(n)
    return {
        "street": street,
        "house_number": number,
        "postcode": "4811AA",
        "city": "Breda",
        "address_key": f"NL|4811AA|{number}|{street.lower()}",
    }


def _identifier(kind: str, n: int) -> str:
    return {
        "phone": f"+3161{n:07d}",
        "iban": f"NL{n % 90 + 10:02d}BANK0{n:09d}",
        # Mixed radix: unique for every n below 17,576,000, like "42-KXB-7".
        "plate": f"{n % 100:02d}-{chr(65 + n // 100 % 26)}{chr(65 + n // 2600 % 26)}"
        f"{chr(65 + n // 67600 % 26)}-{n // 1757600 % 10}",
    }[kind]


def _aware(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def build(open_signals: int, seed: int = 1) -> dict[str, Any]:
    from django.db import connection

    from schakel.signals.models import (
        AddressMention,
        IdentifierMention,
        PersonMention,
        Signal,
    )
    from schakel.signaltable.models import Decision, DecisionSignal, Meeting
    from schakel.signaltable.services import create_meeting
    from schakel.testing.personas import build_world

    rng = random.Random(seed)
    world = build_world()
    chair = world.users["care_coordinator"]
    owners = [world.municipality_a, world.police_a, world.ngo_a]
    start = time.perf_counter()

    recurring: dict[str, list[int]] = {
        kind: list(range(1, int(open_signals * share / per) + 2)) for kind, share, per in OVERLAPS
    }
    serial = 10_000_000  # values beyond the recurring ones are unique

    def draw(kind: str) -> int:
        return rng.choice(recurring[kind])

    others = open_signals // 5 + open_signals // 10  # skipped by the agenda
    signals = []
    now = time.time()
    for i in range(open_signals + others):
        if i < open_signals:
            band = "urgent" if rng.random() < 0.15 else "discuss"
        else:
            band = rng.choice(["no_action", "monitor"])
        signals.append(
            Signal(
                reference=f"S-2026-{i + 1:06d}",
                owner_organisation=owners[i % 3],
                submitted_by=chair if i % 3 == 0 else None,
                channel="bulk",
                description="Synthetisch signaal voor de benchmark.",
                forms_of_exploitation=[rng.choice(["labour", "sexual", "criminal"])],
                tlp=rng.choice(["AMBER", "AMBER", "GREEN"]),
                purpose="signal_table_assessment",
                band=band,
                received_at=_aware(now - rng.randrange(60 * 86400)),
            )
        )
    Signal.objects.bulk_create(signals, batch_size=2000)
    ids = list(Signal.objects.order_by("pk").values_list("pk", flat=True))
    through = Signal.sharing_groups.through
    through.objects.bulk_create(
        [through(signal_id=pk, sharinggroup_id=world.table_a.pk) for pk in ids], batch_size=5000
    )

    persons, addresses, identifiers = [], [], []
    for index, pk in enumerate(ids):
        open_signal = index < open_signals
        kinds = set()
        roll = rng.random()
        if open_signal:
            cumulative = 0.0
            for kind, share, _per in OVERLAPS:
                cumulative += share
                if roll < cumulative:
                    kinds.add(kind)
                    break
            if rng.random() < 0.02:  # a second shared value chains two bundles
                kinds.add(rng.choice(OVERLAPS)[0])
        serial += 1
        person_n = draw("person") if "person" in kinds else serial
        persons.append(
            PersonMention(
                signal_id=pk, role="possible_victim", **_person(random.Random(person_n), person_n)
            )
        )
        if rng.random() < 0.4:
            serial += 1
            persons.append(
                PersonMention(
                    signal_id=pk, role="suspect", **_person(random.Random(serial), serial)
                )
            )
        address_n = draw("address") if "address" in kinds else serial
        addresses.append(
            AddressMention(signal_id=pk, **_address(random.Random(address_n), address_n))
        )
        for kind in ("phone", "iban", "plate"):
            if kind in kinds or rng.random() < 0.5:
                value = _identifier(kind, draw(kind) if kind in kinds else serial)
                identifiers.append(
                    IdentifierMention(signal_id=pk, kind=kind, value=value, normalised=value)
                )
    PersonMention.objects.bulk_create(persons, batch_size=5000)
    AddressMention.objects.bulk_create(addresses, batch_size=5000)
    IdentifierMention.objects.bulk_create(identifiers, batch_size=5000)

    # Decided signals stay off the agenda: an earlier meeting decided a tenth of the others.
    earlier = Meeting.objects.create(
        group=world.table_a, starts_at=_aware(now - 30 * 86400), created_by=chair, status="closed"
    )
    decision = Decision.objects.create(
        meeting=earlier, outcome="monitor", rationale="Eerder besproken.", decided_by=chair
    )
    decided = ids[open_signals : open_signals + open_signals // 10]
    # Decided, so not open; kept per the outcome, as the decision service records it.
    Signal.objects.filter(pk__in=decided).update(band="discuss", retention_outcome="monitor")
    DecisionSignal.objects.bulk_create(
        [DecisionSignal(decision=decision, signal_id=pk, reference=f"x{pk}") for pk in decided],
        batch_size=5000,
    )
    meeting = create_meeting(world.table_a, starts_at=_aware(now + 86400), actor=chair)
    # Statistics, as PostgreSQL's autovacuum would gather after a bulk load (without them the
    # planner guesses a few rows per table and picks nested loops over 10,000 signals).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "world": world,
        "meeting": meeting,
        "decision": decision.pk,
        "built_s": time.perf_counter() - start,
        "mentions": len(persons) + len(addresses) + len(identifiers),
    }


def grow_history(copies: int, decision_id: int) -> dict[str, int]:
    """The table's past: ``copies`` copies of every signal, its sharing, identifiers, mention
    records, mentions and their entities, ids shifted beyond the originals (see the module's
    docstring). Returns how many signals and mentions there are then."""
    from django.db import connection, transaction

    from schakel.entities.models import Entity, Mention, MentionRecord
    from schakel.signals.models import IdentifierMention, Signal
    from schakel.signaltable.models import DecisionSignal

    assert connection.vendor == "postgresql", "--history copies in PostgreSQL's SQL"
    quote = connection.ops.quote_name
    sharing = Signal.sharing_groups.through

    def table(model: Any) -> str:
        return str(quote(model._meta.db_table))

    def one(cursor: Any, sql: str, parameters: Sequence[Any] = ()) -> int:
        cursor.execute(sql, parameters)
        return int(cursor.fetchone()[0])

    def copy(cursor: Any, model: Any, replace: dict[str, str]) -> None:
        names = [f.column for f in model._meta.local_concrete_fields]
        values = [replace.get(name, f"t.{quote(name)}") for name in names]
        cursor.execute(
            f"INSERT INTO {table(model)} ({', '.join(map(quote, names))}) "  # noqa: S608
            f"SELECT {', '.join(values)} FROM {table(model)} t, generate_series(1, %s) k",
            [copies],
        )

    decided = "k %% 2 = 1"  # odd copies: decided; even ones: triaged "monitor"
    with transaction.atomic(), connection.cursor() as cursor:
        # Offsets beyond every existing id (and source id), one per table.
        step = {
            model: one(cursor, f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table(model)}")  # noqa: S608
            for model in (Signal, sharing, IdentifierMention, Entity, MentionRecord)
        }
        source = one(cursor, f"SELECT COALESCE(MAX(source_id), 0) + 1 FROM {table(MentionRecord)}")  # noqa: S608
        signal_id = f"t.signal_id + k * {step[Signal]}"
        copy(
            cursor,
            Signal,
            {
                "id": f"t.id + k * {step[Signal]}",
                "reference": "t.reference || '-' || k",
                "source_key": "''",
                "received_at": "t.received_at - k * interval '30 days'",
                "band": f"CASE WHEN {decided} THEN t.band ELSE 'monitor' END",
                "retention_outcome": f"CASE WHEN {decided} THEN 'monitor' ELSE 'pending' END",
            },
        )
        copy(cursor, sharing, {"id": f"t.id + k * {step[sharing]}", "signal_id": signal_id})
        cursor.execute(
            f"INSERT INTO {table(DecisionSignal)} (reference, decision_id, signal_id) "  # noqa: S608
            f"SELECT 'h' || s.id, %s, s.id FROM {table(Signal)} s WHERE s.id >= %s "
            "AND s.retention_outcome = 'monitor' AND s.band IN ('discuss', 'urgent')",
            [decision_id, step[Signal]],
        )
        copy(
            cursor,
            IdentifierMention,
            {
                "id": f"t.id + k * {step[IdentifierMention]}",
                "signal_id": signal_id,
                "normalised": "t.normalised || '-' || k",
                "person_id": "NULL",
                "company_id": "NULL",
            },
        )
        copy(cursor, Entity, {"id": f"t.id + k * {step[Entity]}", "merged_into_id": "NULL"})
        copy(
            cursor,
            MentionRecord,
            {
                "id": f"t.id + k * {step[MentionRecord]}",
                "signal_id": signal_id,
                "source_id": f"t.source_id + k * {source}",
            },
        )
        copy(
            cursor,
            Mention,
            {
                "id": f"t.id + k * {step[MentionRecord]}",
                "entity_id": f"t.entity_id + k * {step[Entity]}",
            },
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would after a load
        return {
            "signals": one(cursor, f"SELECT COUNT(*) FROM {table(Signal)}"),  # noqa: S608
            "mentions": one(cursor, f"SELECT COUNT(*) FROM {table(MentionRecord)}"),  # noqa: S608
        }


def main() -> int:
    machine = setup()
    from django.test import Client

    from schakel.access import policy
    from schakel.signals.models import AWAITING_TABLE, Signal
    from schakel.signaltable.agenda import propose_agenda, proposed_signals
    from schakel.signaltable.bundling import default_bundler
    from schakel.testing.personas import login

    numbers = [a for a in sys.argv[1:] if a.isdigit()]
    open_signals = int(numbers[0]) if numbers else 10_000
    runs = int(numbers[1]) if len(numbers) > 1 else 60
    data = build(open_signals)
    world, meeting = data["world"], data["meeting"]
    if "--entities" in sys.argv:
        # As after the worker: every signal's mentions made and resolved to entities, so the
        # agenda bundles by entities rather than by exact keys.
        from django.db import connection

        from schakel.entities.services import resolve_signals

        started = time.perf_counter()
        resolve_signals(Signal.objects.values_list("pk", flat=True))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"entities: mentions resolved in {time.perf_counter() - started:.1f} s")
    history = [int(a.split("=", 1)[1]) for a in sys.argv[1:] if a.startswith("--history=")]
    if history:
        started = time.perf_counter()
        grown = grow_history(history[0], data["decision"])
        print(
            f"history: {history[0]} copies as the table's past, {grown['signals']} signals and "
            f"{grown['mentions']} mentions in all (copied in {time.perf_counter() - started:.1f} s)"
        )
    chair, police = world.users["care_coordinator"], world.users["police_analyst"]
    policy.viewer_for(chair)
    agenda = propose_agenda(world.table_a, chair)
    sizes = sorted((len(b.signal_ids) for b in agenda.bundles), reverse=True)
    print(f"machine: {machine}")
    print(
        f"data: {agenda.signal_count} open signals on the agenda of one table "
        f"({data['mentions']} mentions; built in {data['built_s']:.1f} s); "
        f"{len(agenda.bundles)} bundles, {sum(1 for s in sizes if s > 1)} of 2+ signals, "
        f"largest {sizes[0]}, {sum(len(b.links) for b in agenda.bundles)} links"
    )
    assert agenda.signal_count == open_signals, agenda.signal_count

    pool = proposed_signals(world.table_a, chair)
    bundler = default_bundler()

    def pool_query() -> None:  # as propose_agenda reads it
        subquery = pool.order_by().values("pk")
        list(
            Signal.objects.filter(AWAITING_TABLE, pk__in=subquery)
            .order_by("received_at", "pk")
            .values_list("pk", "band")
        )

    ids = list(pool.order_by().values_list("pk", flat=True))

    def links() -> None:
        bundler.links(ids)

    def service() -> None:
        propose_agenda(world.table_a, chair)

    clients = {
        "chair": login(Client(SERVER_NAME="localhost"), chair),
        "police": login(Client(SERVER_NAME="localhost"), police),
    }
    path = f"/tables/meetings/{meeting.pk}/"

    def page(who: str) -> Any:
        def get() -> None:
            response = clients[who].get(path)
            assert response.status_code == 200, response.status_code

        return get

    for name, function in (
        ("proposed signals: ids and bands, oldest first", pool_query),
        ("links among them (default bundler: EntityBundler)", links),
        ("propose_agenda (pool, links, union-find, order)", service),
        ("agenda page, chair (first 20 bundles, forms)", page("chair")),
        ("agenda page, police analyst (redacted)", page("police")),
    ):
        for _ in range(5):  # warm-up
            function()
        print(f"{name}: {timed(function, runs)}")
    # Python's cyclic collector sweeps the whole heap now and then (here ~100 ms, a few requests
    # in ten on this page); servers that freeze the start-up heap (gc.freeze(), e.g. in a
    # gunicorn post_fork hook) sweep only what requests allocate. Shown separately.
    gc.freeze()
    for name, function in (
        ("agenda page, chair, start-up heap frozen", page("chair")),
        ("agenda page, police analyst, start-up heap frozen", page("police")),
    ):
        print(f"{name}: {timed(function, runs)}")
    gc.unfreeze()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
