"""Matching right after intake against the large demo's entities (issue 4, point 4).

Target: scoring a new signal's people against what is known takes <= 50 ms p95 per signal,
and the result is visible on the signal <= 2 s p95 after intake under a background load of
50 signals/s.

Runs on the database made for ``bench/linkage_large.py`` (SCHAKEL_BENCH_DATABASE_URL: the
large demo with its mentions made and a batch run of ``schakel link`` done, whose model the
matching uses). New signals name people the chain already knows, spelled as another partner
would (the demo generator's variations), so every signal has real candidates.

    python bench/intake_matching.py scoring [--signals 300] [--seed 7]
        in-process: for each new signal, making its mentions and then matching them, timed
        apart (the worker job does both).
    python bench/intake_matching.py visible [--seconds 60] [--rate 50] [--workers 1] [--seed 11]
        gunicorn (2 workers) takes signals over HTTP at ``rate`` per second from a loopback
        load generator; ``schakel worker`` processes run the jobs. Visible = the signal's
        mentions, made and matched in one transaction, are committed: a watcher asks the
        database every 50 ms which of the acknowledged signals have them, and the time from
        the acknowledgement to the first answer that holds the signal counts (so it overstates
        by up to 50 ms plus the watcher's query).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _django import machine_speed, setup  # noqa: E402 - after the path above
from linkage_large import _identities  # noqa: E402


def _people(rng: random.Random, count: int) -> list[tuple[int, dict[str, Any]]]:
    """``count`` person mentions already known: their ids, and what a partner wrote."""
    from schakel.entities.models import Mention

    highest = Mention.objects.filter(schema="Person").order_by("-pk").values_list("pk", flat=True)
    top = highest.first() or 0
    found: list[tuple[int, dict[str, Any]]] = []
    while len(found) < count:
        ids = [rng.randrange(1, top + 1) for _ in range(count * 2)]
        for pk, original in Mention.objects.filter(
            pk__in=ids, schema="Person", role="possible_victim"
        ).values_list("pk", "original"):
            if original.get("family_name") and original.get("date_of_birth"):
                found.append((pk, original))
    return found[:count]


#: How ``_variant`` writes a known person again.
VARIANTS = ("family name misspelt", "diacritics dropped", "as known")


def _variant(rng: random.Random, person: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The same person as another partner writes them: a typo or a dropped diacritic; and
    which of the ``VARIANTS`` it is."""
    from schakel.demo.signals import _strip_diacritics, _typo

    given, family = person.get("given_names") or "", person["family_name"]
    roll = rng.random()
    if roll < 0.3:
        family, variant = _typo(rng, family), VARIANTS[0]
    elif roll < 0.6:
        given, family = _strip_diacritics(given), _strip_diacritics(family)
        variant = VARIANTS[1]
    else:
        variant = VARIANTS[2]
    body: dict[str, Any] = {
        "role": "possible_victim",
        "given_names": given,
        "family_name": family,
        "date_of_birth": person["date_of_birth"],
    }
    if person.get("nationality"):
        body["nationality"] = person["nationality"]
    if person.get("phones"):
        body["phones"] = person["phones"][:1]
    return body, variant


def _body(
    rng: random.Random, people: list[tuple[int, dict[str, Any]]], group: int, run: str
) -> tuple[dict[str, Any], list[tuple[int, str]]]:
    """A new signal naming one or two known people, and for each the known mention it was
    written from with the variant."""
    chosen = [rng.choice(people) for _ in range(rng.randint(1, 2))]
    persons, sources = [], []
    for known, original in chosen:
        person, variant = _variant(rng, original)
        persons.append(person)
        sources.append((known, variant))
    body = {
        "external_id": f"{run}-{uuid.uuid4().hex[:12]}",
        "description": "Werkt lange dagen in de kas en woont met tien anderen in één huis.",
        "observed_on": "2026-11-20",
        "municipality": "GM0758",
        "forms_of_exploitation": ["labour"],
        "indicator_ids": ["labour.lives_at_workplace"],
        "tlp": "AMBER",
        "purpose": "signal_table_assessment",
        "sharing_groups": [group],
        "persons": persons,
    }
    return body, sources


