"""Run every test leg this machine supports; with CI=true a missing service fails the run.

Legs: SQLite (the whole suite, browser tests included) and PostgreSQL (the same suite without
the browser tests, against SCHAKEL_TEST_DATABASE_URL or postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_URL = os.environ.get("SCHAKEL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
CHROMIUM = os.environ.get("SCHAKEL_TEST_BROWSER", "/usr/bin/chromium")


def postgres_reachable(url: str) -> str | None:
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means the leg cannot run
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


def run(title: str, args: list[str], env: dict[str, str]) -> int:
    print(f"\n=== {title}: pytest {' '.join(args)}", flush=True)
    return subprocess.call([str(BIN / "pytest"), *args], env=env)


def main() -> int:
    extra = sys.argv[1:]
    base_env = {k: v for k, v in os.environ.items() if k != "SCHAKEL_TEST_DATABASE_URL"}
    failures: list[str] = []

    has_browser = Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is not None
    if not has_browser:
        if CI:
            print(f"CI: chromium not found at {CHROMIUM}; browser tests cannot run.")
            return 1
        print(f"NOTE: chromium not found at {CHROMIUM}: browser tests are skipped.")
    # Two workers, a test file to each at a time: each worker has a database of its own
    # (pytest-django adds the worker's name to the test database's).
    parallel = extra or ["-n", "2", "--dist", "loadfile"]
    if run("SQLite", parallel, base_env) != 0:
        failures.append("SQLite")

    problem = postgres_reachable(PG_URL)
    if problem is None:
        env = {**base_env, "SCHAKEL_TEST_DATABASE_URL": PG_URL}
        if run("PostgreSQL", ["-m", "not browser", *parallel], env) != 0:
            failures.append("PostgreSQL")
    elif CI:
        print(f"CI: PostgreSQL at {PG_URL} is not reachable ({problem}).")
        failures.append("PostgreSQL (unreachable)")
    else:
        print(f"NOTE: PostgreSQL at {PG_URL} not reachable ({problem}): that leg is skipped.")

    if failures:
        print(f"\nFAILED legs: {', '.join(failures)}")
        return 1
    print("\nAll test legs passed.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
