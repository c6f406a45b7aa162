"""Start Django for a benchmark on a fresh database of its own (SQLite by default, or the
PostgreSQL server in SCHAKEL_BENCH_DATABASE_URL), so benchmarks never touch real data."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def setup() -> str:
    data_dir = tempfile.mkdtemp(prefix="schakel-bench-")
    os.environ["SCHAKEL_DATA_DIR"] = data_dir
    os.environ.setdefault("SCHAKEL_LOG_LEVEL", "warning")
    url = os.environ.pop("SCHAKEL_BENCH_DATABASE_URL", "")
    if url:
        os.environ["SCHAKEL_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schakel.settings")
    import django
    from django.core.management import call_command

    django.setup()
    from django.conf import settings

    # Benchmarks measure Schakel, not Argon2: users are created with a fast hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)
    from django.db import connection

    return (
        f"{connection.vendor}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; {machine_speed()}"
    )


def machine_speed() -> str:
    """How fast this machine runs plain Python right now: the best of three runs of a fixed
    loop of 10 million additions. Machines of the same kind differ (shared hosts: the same
    script has run three times slower on one than another), so every figure is printed with
    this one to compare runs."""
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        total = 0
        for number in range(10_000_000):
            total += number
        best = min(best, time.process_time() - start)
    return f"reference loop {best:.2f} s"


def timed(function: Callable[[], object], repeat: int) -> dict[str, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
        "max_ms": round(samples[-1], 2),
    }
