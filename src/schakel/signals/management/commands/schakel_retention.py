"""``schakel retention``: delete or anonymise expired signals (dry run unless --apply)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import IO, Any, cast

from django.apps import apps
from django.core.management.base import BaseCommand
from django.utils import translation
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress

from schakel.signals import retention


class Command(BaseCommand):
    help = (
        "Delete or anonymise signals whose retention date has passed and that no context "
        "holds, with what was written about them (the texts of a table decision once all its "
        "signals are forgotten). Without --apply nothing changes: it reports what would happen."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--apply", action="store_true", help="really delete and anonymise")

    def handle(self, *args: Any, apply: bool, **options: Any) -> None:
        console = Console(file=cast(IO[str], self.stdout), highlight=False, width=120)
        total = retention.expired().count()
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        ) as bar:
            task = bar.add_task("Retention", total=total)
            run = retention.apply_retention(
                dry_run=not apply, progress=lambda n: bar.advance(task, n)
            )
        verb = "" if apply else "would be "
        console.print(
            f"{len(run.deleted)} signals {verb}deleted, {len(run.anonymised)} "
            f"{verb}anonymised; {run.held} expired signals are held."
        )
        if run.cleared:
            console.print(
                f"The texts of {_counted(run.cleared)} {verb}removed: every signal they were "
                "about is forgotten."
            )
        if not apply and run.total:
            console.print("Dry run: nothing changed. Run with --apply to act.")


def _counted(counts: dict[str, int]) -> str:
    """``{"tasks.task": 2, ...}`` as "2 table decisions, 1 agreed action and 2 tasks"."""
    parts = []
    # The report is in English, as the rest of it, whatever language is active.
    with translation.override(None):
        for label, count in counts.items():
            meta = apps.get_model(label)._meta
            name = meta.verbose_name if count == 1 else meta.verbose_name_plural
            parts.append(f"{count} {name}")
    return " and ".join(p for p in (", ".join(parts[:-1]), parts[-1]) if p)
