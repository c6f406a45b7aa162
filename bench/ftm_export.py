"""Time and memory of the FollowTheMoney export through the API, for a chain of N signals.

Builds N signals of three organisations, all shared with the test personas' signal table A,
each naming a possible victim (with a phone number), a suspect and the address where she was
seen, all apart from every other signal's; resolves them to entities as the worker does (three
entities and a link per signal). Then asks ``GET /api/v1/entities/export.ftm.jsonl`` with an
API token, through Django's test client and the whole middleware stack, as the care
coordinator (every victim and address; the suspects and links of her municipality's signals
only: justice data) and the police analyst (every suspect and address; the victims and links
of the police's signals only: care data), reading the body as a client would, block by
block, without keeping it. Prints per reader: the time to the first byte and to the last,
the lines and bytes, and the peak of Python's heap during the request (``tracemalloc``,
measured in a run of its own: it slows Python down) above what was allocated before it.

    python bench/ftm_export.py [signals]
"""

from __future__ import annotations

import gc
import random
import sys
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from typing import Any

from _django import setup

GIVEN = ["Ioana", "Maria", "Andrei", "Olena", "Piotr", "Nguyen", "Ama", "Fatima", "Jonas", "Lena"]
FAMILY = ["Popescu", "Nowak", "Kowalski", "Shevchenko", "Tran", "Mensah", "Yilmaz", "Jansen"]
STREETS = ["Ginnekenweg", "Haagweg", "Nieuwe Boschstraat", "Teteringsedijk", "Belcrumweg"]


def _letters(number: int) -> str:
    """A name part of letters only, one per number (digits in a name would be flagged)."""
    text = ""
    while True:
        number, digit = divmod(number, 26)
        text = chr(ord("a") + digit) + text
        if not number:
            return text.capitalize()


def build(signal_count: int, seed: int = 1) -> dict[str, Any]:
    from django.db import connection

    from schakel.entities.services import resolve_signals
    from schakel.normalise import name_key
    from schakel.signals.models import AddressMention, IdentifierMention, PersonMention, Signal
    from schakel.testing.personas import build_world

    rng = random.Random(seed)
    world = build_world()
    owners = [world.municipality_a, world.police_a, world.ngo_a]
    start = time.perf_counter()
    now = datetime.now(UTC)
    Signal.objects.bulk_create(
        [
            Signal(
                reference=f"S-2026-E{i + 1:06d}",
                owner_organisation=owners[i % 3],
                channel="bulk",
                description="Synthetisch signaal voor de benchmark.",
                forms_of_exploitation=[rng.choice(["labour", "sexual", "criminal"])],
                tlp=rng.choice(["AMBER", "AMBER", "GREEN"]),
                purpose="signal_table_assessment",
                band="discuss",
                received_at=now - timedelta(minutes=rng.randrange(60 * 24 * 60)),
            )
            for i in range(signal_count)
        ],
        batch_size=2000,
    )
    ids = list(Signal.objects.order_by("pk").values_list("pk", flat=True))
    through = Signal.sharing_groups.through
    through.objects.bulk_create(
        [through(signal_id=pk, sharinggroup_id=world.table_a.pk) for pk in ids], batch_size=5000
    )
    persons, addresses = [], []
    for index, pk in enumerate(ids):
        for role, offset in (("possible_victim", 0), ("suspect", 1)):
            given = rng.choice(GIVEN)
            family = f"{rng.choice(FAMILY)} {_letters(2 * index + offset)}"
            persons.append(
                PersonMention(
                    signal_id=pk,
                    role=role,
                    given_names=given,
                    family_name=family,
                    name_key=name_key(f"{given} {family}"),
                    date_of_birth=date(1970, 1, 1) + timedelta(days=rng.randrange(16000)),
                )
            )
        street, number = rng.choice(STREETS), str(index + 1)
        addresses.append(
            AddressMention(
                signal_id=pk,
                street=street,
                house_number=number,
                postcode="4811AA",
                city="Breda",
                address_key=f"NL|4811AA|{number}|{street.lower()}",
                is_place_of_observation=True,
            )
        )
    PersonMention.objects.bulk_create(persons, batch_size=5000)
    AddressMention.objects.bulk_create(addresses, batch_size=5000)
    victims = PersonMention.objects.filter(role="possible_victim").order_by("pk")
    IdentifierMention.objects.bulk_create(
        [
            IdentifierMention(
                signal_id=signal_id,
                person_id=person_id,
                kind="phone",
                value=f"+3161{n:07d}",
                normalised=f"+3161{n:07d}",
            )
            for n, (person_id, signal_id) in enumerate(victims.values_list("pk", "signal_id"))
        ],
        batch_size=5000,
    )
    built = time.perf_counter() - start
    start = time.perf_counter()
    resolve_signals(ids)
    with connection.cursor() as cursor:
        # Statistics, as autovacuum would gather them after a bulk load.
        cursor.execute("ANALYZE")
    return {"world": world, "built_s": built, "resolved_s": time.perf_counter() - start}


def export(client: Any, token: str) -> dict[str, float]:
    """One export as a client reads it: the blocks counted as they come, none kept."""
    start = time.perf_counter()
    response = client.get("/api/v1/entities/export.ftm.jsonl", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200, response.status_code
    first = None
    size = lines = 0
    # Before streaming, the body was one block built in full before the answer.
    blocks = response.streaming_content if response.streaming else [response.content]
    for block in blocks:
        if first is None:
            first = time.perf_counter() - start
        size += len(block)
        lines += block.count(b"\n")
    response.close()
    total = time.perf_counter() - start
    return {"first_s": first or total, "total_s": total, "lines": lines, "bytes": size}


def main() -> int:
    machine = setup()
    from django.test import Client

    from schakel.entities.models import Entity, Mention, Relation
    from schakel.web.api_auth import issue_api_token

    numbers = [int(a) for a in sys.argv[1:] if a.isdigit()]
    signal_count = numbers[0] if numbers else 5000
    data = build(signal_count)
    world = data["world"]
    print(f"machine: {machine}")
    print(
        f"data: {signal_count} signals, {Mention.objects.count()} mentions, "
        f"{Entity.objects.count()} entities, {Relation.objects.count()} links "
        f"(built in {data['built_s']:.1f} s, resolved in {data['resolved_s']:.1f} s)"
    )
    client = Client(SERVER_NAME="localhost")
    for who in ("care_coordinator", "police_analyst"):
        token = issue_api_token(world.users[who])
        export(client, token)  # warm-up: imports, the policy's matrix, connections
        gc.collect()
        timings = [export(client, token) for _ in range(3)]
        best = min(timings, key=lambda t: t["total_s"])
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        export(client, token)
        peak = tracemalloc.get_traced_memory()[1] - before
        tracemalloc.stop()
        print(
            f"{who}: {best['lines']:,} lines, {best['bytes'] / 2**20:.1f} MiB; "
            f"first byte {best['first_s'] * 1000:.0f} ms, last {best['total_s'] * 1000:.0f} ms "
            f"(best of 3); peak Python heap {peak / 2**20:.1f} MiB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
