"""Signal intake over HTTP with the production server: gunicorn with 2 workers, POST
/api/v1/signals/ from a load generator on the loopback interface, for 60 seconds.

Target (signals issue): at least 300 signals/s sustained for 60 s, p99 latency at most 200 ms,
and every signal the server acknowledged (201 with a reference) is in the database — the
generator lets the requests in flight finish before it counts.

The database is a scratch one of its own: the PostgreSQL database named by
SCHAKEL_BENCH_DATABASE_URL, or else a new database ``schakel_bench_api`` created on the local
PostgreSQL server (postgresql://postgres@127.0.0.1:5432, dropped afterwards), or else a
temporary SQLite file when no PostgreSQL server answers.

Each request is what a partner's case system would send: a signal with a possible victim
(name, date of birth, phone), a suspect, an address, an IBAN, indicators, a sharing group, its
own ``external_id`` and an ``Idempotency-Key``. Clients are several users of the chain, each
with an API token; the rate limit is raised for the run (the load of many partners at once).

    python bench/intake_http.py [--seconds 60] [--clients 8] [--workers 2] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from _django import machine_speed

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
SCRATCH_DATABASE = "schakel_bench_api"
LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432"


@contextmanager
def scratch_database() -> Iterator[str]:
    """The database URL to use, created and dropped here unless the caller named one."""
    named = os.environ.pop("SCHAKEL_BENCH_DATABASE_URL", "")
    if named:
        yield named
        return
    try:
        import psycopg

        admin = psycopg.connect(f"{LOCAL_SERVER}/postgres", autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        print(f"no PostgreSQL server ({exc.__class__.__name__}); using SQLite")
        yield ""
        return
    with admin:
        admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DATABASE}")
        admin.execute(f"CREATE DATABASE {SCRATCH_DATABASE}")
        try:
            yield f"{LOCAL_SERVER}/{SCRATCH_DATABASE}"
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DATABASE} WITH (FORCE)")


def server_environment(database_url: str, data_dir: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SCHAKEL_")}
    environment.update(
        {
            "SCHAKEL_MODE": "development",
            "SCHAKEL_DATABASE_URL": database_url,
            "SCHAKEL_DATA_DIR": data_dir,
            "SCHAKEL_DEBUG": "false",
            # Tokens are machine credentials and skip the second factor anyway.
            "SCHAKEL_REQUIRE_2FA": "true",
            # Several partners' systems at once: the per-user limit is not what is measured.
            "SCHAKEL_API_RATE": "1000000/min",
            "SCHAKEL_LOG_LEVEL": "warning",
            "SCHAKEL_LOG_FORMAT": "text",
            "SCHAKEL_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PYTHONPATH": str(ROOT / "src"),
        }
    )
    return environment


def prepare(clients: int) -> tuple[list[str], int]:
    """Migrate, build the chain of the test personas, and give each client a user and a
    token. Returns the tokens and the sharing group to send signals to."""
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)
    from schakel.partners.services import create_user
    from schakel.partners.vocabulary import Role
    from schakel.testing.personas import build_world
    from schakel.web.api_auth import issue_api_token

    world = build_world()
    organisations = [world.municipality_a, world.police_a, world.ngo_a]
    tokens = []
    for index in range(clients):
        user = create_user(
            organisations[index % len(organisations)],
            f"system-{index}",
            roles=[Role.PROFESSIONAL],
            password=uuid.uuid4().hex,
            first_name="Koppeling",
            last_name=str(index),
            email=f"system-{index}@example.test",
        )
        tokens.append(issue_api_token(user))
    return tokens, world.table_a.pk


def signal_body(run: str, client: int, number: int, group: int) -> dict[str, Any]:
    serial = client * 1_000_000 + number
    return {
        "external_id": f"{run}-{client}-{number}",
        "description": f"Melding {serial}: acht mensen wonen boven een nagelstudio; de baas "
        "houdt de paspoorten in en betaalt contant.",
        "observed_on": "2026-11-20",
        "municipality": "GM0758",
        "forms_of_exploitation": ["labour"],
        "indicator_ids": ["ilo.retention_of_identity_documents", "labour.lives_at_workplace"],
        "tlp": "AMBER",
        "purpose": "signal_table_assessment",
        "sharing_groups": [group],
        "persons": [
            {
                "role": "possible_victim",
                "given_names": "Ioana",
                "family_name": f"Popescu-{serial}",
                "date_of_birth": "1999-03-04",
                "nationality": "RO",
                "phones": [f"+31 6 {10_000_000 + serial % 90_000_000}"],
            },
            {"role": "suspect", "given_names": "Marius", "family_name": "Dragomir"},
        ],
        "addresses": [
            {"street": "Ginnekenweg", "house_number": "12a", "postcode": "4818 JA", "city": "Breda"}
        ],
        "ibans": ["NL91 ABNA 0417 1643 00"],
    }


class Http11:
    """The smallest HTTP/1.1 client this load needs: one request at a time on a socket, the
    answer read by its Content-Length, a new connection when the server closed the last one
    (gunicorn's sync workers close after every answer). ``http.client`` parses each answer's
    headers with the e-mail package and cost the generator about half a millisecond a
    request; this is CPU the server's two cores did not get."""

    def __init__(self, host: str, port: int) -> None:
        self.address = (host, port)
        self.sock: socket.socket | None = None

    def exchange(self, request: bytes) -> tuple[int, bytes]:
        if self.sock is None:
            self.sock = socket.create_connection(self.address, timeout=30)
        self.sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ValueError("connection closed before the answer's headers")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines[1:])
        }
        if "content-length" not in headers:
            raise ValueError("an answer without Content-Length")
        length = int(headers["content-length"])
        while len(body) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ValueError("connection closed inside the answer's body")
            body += chunk
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, body[:length]

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


