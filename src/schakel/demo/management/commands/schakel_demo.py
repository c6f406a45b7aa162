"""``schakel demo``: generate synthetic demo data and print the demo logins."""

from __future__ import annotations

from argparse import ArgumentParser
from collections.abc import Iterator
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from schakel.demo.cases import generate_cases
from schakel.demo.generator import DEMO_PASSWORD, generate
from schakel.errors import SchakelError


class Command(BaseCommand):
    help = "Generate deterministic synthetic demo data (refused in production mode)."

    def _entities(self, console: Console, progress: Any) -> None:
        """The small demo shows entities at once: its signals' mentions resolved and linked
        here rather than waiting for a worker. (For the large demo, `schakel worker` resolves
        them and `schakel link` links them.)"""
        from schakel.entities.linking import KIND_OF_SCHEMA, run_linkage
        from schakel.entities.models import Mention
        from schakel.entities.services import resolve_signals
        from schakel.signals.models import Signal

        pending = list(
            Signal.objects.exclude(pk__in=Mention.objects.values("signal_id")).values_list(
                "pk", flat=True
            )
        )
        for start in progress("Resolving entities", (len(pending) + 99) // 100):
            resolve_signals(pending[start * 100 : (start + 1) * 100])
        with console.status("Linking people, companies and addresses…"):
            for schema in KIND_OF_SCHEMA:
                run = run_linkage(schema)
                console.print(f"Linkage {schema}: {run.status}, {run.counts}")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--size", choices=["small", "large"], default="small")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--organisations",
            type=int,
            default=None,
            help="extra organisations for --size large (default 2000)",
        )
        parser.add_argument(
            "--signals",
            type=int,
            default=None,
            help="synthetic signals to generate (default: 300 small, 1000000 large)",
        )

    def handle(
        self,
        *args: Any,
        size: str,
        seed: int,
        organisations: int | None,
        signals: int | None,
        **options: Any,
    ) -> None:
        console = Console(file=cast(IO[str], self.stdout), highlight=False, width=140)
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        ) as bar:

            def progress(label: str, total: int) -> Iterator[int]:
                task = bar.add_task(label, total=total)
                for index in range(total):
                    yield index
                    bar.advance(task)

            try:
                with console.status("Creating regions, organisations and users…"):
                    result = generate(
                        size,
                        seed,
                        organisations=organisations,
                        signals=signals,
                        progress=progress,
                    )
            except SchakelError as exc:
                raise CommandError(str(exc.message)) from None
            if size == "small":
                self._entities(console, progress)
            # Cases come last: they are opened from the signals' people, as entities.
            result.cases = generate_cases(size, seed, progress=progress).created
        console.print(
            f"Demo data ready: {result.regions} regions, {result.organisations} "
            f"organisations, {result.groups} sharing groups, {result.users} new "
            f"users, {result.contacts} new region contacts, {result.signals} new signals, "
            f"{result.cases} new cases."
        )
        table = Table(title=f"Demo logins (password for all: {DEMO_PASSWORD})")
        table.add_column("user name")
        table.add_column("persona")
        table.add_column("organisation")
        for persona in result.personas:
            table.add_row(persona.username, persona.description, persona.organisation)
        console.print(table)
