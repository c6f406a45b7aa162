"""Run the periodic jobs once. Call it from cron or a systemd timer; every job is idempotent."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from schakel.jobs import services


class Command(BaseCommand):
    help = "Run the periodic jobs (all, or those named). Safe to run as often as you like."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "jobs", nargs="*", help=f"jobs to run: {', '.join(services.PERIODIC_JOBS)}"
        )

    def handle(self, *args: Any, jobs: list[str], **options: Any) -> None:
        unknown = [name for name in jobs if name not in services.PERIODIC_JOBS]
        if unknown:
            raise CommandError(
                f"unknown job(s): {', '.join(unknown)}; known: {', '.join(services.PERIODIC_JOBS)}"
            )
        for name, result in services.run_periodic_jobs(jobs or None).items():
            self.stdout.write(f"{name}: {result}")