def _pairs_with_others(
    signal_id: int, sources: list[tuple[int, str]], identity: dict[int, str]
) -> list[tuple[bool, bool]]:
    """For each pair matching after intake made for the new signal's people: whether it
    links (or is only suggested), and whether its other mention is someone else by the
    generator's truth (the new person is the one their known mention is)."""
    from django.db.models import Q

    from schakel.entities.models import Mention, Suggestion

    new = Mention.objects.filter(signal_id=signal_id, schema="Person").order_by("source_id")
    result = []
    for mention, (known, _variant) in zip(new.values_list("pk", flat=True), sources, strict=True):
        for left, right, links in Suggestion.objects.filter(
            Q(left_id=mention) | Q(right_id=mention)
        ).values_list("left_id", "right_id", "links"):
            other = right if left == mention else left
            # Neither may be a person a benchmark wrote (a new signal's, or an earlier run's
            # that was picked as known): the truth file knows only the demo's.
            if other in identity and known in identity:
                result.append((links, identity[other] != identity[known]))
    return result


def _found(signal_id: int, sources: list[tuple[int, str]]) -> list[tuple[str, str]]:
    """For each person of a new signal (in its order), its variant and whether matching right
    after intake found the known mention it was written from: ``linked`` (the same entity
    now), ``suggested`` (a pair in the review band with a mention of that entity) or
    ``missed``."""
    from django.db.models import Q

    from schakel.entities.models import Mention, Suggestion

    new = list(
        Mention.objects.filter(signal_id=signal_id, schema="Person")
        .order_by("source_id")
        .values_list("pk", "entity_id")
    )
    result = []
    for (mention, entity), (known, variant) in zip(new, sources, strict=True):
        known_entity = Mention.objects.values_list("entity_id", flat=True).get(pk=known)
        if entity == known_entity:
            result.append((variant, "linked"))
            continue
        of_known = Mention.objects.filter(entity_id=known_entity).values("pk")
        paired = Suggestion.objects.filter(
            Q(left_id=mention, right__in=of_known) | Q(right_id=mention, left__in=of_known)
        ).exists()
        result.append((variant, "suggested" if paired else "missed"))
    return result


def _chain() -> tuple[Any, int]:
    """A submitter in an organisation that belongs to a sharing group, and that group."""
    from schakel.partners.models import SharingGroup, User

    group = SharingGroup.objects.order_by("pk").first()
    if group is None:
        raise SystemExit("no sharing group: make the large demo first")
    user = (
        User.objects.filter(organisation__in=group.members.all(), is_active=True)
        .exclude(role_set__role="front_desk")
        .order_by("pk")
        .first()
    )
    return user, group.pk


def _require_model() -> None:
    from django.db import connection

    from schakel.entities.matching import latest_model

    if connection.vendor == "postgresql":
        # Fresh statistics, as autovacuum keeps them in a running deployment: right after a
        # bulk load the planner's guesses are stale (a 1.7 ms candidate query took 56 ms).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    if latest_model() is None:
        raise SystemExit("no batch linkage run yet: run bench/linkage_large.py run first")


def _sizes() -> str:
    from schakel.entities.models import Entity, Mention

    return (
        f"{Mention.objects.count():,} mentions ({Mention.objects.filter(schema='Person').count():,}"
        f" of people), {Entity.objects.filter(merged_into__isnull=True).count():,} entities"
    )


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms, max {ordered[-1]:.1f} ms"


