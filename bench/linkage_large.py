"""Linkage at scale (issue 4): the demo generator's person mentions with their true
identities — ``schakel link``'s run from the mentions table to written entities against plain
Splink with the same settings on the same records, measured in the same run, each in a
process of its own so its peak memory is its own.

Targets: Schakel's run <= 1.1x plain Splink (plain Splink timed from reading the same records
to clusters), peak memory <= 6 GB, pairwise F1 >= 0.98 against the generator's truth; B-cubed
F1 beside it.

The data set takes long to make, so it is made once, into a database named by
SCHAKEL_BENCH_DATABASE_URL, and kept:

    schakel demo --size large --signals 500000          (with SCHAKEL_DATABASE_URL set to it;
                                                         writes demo-truth.jsonl in its data dir)
    python bench/linkage_large.py mentions [--processes 2]   the worker's service, resumable
    python bench/linkage_large.py run --truth DIR/demo-truth.jsonl
    python bench/linkage_large.py ceiling --truth DIR/demo-truth.jsonl   the best F1 possible

Each signal of the generator names one or two possible victims and sometimes a suspect, so
500,000 signals hold about 1,000,000 person mentions.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from _django import setup

BENCH = Path(__file__).resolve().parent


def mentions(processes: int) -> int:
    """Make the mentions of every signal that has none yet, ``processes`` at a time."""
    setup()
    from django.db import connection

    from schakel.entities.models import Mention
    from schakel.signals.models import Signal

    pending = list(
        Signal.objects.exclude(pk__in=Mention.objects.values("signal_id"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    connection.close()
    print(f"signals without mentions: {len(pending):,}")
    started = time.perf_counter()
    chunks = [pending[start : start + 1000] for start in range(0, len(pending), 1000)]
    done = 0
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        for made in pool.imap_unordered(_resolve, chunks):
            done += 1
            if done % 20 == 0 or done == len(chunks):
                elapsed = time.perf_counter() - started
                rate = done * 1000 / elapsed
                print(f"  {done * 1000:,} signals, {elapsed:.0f} s, {rate:.0f}/s", flush=True)
            del made
    print(f"mentions made in {time.perf_counter() - started:.0f} s")
    return 0


def _resolve(chunk: list[int]) -> int:
    from schakel.entities.services import resolve_signals

    return resolve_signals(chunk)


def _identities(truth_path: Path) -> dict[int, str]:
    """Person mention id -> true identity: the truth file lists a signal's persons in the
    order the signal names them, and a signal's person mentions follow that order. Signals
    the truth file does not know (added by ``intake_matching.py`` after the demo) are left
    out, and counted."""
    from schakel.entities.models import Mention
    from schakel.signals.models import Signal

    persons_of = {}
    with truth_path.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            persons_of[row["signal"]] = row["persons"]
    reference_of = dict(Signal.objects.values_list("pk", "reference"))
    by_signal: dict[int, list[int]] = defaultdict(list)
    for pk, signal_id in (
        Mention.objects.filter(schema="Person").order_by("source_id").values_list("pk", "signal_id")
    ):
        by_signal[signal_id].append(pk)
    identity = {}
    unknown = 0
    for signal_id, mention_ids in by_signal.items():
        persons = persons_of.get(reference_of[signal_id])
        if persons is None:
            unknown += 1
            continue
        if len(persons) != len(mention_ids):
            raise SystemExit(f"signal {signal_id}: {len(mention_ids)} mentions, truth {persons}")
        identity.update(zip(mention_ids, persons, strict=True))
    if unknown:
        print(f"signals not in the truth file (added after the demo), left out: {unknown:,}")
    return identity


def side(which: str, out: Path) -> int:
    """One side of the comparison in this process; clusters and timings to ``out``."""
    setup()
    import pandas  # type: ignore[import-untyped]  # ships without type information

    from schakel.entities import linkage
    from schakel.entities.linking import person_records, run_linkage
    from schakel.entities.models import Mention

    started = time.perf_counter()
    if which == "plain":
        records = pandas.DataFrame.from_records(list(person_records()))
        read = time.perf_counter() - started
        # collapse=False: Splink's own predict over every record, as plain Splink runs.
        result = linkage.link(
            records, "person", threshold=linkage.DEFAULT_THRESHOLD, collapse=False
        )
        clusters = result.clusters
        seconds = time.perf_counter() - started
        extra = {"reading": read, "durations": result.durations}
    else:
        run = run_linkage("Person")
        if run.status != "done":
            print("linkage failed:", run.error)
            return 1
        # The clock stops at the written entities (the target: "from the mentions table to
        # written entities"); reading them back for the quality figures is not linkage.
        seconds = time.perf_counter() - started
        clusters = dict(Mention.objects.filter(schema="Person").values_list("pk", "entity_id"))
        extra = {
            "run": run.pk,
            "counts": run.counts,
            "durations": run.durations,
            "reading_back": time.perf_counter() - started - seconds,
        }
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.write_text(
        json.dumps(
            {"seconds": seconds, "peak_mb": peak, "clusters": list(clusters.items()), **extra}
        )
    )
    return 0


def run(truth_path: Path) -> int:
    machine = setup()
    from linkage_febrl4 import b_cubed, precision_recall_f1, true_pairs

    from schakel.entities.models import Entity, Mention

    print(f"machine: {machine}")
    identity = _identities(truth_path)
    people = len(set(identity.values()))
    print(f"person mentions: {len(identity):,} of {people:,} true people")
    results = {}
    for which in ("plain", "schakel"):
        out = Path(os.environ["SCHAKEL_DATA_DIR"]) / f"{which}.json"
        code = subprocess.call(  # noqa: S603 - this script with fixed arguments
            [sys.executable, str(BENCH / "linkage_large.py"), "side", which, str(out)],
            env={**os.environ, "SCHAKEL_BENCH_DATABASE_URL": os.environ["SCHAKEL_DATABASE_URL"]},
        )
        if code:
            return code
        results[which] = json.loads(out.read_text())
    truth = true_pairs(identity)
    for which, label in (("schakel", "Schakel (schakel link)"), ("plain", "plain Splink")):
        clusters = {int(k): int(v) for k, v in results[which]["clusters"]}
        grouped: dict[int, list[int]] = defaultdict(list)
        for record, cluster in clusters.items():
            grouped[cluster].append(record)
        found = {(a, b) for group in grouped.values() for a in group for b in group if a < b}
        p, r, f1 = precision_recall_f1(found, truth)
        bp, br, bf1 = b_cubed(clusters, identity)
        print(
            f"{label}: {results[which]['seconds']:.1f} s, peak {results[which]['peak_mb']:,.0f} "
            f"MB; pairwise P {p:.4f} R {r:.4f} F1 {f1:.4f}; B-cubed P {bp:.4f} R {br:.4f} "
            f"F1 {bf1:.4f}; {len(grouped):,} clusters"
        )
        print(f"  durations: {results[which]['durations']}")
    print(f"  counts: {results['schakel']['counts']}")
    print(f"  plain Splink reading the records: {results['plain']['reading']:.1f} s")
    print(
        f"  Schakel reading its entities back for the figures (not timed): "
        f"{results['schakel']['reading_back']:.1f} s"
    )
    ratio = results["schakel"]["seconds"] / results["plain"]["seconds"]
    print(f"Schakel's run / plain Splink (reading included): {ratio:.2f}x")
    print(
        f"entities now: {Entity.objects.filter(merged_into__isnull=True).count():,} "
        f"(person mentions {Mention.objects.filter(schema='Person').count():,})"
    )
    return 0


def ceiling(truth_path: Path) -> int:
    """How far pairwise F1 can go on these mentions: every mention with a date of birth or a
    phone number in its true cluster (both single a person out here), and a mention with only
    a name (and perhaps a nationality) with its person only when no other person of that name
    and nationality has a dated mention — otherwise alone, or with the namesake mentioned most
    (ties to the true one), or, when the place where it was seen is known, with the one
    namesake seen there in another mention. Names are each person's most frequent spelling,
    so typing errors cost nothing here: an optimistic bound."""
    machine = setup()
    import itertools
    from collections import Counter

    from linkage_febrl4 import precision_recall_f1

    from schakel.entities.linking import person_records

    print(f"machine: {machine}")
    identity = _identities(truth_path)
    records = {r["unique_id"]: r for r in person_records()}
    members: dict[str, list[int]] = defaultdict(list)
    for mention, person in identity.items():
        members[person].append(mention)

    def spelt(m: int) -> tuple[str, str]:
        return (records[m]["given_name"] or "", records[m]["family_name"] or "")

    name = {p: Counter(spelt(m) for m in ms).most_common(1)[0][0] for p, ms in members.items()}
    nationality = {
        p: Counter(n for m in ms if (n := records[m]["nationality"])).most_common(1)
        for p, ms in members.items()
    }
    dated = {p: sum(1 for m in ms if records[m]["date_of_birth"]) for p, ms in members.items()}

    def place(m: int) -> tuple[str, str] | None:
        postcode, number = records[m]["postcode"], records[m]["house_number"]
        return (postcode, number) if postcode and number else None

    places = {p: Counter(place(m) for m in ms if place(m)) for p, ms in members.items()}
    namesakes: dict[tuple[str, str], list[str]] = defaultdict(list)
    for person, full in name.items():
        if dated[person]:
            namesakes[full].append(person)
    truth = {pair for ms in members.values() for pair in itertools.combinations(sorted(ms), 2)}
    only_a_name = 0
    for policy in ("alone", "most mentioned", "told apart by place"):
        cluster: dict[int, object] = {}
        for mention, person in identity.items():
            record = records[mention]
            if record["date_of_birth"] or record["phone"]:
                cluster[mention] = person
                continue
            only_a_name += policy == "alone"
            fits = [
                p
                for p in namesakes[name[person]]
                if not record["nationality"]
                or not nationality[p]
                or nationality[p][0][0] == record["nationality"]
            ]
            here = place(mention)
            seen_here = [p for p in fits if here and places[p][here] > (p == person)]
            if fits == [person] or (policy == "told apart by place" and seen_here == [person]):
                cluster[mention] = person
            elif policy == "most mentioned" and fits:
                cluster[mention] = max(fits, key=lambda p: (dated[p], p == person))
            else:
                cluster[mention] = ("alone", mention)
        grouped: dict[object, list[int]] = defaultdict(list)
        for mention, key in cluster.items():
            grouped[key].append(mention)
        found = {pair for ms in grouped.values() for pair in itertools.combinations(sorted(ms), 2)}
        p, r, f1 = precision_recall_f1(found, truth)
        print(
            f"ceiling, a name-only mention {policy} when ambiguous: P {p:.4f} R {r:.4f} F1 {f1:.4f}"
        )
    print(f"person mentions {len(identity):,}; with only a name {only_a_name:,}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("mentions")
    make.add_argument("--processes", type=int, default=2)
    measure = commands.add_parser("run")
    measure.add_argument("--truth", type=Path, required=True)
    bound = commands.add_parser("ceiling")
    bound.add_argument("--truth", type=Path, required=True)
    one = commands.add_parser("side")
    one.add_argument("which", choices=["plain", "schakel"])
    one.add_argument("out", type=Path)
    args = parser.parse_args()
    if args.command == "mentions":
        return mentions(args.processes)
    if args.command == "side":
        return side(args.which, args.out)
    if args.command == "ceiling":
        return ceiling(args.truth)
    return run(args.truth)


if __name__ == "__main__":
    sys.path.insert(0, str(BENCH))
    raise SystemExit(main())
