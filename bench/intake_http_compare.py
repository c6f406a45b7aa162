"""Intake over HTTP, this checkout against another one, measured in turns on the same machine.

Machines of the kind the benchmarks run on change speed by a third or more within the hour,
so two runs of ``intake_http.py`` one after the other can differ by more than a change to
the code does. This script starts both servers side by side — gunicorn with 2 workers for
each checkout, each on a scratch PostgreSQL database of its own, migrated and filled by its
own code — and drives them in turns: a few seconds of load on one while the other idles,
then the other, for several rounds, in alternating order. Each round is measured as
``intake_http.py`` measures a run (signals/s, CPU per signal of gunicorn and of the
database's backends). Compared per pair of neighbouring turns, the machine's drift falls
out of the ratio.

    python bench/intake_http_compare.py /path/to/other/checkout [--rounds 8] [--seconds 10]

The other checkout needs its front-end build and compiled messages as this one does (copy
``src/schakel/web/static/dist`` and ``src/schakel/locale/*/LC_MESSAGES/django.mo``); a git
worktree of an older commit will do. Both run in this checkout's virtual environment.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import intake_http as ih
from _django import machine_speed

LOCAL_SERVER = ih.LOCAL_SERVER


@dataclass
class Side:
    name: str
    src: Path
    database: str
    data_dir: str = field(default_factory=lambda: tempfile.mkdtemp(prefix="schakel-compare-"))
    tokens: list[str] = field(default_factory=list)
    group: int = 0
    server: subprocess.Popen[bytes] | None = None
    port: int = 0
    rounds: list[dict[str, float]] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    failures: int = 0

    @property
    def url(self) -> str:
        return f"{LOCAL_SERVER}/{self.database}"

    def environment(self) -> dict[str, str]:
        environment = ih.server_environment(self.url, self.data_dir)
        environment["PYTHONPATH"] = str(self.src)
        return environment


PREPARE = """
import json, os, sys
sys.path.insert(0, {bench!r})
import intake_http
sys.path.insert(0, {src!r})
tokens, group = intake_http.prepare({clients})
print("PREPARED " + json.dumps({{"tokens": tokens, "group": group}}))
"""


def prepare(side: Side, clients: int) -> None:
    """Migrate the side's database and make its users and tokens, with the side's own code."""
    environment = side.environment()
    environment["DJANGO_SETTINGS_MODULE"] = "schakel.settings"
    code = PREPARE.format(bench=str(Path(__file__).parent), src=str(side.src), clients=clients)
    done = subprocess.run(  # noqa: S603 - this interpreter with our own code
        [sys.executable, "-c", code],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(line for line in done.stdout.splitlines() if line.startswith("PREPARED "))
    prepared = json.loads(line.removeprefix("PREPARED "))
    side.tokens, side.group = prepared["tokens"], prepared["group"]


def start(side: Side, workers: int) -> None:
    side.port = ih.free_port()
    side.server = subprocess.Popen(  # noqa: S603 - our own gunicorn with fixed arguments
        ih.gunicorn_command(side.port, workers), env=side.environment(), cwd=side.data_dir
    )
    ih.wait_until_up(side.port)


def turn(side: Side, seconds: float) -> None:
    assert side.server is not None
    generator = ih.Generator(side.port, side.tokens, side.group, seconds)
    with ih.CpuMeter(side.server.pid, side.database) as meter:
        elapsed = generator.run()
    used = meter.used()
    machine = used.pop("machine", 0.0)
    done = len(generator.acknowledged)
    side.acknowledged += generator.acknowledged
    side.failures += sum(generator.failures.values())
    if not done:
        raise RuntimeError(f"{side.name}: no signal acknowledged ({generator.failures})")
    side.rounds.append(
        {
            "rate": done / elapsed,
            "gunicorn": used.get("gunicorn", 0.0) * 1000 / done,
            "postgresql": used.get("postgresql", 0.0) * 1000 / done,
            "generator": used.get("generator", 0.0) * 1000 / done,
            "busy": machine / elapsed,
        }
    )


def verify(side: Side) -> int:
    import psycopg

    references = sorted(set(side.acknowledged))
    with psycopg.connect(side.url) as connection:
        (stored,) = connection.execute(
            "SELECT count(*) FROM signals_signal WHERE reference = ANY(%s)", [references]
        ).fetchone()  # type: ignore[misc]
    missing = len(references) - int(stored)
    twice = len(side.acknowledged) - len(references)
    print(
        f"{side.name}: {stored} of {len(references)} acknowledged signals stored, "
        f"{missing} missing, {twice} acknowledged twice, {side.failures} failed requests"
    )
    return missing + twice + side.failures


def report(sides: list[Side]) -> None:
    def median(side: Side, key: str) -> float:
        return statistics.median(r[key] for r in side.rounds)

    for side in sides:
        print(
            f"{side.name}: median of {len(side.rounds)} turns: {median(side, 'rate'):.1f} "
            f"signals/s; CPU per signal gunicorn {median(side, 'gunicorn'):.2f} + "
            f"PostgreSQL {median(side, 'postgresql'):.2f} ms; generator "
            f"{median(side, 'generator'):.2f} ms; cores busy {median(side, 'busy'):.2f}"
        )
    this, other = sides
    pairs = list(zip(this.rounds, other.rounds, strict=True))

    def ratio(key: str) -> str:
        values = sorted(a[key] / b[key] for a, b in pairs if b[key])
        return f"{statistics.median(values):.3f} (turns: {values[0]:.3f} to {values[-1]:.3f})"

    def server(r: dict[str, float]) -> float:
        return r["gunicorn"] + r["postgresql"]

    totals = sorted(server(a) / server(b) for a, b in pairs)
    print("this / other, per pair of turns (median, range):")
    print(f"  signals/s {ratio('rate')}")
    print(f"  CPU per signal: gunicorn {ratio('gunicorn')}; PostgreSQL {ratio('postgresql')}")
    print(
        f"  CPU per signal, server side (gunicorn + PostgreSQL): "
        f"{statistics.median(totals):.3f} (turns: {totals[0]:.3f} to {totals[-1]:.3f})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="the other checkout (its directory)")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10, help="seconds of load per turn")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    import psycopg

    this_root = Path(__file__).resolve().parents[1]
    sides = [
        Side("this", this_root / "src", "schakel_compare_this"),
        Side("other", args.other.resolve() / "src", "schakel_compare_other"),
    ]
    print(f"this: {this_root}; other: {args.other.resolve()}; {machine_speed()}")
    with psycopg.connect(f"{LOCAL_SERVER}/postgres", autocommit=True) as admin:
        for side in sides:
            admin.execute(f"DROP DATABASE IF EXISTS {side.database} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {side.database}")
        try:
            for side in sides:
                prepare(side, args.clients)
                start(side, args.workers)
                ih.Generator(side.port, side.tokens, side.group, 3).run()  # warm-up
            for number in range(args.rounds):
                for side in sides if number % 2 == 0 else reversed(sides):
                    turn(side, args.seconds)
            report(sides)
            problems = sum(verify(side) for side in sides)
        finally:
            for side in sides:
                if side.server is not None:
                    side.server.send_signal(signal.SIGTERM)
                    side.server.wait(timeout=30)
            for side in sides:
                admin.execute(f"DROP DATABASE IF EXISTS {side.database} WITH (FORCE)")
    print(machine_speed())
    return 0 if problems == 0 else 1


if __name__ == "__main__":
    os.environ.pop("SCHAKEL_BENCH_DATABASE_URL", None)
    sys.exit(main())