def scoring(count: int, truth: Path | None = None, seed: int = 7) -> int:
    machine = setup()
    from schakel.entities.matching import match_signals
    from schakel.entities.services import resolve_signals
    from schakel.signals.api import SignalInputSerializer
    from schakel.signals.models import Channel
    from schakel.signals.services import create_signal

    _require_model()
    print(f"machine: {machine}")
    print(f"known: {_sizes()}")
    # The same seed picks the same known people: a second run on the same database adds to
    # the entities the first one grew, so give each run on one database a seed of its own.
    rng = random.Random(seed)
    user, group = _chain()
    people = _people(rng, count)
    resolving, matching, candidates, scoring_only, writing = [], [], [], [], []
    found: list[tuple[str, str]] = []
    pairs: list[tuple[bool, bool]] = []
    identity = _identities(truth) if truth is not None else {}
    for _ in range(count):
        body, sources = _body(rng, people, group, "scoring")
        serializer = SignalInputSerializer(data=body)
        serializer.is_valid(raise_exception=True)
        data, external_id = serializer.signal_input()
        written = create_signal(
            data, submitted_by=user, channel=Channel.API, source_key=external_id
        )
        started = time.perf_counter()
        resolve_signals([written.pk])
        between = time.perf_counter()
        outcome = match_signals([written.pk])
        done = time.perf_counter()
        resolving.append((between - started) * 1000)
        matching.append((done - between) * 1000)
        candidates.append(outcome.candidates)
        scoring_only.append(outcome.scoring_seconds * 1000)
        writing.append(outcome.writing_seconds * 1000)
        found += _found(written.pk, sources)
        if identity:
            pairs += _pairs_with_others(written.pk, sources, identity)
    print(f"{count} signals, {statistics.mean(candidates):.0f} candidates scored per signal")
    print(f"making the mentions: {_ms(resolving)}")
    print(f"matching (candidates from blocking keys, scored with the model): {_ms(matching)}")
    print(f"  of which finding and scoring the candidates: {_ms(scoring_only)}")
    print(f"  of which writing suggestions and regrouping: {_ms(writing)}")
    print(f"both: {_ms([a + b for a, b in zip(resolving, matching, strict=True)])}")
    print("the known person found right after intake (linked / suggested / missed):")
    for variant in (*VARIANTS, "all"):
        outcomes = [o for v, o in found if variant in (v, "all")]
        shares = " / ".join(
            f"{100 * outcomes.count(o) / max(1, len(outcomes)):.1f} %"
            for o in ("linked", "suggested", "missed")
        )
        print(f"  {variant}: {shares} of {len(outcomes)}")
    if identity:
        for links, kind in ((True, "linked"), (False, "suggested")):
            made = [wrong for linking, wrong in pairs if linking == links]
            print(f"pairs {kind} with someone else: {sum(made)} of {len(made)} (by the truth)")
    return 0


