"""``audit_checkpoint``: write the chain's current end to a file kept outside the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from schakel.audit import services


class Command(BaseCommand):
    help = (
        "Write the audit chain's current position and HMAC to a JSON file. Keep these files "
        "away from the database (and its backups); audit_verify --checkpoint FILE then "
        "detects a log that was cut short or rewritten."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help="file to write (default: SCHAKEL_DATA_DIR/audit-checkpoints/<time>.json)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            path = services.write_checkpoint(options["output"])
        except OSError as exc:
            raise CommandError(f"cannot write the checkpoint: {exc}") from None
        self.stdout.write(str(path))