class Generator:
    """Closed loop: each client thread sends one request, waits for the answer, sends the
    next, until the time is up; the request in flight then finishes and is counted."""

    def __init__(self, port: int, tokens: list[str], group: int, seconds: float) -> None:
        self.port = port
        self.tokens = tokens
        self.group = group
        self.seconds = seconds
        self.latencies: list[float] = []
        self.acknowledged: list[str] = []
        self.failures: dict[str, int] = {}
        self.lock = threading.Lock()
        self.run_id = uuid.uuid4().hex[:12]  # external ids unique across runs

    def run(self) -> float:
        deadline = time.perf_counter() + self.seconds
        threads = [
            threading.Thread(target=self._client, args=(index, token, deadline))
            for index, token in enumerate(self.tokens)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - started

    def _client(self, index: int, token: str, deadline: float) -> None:
        connection = Http11("127.0.0.1", self.port)
        number = 0
        while time.perf_counter() < deadline:
            number += 1
            body = json.dumps(signal_body(self.run_id, index, number, self.group)).encode()
            head = (
                "POST /api/v1/signals/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Token {token}\r\nContent-Type: application/json\r\n"
                f"Accept-Language: nl\r\nIdempotency-Key: {index}-{number}-{uuid.uuid4().hex}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            )
            start = time.perf_counter()
            try:
                status, payload = connection.exchange(head.encode() + body)
            except (OSError, ValueError) as exc:
                connection.close()
                self._fail(exc.__class__.__name__)
                continue
            elapsed = time.perf_counter() - start
            if status == 201:
                reference = json.loads(payload)["reference"]
                with self.lock:
                    self.latencies.append(elapsed)
                    self.acknowledged.append(reference)
            else:
                self._fail(f"HTTP {status}")
        connection.close()

    def _fail(self, what: str) -> None:
        with self.lock:
            self.failures[what] = self.failures.get(what, 0) + 1


def wait_until_up(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health = f"http://127.0.0.1:{port}/health"
        with suppress(OSError), urllib.request.urlopen(health, timeout=2):
            return
        time.sleep(0.25)
    raise RuntimeError("gunicorn did not come up")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class CpuMeter:
    """Where the machine's cores went during the run, read from /proc once a second: CPU
    seconds of gunicorn (master and workers), of the PostgreSQL backends serving this
    database (a backend that appears mid-run counts from zero), of this process (the load
    generator), and of the whole machine — the rest is other work on the machine."""

    def __init__(self, server_pid: int, database: str) -> None:
        self.server_pid = server_pid
        self.database = database
        self.tick = os.sysconf("SC_CLK_TCK")
        self.first: dict[tuple[str, int], float] = {}
        self.last: dict[tuple[str, int], float] = {}
        self.kinds: dict[int, str | None] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample_every_second, daemon=True)

    def __enter__(self) -> CpuMeter:
        self._sample(first=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self._sample()

    def used(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for (group, pid), seconds in self.last.items():
            totals[group] = totals.get(group, 0.0) + seconds - self.first.get((group, pid), 0.0)
        return totals

    def _sample_every_second(self) -> None:
        while not self.stop.wait(1.0):
            self._sample()

    def _sample(self, *, first: bool = False) -> None:
        seen: dict[tuple[str, int], float] = {("machine", 0): self._machine_busy()}
        seen[("generator", os.getpid())] = time.process_time()
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            with suppress(OSError, IndexError, ValueError):
                if pid not in self.kinds:
                    # Each process is looked at once: the meter runs inside the generator,
                    # whose CPU it would otherwise add to.
                    self.kinds[pid] = self._kind(pid)
                kind = self.kinds[pid]
                if kind is not None:
                    seen[(kind, pid)] = self._cpu(pid)[0]
        for key, cpu in seen.items():
            if first:
                self.first[key] = cpu
            self.last[key] = cpu

    def _cpu(self, pid: int) -> tuple[float, int]:
        """CPU seconds so far and the parent's pid."""
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(stat[11]) + int(stat[12])) / self.tick, int(stat[1])

    def _kind(self, pid: int) -> str | None:
        if pid == self.server_pid or self._cpu(pid)[1] == self.server_pid:
            return "gunicorn"
        if self.database and self._serves_database(Path(f"/proc/{pid}")):
            return "postgresql"
        return None

    def _serves_database(self, entry: Path) -> bool:
        command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        return command.startswith("postgres:") and f" {self.database} " in command

    def _machine_busy(self) -> float:
        # First line of /proc/stat: user nice system idle iowait irq softirq steal ...
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]
        return (sum(fields[:8]) - idle) / self.tick


def gunicorn_command(port: int, workers: int, *extra: str) -> list[str]:
    """What ``schakel serve`` runs (its settings file too), on a port of its own."""
    return [
        str(Path(sys.executable).parent / "gunicorn"),
        "schakel.wsgi:application",
        "--config=python:schakel.web.gunicorn_conf",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        "--forwarded-allow-ips=127.0.0.1",
        *extra,
    ]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def _threads() -> int:
    """Threads per worker in ``schakel serve``'s settings file."""
    from schakel.web import gunicorn_conf

    return int(getattr(gunicorn_conf, "threads", 1))


def _worker_kind(threads: int) -> str:
    return f"gthread, {threads} threads each" if threads > 1 else "sync"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=8, help="concurrent client connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--threads", type=int, default=0, help="threads per worker (default: schakel serve's)"
    )
    parser.add_argument("--warm-up", type=float, default=5, help="seconds before measuring")
    parser.add_argument(
        "--gunicorn-arg",
        action="append",
        default=[],
        help="extra gunicorn argument, e.g. --gunicorn-arg=--threads=2 (repeatable)",
    )
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="schakel-bench-http-")
    with scratch_database() as database_url:
        environment = server_environment(database_url, data_dir)
        os.environ.update(environment)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schakel.settings")
        tokens, group = prepare(args.clients)
        from django.db import connection

        vendor = connection.vendor
        connection.close()
        port = free_port()
        server = subprocess.Popen(  # noqa: S603 - our own gunicorn with fixed arguments
            gunicorn_command(
                port, args.workers, f"--threads={args.threads or _threads()}", *args.gunicorn_arg
            ),
            env=environment,
            cwd=data_dir,
        )
        try:
            wait_until_up(port)
            if args.warm_up:
                Generator(port, tokens, group, args.warm_up).run()
            database = database_url.rsplit("/", 1)[-1] if database_url else ""
            generator = Generator(port, tokens, group, args.seconds)
            with CpuMeter(server.pid, database) as meter:
                elapsed = generator.run()
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        report(args, vendor, generator, elapsed)
        cpu_report(meter.used(), elapsed, len(generator.acknowledged))
        missing = verify(generator.acknowledged)
        connection.close()
    # A run with refused requests or lost signals is not a measurement of intake.
    return 0 if missing == 0 and generator.acknowledged and not generator.failures else 1