def visible(seconds: float, rate: float, workers: int, drop_backlog: bool, seed: int = 11) -> int:
    from intake_http import free_port, server_environment, wait_until_up

    database_url = os.environ["SCHAKEL_BENCH_DATABASE_URL"]
    data_dir = tempfile.mkdtemp(prefix="schakel-bench-matching-")
    machine = setup()
    from django.db import connection
    from django_tasks.base import TaskResultStatus as ResultStatus
    from django_tasks_db.models import DBTaskResult

    from schakel.web.api_auth import issue_api_token

    _require_model()
    rng = random.Random(seed)  # as in ``scoring``: another seed for each run on one database
    user, group = _chain()
    token = issue_api_token(user)
    people = _people(rng, 2000)
    # Jobs left from making the demo (its alerts, its signals' entities jobs, which the
    # ``mentions`` step of linkage_large.py did instead) would be run first: the workers take
    # the oldest first. Only jobs queued from now on count.
    backlog = DBTaskResult.objects.filter(status=ResultStatus.READY)
    if backlog.exists():
        if not drop_backlog:
            raise SystemExit(
                f"{backlog.count():,} jobs wait in this database; run with --drop-backlog to "
                "delete them (a benchmark database only)"
            )
        backlog.delete()
    from django.utils import timezone

    since = DBTaskResult.objects.order_by("-enqueued_at").values_list("enqueued_at", flat=True)
    # The newest job left (none after the backlog was dropped: then from now on).
    start_mark = since.first() or timezone.now()
    print(f"machine: {machine}")
    print(f"known: {_sizes()}")
    connection.close()
    environment = server_environment(database_url, data_dir)
    port = free_port()
    binaries = Path(sys.executable).parent
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn with fixed arguments
        [
            str(binaries / "gunicorn"),
            "schakel.wsgi:application",
            "--config=python:schakel.web.gunicorn_conf",
            f"--bind=127.0.0.1:{port}",
            "--workers=2",
            "--forwarded-allow-ips=127.0.0.1",
        ],
        env=environment,
        cwd=data_dir,
    )
    job_runners = [
        subprocess.Popen(  # noqa: S603 - our own worker with fixed arguments
            [str(binaries / "schakel"), "worker", "--interval", "0.1"],
            env=environment,
            cwd=data_dir,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    acknowledged: dict[str, float] = {}
    seen: dict[str, float] = {}
    failures: dict[str, int] = {}
    sending = threading.Event()
    lock = threading.Lock()

    def watch() -> None:
        from schakel.entities.models import Mention

        while True:
            with lock:
                waiting = [key for key in acknowledged if key not in seen]
            if waiting:
                found = set(
                    Mention.objects.filter(signal__reference__in=waiting)
                    .values_list("signal__reference", flat=True)
                    .distinct()
                )
                now = time.perf_counter()
                with lock:
                    seen.update((key, now) for key in found)
            elif not sending.is_set():
                break
            time.sleep(0.05)
        connection.close()

    watcher = threading.Thread(target=watch)
    try:
        wait_until_up(port)
        interval = 1.0 / rate
        sending.set()
        watcher.start()

        def client(offset: int, clients: int) -> None:
            link = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            begin = time.perf_counter()
            number = offset
            while (due := begin + number * interval) < begin + seconds:
                pause = due - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                body = json.dumps(_body(rng, people, group, "visible")[0]).encode()
                link.request(
                    "POST",
                    "/api/v1/signals/",
                    body=body,
                    headers={
                        "Authorization": f"Token {token}",
                        "Content-Type": "application/json",
                    },
                )
                response = link.getresponse()
                answer = response.read()
                with lock:
                    if response.status == 201:
                        acknowledged[json.loads(answer)["reference"]] = time.perf_counter()
                    else:
                        failures[str(response.status)] = failures.get(str(response.status), 0) + 1
                number += clients

        clients = 4
        threads = [threading.Thread(target=client, args=(i, clients)) for i in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # Let the workers finish what was queued (at most a minute).
        deadline = time.time() + 60
        while len(seen) < len(acknowledged) and time.time() < deadline:
            time.sleep(0.5)
    finally:
        sending.clear()
        if watcher.is_alive():
            watcher.join(timeout=70)
        server.send_signal(signal.SIGTERM)
        for runner in job_runners:
            runner.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        for runner in job_runners:
            runner.wait(timeout=30)
    jobs = DBTaskResult.objects.filter(
        enqueued_at__gt=start_mark, task_path__endswith="resolve_signal_mentions"
    )
    late = [(seen[key] - at) * 1000 for key, at in acknowledged.items() if key in seen]
    print(
        f"{len(acknowledged)} signals acknowledged in {seconds:.0f} s "
        f"({len(acknowledged) / seconds:.1f}/s), failures {failures or 'none'}; "
        f"{workers} worker process(es)"
    )
    print(
        f"jobs: {jobs.count()}, finished "
        f"{jobs.filter(status=ResultStatus.SUCCESSFUL).count()}; signals visible {len(late)}, "
        f"not within a minute after the run {len(acknowledged) - len(late)}"
    )
    if late:
        print(f"visible after intake: {_ms(late)}")
    return 0 if late and len(late) == len(acknowledged) and not failures else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    score = commands.add_parser("scoring")
    score.add_argument("--signals", type=int, default=300)
    score.add_argument(
        "--truth",
        type=Path,
        help="the demo's demo-truth.jsonl: also count the pairs made with someone else",
    )
    score.add_argument(
        "--seed",
        type=int,
        default=7,
        help="which known people are written again (another seed for each run on one database)",
    )
    seen = commands.add_parser("visible")
    seen.add_argument("--seconds", type=float, default=60)
    seen.add_argument("--rate", type=float, default=50)
    seen.add_argument("--workers", type=int, default=1)
    seen.add_argument("--drop-backlog", action="store_true")
    seen.add_argument("--seed", type=int, default=11, help="which known people are written again")
    args = parser.parse_args()
    if "SCHAKEL_BENCH_DATABASE_URL" not in os.environ:
        raise SystemExit("set SCHAKEL_BENCH_DATABASE_URL to the large demo's database")
    print(machine_speed())
    if args.command == "scoring":
        return scoring(args.signals, args.truth, args.seed)
    return visible(args.seconds, args.rate, args.workers, args.drop_backlog, args.seed)


if __name__ == "__main__":
    raise SystemExit(main())
