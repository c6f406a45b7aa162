"""Run the demo: the web server and the background worker side by side, until Ctrl+C.

Called by `make demo` after migrating and generating the demo data.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent
URL = "http://127.0.0.1:8000"


def main() -> int:
    env = {**os.environ}
    server = subprocess.Popen([str(BIN / "schakel"), "serve", "--no-migrate"], env=env)
    worker = subprocess.Popen([str(BIN / "schakel"), "worker"], env=env)
    processes = [server, worker]

    def stop(*_: object) -> None:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    signal.signal(signal.SIGTERM, lambda *a: (stop(), sys.exit(0)))
    try:
        for _ in range(60):
            try:
                with urllib.request.urlopen(f"{URL}/health", timeout=2):  # noqa: S310
                    break
            except OSError:
                time.sleep(0.5)
        print(
            f"\nSchakel runs at {URL}/ — sign in with a demo login printed above. "
            "Press Ctrl+C to stop.\n",
            flush=True,
        )
        while all(process.poll() is None for process in processes):
            time.sleep(1)
        print("A Schakel process stopped; stopping the rest.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop()


if __name__ == "__main__":
    raise SystemExit(main())
