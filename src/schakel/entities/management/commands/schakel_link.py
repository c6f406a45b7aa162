"""``schakel link [--schema Person|Company|Address|all] [--threshold P] [--in-worker]``: a batch
linkage run with a progress bar, or queued for the worker."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TimeElapsedColumn

from schakel.entities.jobs import run_linkage_job
from schakel.entities.linking import KIND_OF_SCHEMA, run_linkage
from schakel.entities.models import LinkageRun

SCHEMATA = [str(schema) for schema in KIND_OF_SCHEMA]


class Command(BaseCommand):
    help = "Link person, company and address mentions into entities (Splink on DuckDB)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schema", default="all", choices=[*SCHEMATA, "all"])
        # Here, not at the top: the engine brings Splink and DuckDB, which only a run needs.
        from schakel.entities.linkage import DEFAULT_THRESHOLD

        parser.add_argument(
            "--threshold",
            type=float,
            help=f"match probability (default {DEFAULT_THRESHOLD})",
        )
        parser.add_argument(
            "--in-worker", action="store_true", help="queue the run for `schakel worker`"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        schemata = SCHEMATA if options["schema"] == "all" else [options["schema"]]
        threshold = options["threshold"]
        if threshold is not None and not 0 < threshold < 1:
            raise CommandError("--threshold is a match probability between 0 and 1.")
        if options["in_worker"]:
            for schema in schemata:
                run_linkage_job.enqueue(schema, threshold)
            self.stdout.write(f"Queued for the worker: {', '.join(schemata)}.")
            return
        console = Console(stderr=True)
        failed = []
        for schema in schemata:
            run = self._run_with_progress(console, schema, threshold)
            self.stdout.write(_summary(run))
            if run.status != LinkageRun.Status.DONE:
                failed.append(schema)
        if failed:
            raise CommandError(f"Linkage failed for {', '.join(failed)}; see the run records.")

    def _run_with_progress(
        self, console: Console, schema: str, threshold: float | None
    ) -> LinkageRun:
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as bar:
            phases: dict[str, TaskID] = {}

            def progress(phase: str, done: float) -> None:
                if phase not in phases:
                    for other in phases.values():
                        bar.update(other, completed=1.0)
                    phases[phase] = bar.add_task(f"{schema}: {phase}", total=1.0)
                bar.update(phases[phase], completed=done)

            return run_linkage(schema, threshold=threshold, progress=progress)


def _summary(run: LinkageRun) -> str:
    counts = ", ".join(f"{name} {value}" for name, value in run.counts.items())
    seconds = run.durations.get("total", 0)
    if run.status != LinkageRun.Status.DONE:
        return f"{run.schema}: FAILED — {run.error}"
    return f"{run.schema}: {counts}; {seconds:.1f} s (run {run.pk})"
