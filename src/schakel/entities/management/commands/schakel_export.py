"""``schakel export ftm --user NAME [--output FILE]``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from schakel.entities.ftm import export_lines, plan_audited_export
from schakel.partners.models import User


class Command(BaseCommand):
    help = "Export the entities a user may see as FollowTheMoney JSON lines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("format", choices=["ftm"])
        parser.add_argument("--user", required=True)
        parser.add_argument("--output")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {options['user']!r}.")
        plan = plan_audited_export(user)
        if options["output"]:
            with Path(options["output"]).open("w", encoding="utf-8") as stream:
                stream.writelines(export_lines(plan))
        else:
            sys.stdout.writelines(export_lines(plan))
        self.stderr.write(f"{plan.entities} FollowTheMoney entities written.")
