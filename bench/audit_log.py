"""Audit log throughput: writing entries (each a link in the HMAC chain) and verifying them.

Target (foundation): writing an entry adds under 2 ms to a request; `schakel audit verify`
checks at least 20,000 entries per second, so a year of a busy region verifies in minutes.
"""

from __future__ import annotations

import sys
import time

from _django import setup, timed


def main() -> int:
    machine = setup()
    from django.db import transaction

    from schakel.audit import services as audit

    total = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    print(f"machine: {machine}")

    def write_one() -> None:
        with transaction.atomic():
            audit.record_change(None, "update", "tasks.task", [1, 2, 3], details={"n": 1})

    print(f"one entry in its own transaction: {timed(write_one, 500)}")
    start = time.perf_counter()
    batch = 1000
    for _ in range(total // batch):
        with transaction.atomic():
            for _ in range(batch):
                audit.record_read(None, "partners.user", range(20), purpose="bench")
    elapsed = time.perf_counter() - start
    print(f"append: {total} entries in {elapsed:.1f} s = {total / elapsed:,.0f} entries/s")
    start = time.perf_counter()
    report = audit.verify()
    elapsed = time.perf_counter() - start
    assert report.ok, report.summary()
    print(
        f"verify: {report.entries} entries in {elapsed:.2f} s = "
        f"{report.entries / elapsed:,.0f} entries/s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