def report(args: argparse.Namespace, vendor: str, generator: Generator, elapsed: float) -> None:
    done = len(generator.acknowledged)
    latencies = [s * 1000 for s in generator.latencies]
    print(
        f"machine: {vendor}, {platform.processor() or platform.machine()}, {os.cpu_count()} "
        f"cores, Python {platform.python_version()}; {machine_speed()}; "
        f"gunicorn {args.workers} workers ({_worker_kind(args.threads or _threads())}), "
        f"{args.clients} client connections on loopback"
    )
    print(f"acknowledged: {done} signals in {elapsed:.1f} s = {done / elapsed:.1f} signals/s")
    if latencies:
        print(
            f"latency: p50 {statistics.median(latencies):.1f} ms, "
            f"p95 {percentile(latencies, 0.95):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms, "
            f"max {max(latencies):.1f} ms"
        )
    print(f"failures: {generator.failures or 'none'}")


def cpu_report(used: dict[str, float], elapsed: float, done: int) -> None:
    if not done:
        return
    cores = os.cpu_count() or 1
    machine = used.pop("machine", 0.0)
    ours = sum(used.values())
    per_signal = {name: seconds * 1000 / done for name, seconds in sorted(used.items())}
    parts = ", ".join(f"{name} {ms:.2f} ms" for name, ms in per_signal.items())
    total = sum(per_signal.values())
    print(f"CPU per signal: {parts} (total {total:.2f} ms)")
    print(
        f"cores busy: {machine / elapsed:.2f} of {cores} — this benchmark "
        f"{ours / elapsed:.2f}, other work on the machine {(machine - ours) / elapsed:.2f}; "
        f"at {total:.2f} ms a signal, {cores} cores make at most {cores * 1000 / total:.0f}/s"
    )


def verify(acknowledged: list[str]) -> int:
    """Every acknowledged reference is a stored signal, once."""
    from schakel.signals.models import Signal

    stored = set()
    for start in range(0, len(acknowledged), 5000):
        chunk = acknowledged[start : start + 5000]
        stored.update(
            Signal.objects.filter(reference__in=chunk).values_list("reference", flat=True)
        )
    missing = len(set(acknowledged) - stored)
    duplicates = len(acknowledged) - len(set(acknowledged))
    print(
        f"verified: {len(stored)} of {len(set(acknowledged))} acknowledged signals stored, "
        f"{missing} missing, {duplicates} references acknowledged twice; "
        f"{Signal.objects.count()} signals in the database (warm-up included)"
    )
    return missing + duplicates


if __name__ == "__main__":
    sys.exit(main())
