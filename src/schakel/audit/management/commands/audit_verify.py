"""``audit_verify``: recompute the audit chain; exit 1 when it was tampered with."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from schakel.audit import protection, services


class Command(BaseCommand):
    help = (
        "Recompute the audit log's HMAC chain and report the first entry that was altered, "
        "inserted or deleted. With --checkpoint, also detect entries missing after it. "
        "Exits 0 when intact, 1 when tampering is found."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoint", type=Path, help="a checkpoint file written by audit_checkpoint"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        checkpoint = None
        if options["checkpoint"] is not None:
            try:
                checkpoint = services.read_checkpoint(options["checkpoint"])
            except (OSError, ValueError) as exc:
                raise CommandError(f"cannot use the checkpoint: {exc}") from None
        console = Console(file=sys.stderr)
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        ) as bar:
            task = bar.add_task("Verifying the audit chain", total=None)

            def progress(done: int, total: int | None) -> None:
                bar.update(task, completed=done, total=total)

            try:
                report = services.verify(checkpoint, progress=progress)
            except ValueError as exc:
                raise CommandError(f"cannot use the checkpoint: {exc}") from None
        missing = protection.missing_triggers()
        if missing:
            # Not tampering in itself, but the database no longer refuses it.
            self.stderr.write(
                "warning: the append-only triggers are missing: " + ", ".join(missing)
            )
        if not report.ok:
            raise CommandError(report.summary())
        self.stdout.write(report.summary())
