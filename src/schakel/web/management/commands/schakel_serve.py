"""``schakel serve``: migrate, collect static files in production, and run gunicorn."""

from __future__ import annotations

import os
import shutil
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Serve Schakel with gunicorn."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--no-migrate", action="store_true")

    def handle(self, *args: Any, bind: str, workers: int, no_migrate: bool, **options: Any) -> None:
        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=0)
        if settings.PRODUCTION:
            call_command("collectstatic", interactive=False, verbosity=0)
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or (
            shutil.which("gunicorn")
        )
        if gunicorn is None:
            raise CommandError("gunicorn is not installed in this environment")
        self.stdout.write(f"Schakel serves on http://{bind}")
        self.stdout.flush()
        # Replace this process, so that signals from a service manager reach gunicorn.
        os.execv(  # noqa: S606 - our own gunicorn with fixed arguments
            gunicorn,
            [
                gunicorn,
                "schakel.wsgi:application",
                "--config=python:schakel.web.gunicorn_conf",
                f"--bind={bind}",
                f"--workers={workers}",
                "--forwarded-allow-ips=127.0.0.1",
            ],
        )
