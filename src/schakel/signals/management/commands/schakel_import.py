"""``schakel import FILE --organisation NAME --user USERNAME``: import signals from a CSV or
XLSX file with a progress bar. The same service as the web import; nothing is written when
any row has a problem."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from schakel.errors import SchakelError
from schakel.partners.models import SharingGroup, User
from schakel.signals.bulk.access import may_import
from schakel.signals.bulk.rows import ImportDefaults
from schakel.signals.bulk.service import ImportOutcome, import_signals
from schakel.signals.bulk.template import report_file
from schakel.signals.models import Tlp
from schakel.signals.sharing import defaults_for

#: Problems printed in the terminal; ``--report`` writes all of them to a file.
PRINTED_PROBLEMS = 50

PHASE_LABELS = {
    "reading": "Reading the file",
    "validating": "Checking every row",
    "writing": "Saving the signals",
}


class Command(BaseCommand):
    help = (
        "Import signals from a CSV or XLSX file in the layout of the import template "
        "(see docs/import.md). Every row is checked first; any problem and nothing is saved. "
        "Rows imported before are skipped."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="the CSV or XLSX file")
        parser.add_argument("--organisation", required=True, help="the organisation's name")
        parser.add_argument(
            "--user", required=True, help="user name of the submitter (of that organisation)"
        )
        parser.add_argument("--dry-run", action="store_true", help="check every row, save nothing")
        parser.add_argument(
            "--tlp",
            # RED goes only to named recipients, which an import cannot name.
            choices=[tlp for tlp in Tlp.values if tlp != Tlp.RED],
            help="label for rows without one (default: the organisation's sharing default)",
        )
        parser.add_argument("--purpose", help="purpose code for rows without one")
        parser.add_argument(
            "--sharing-group",
            action="append",
            default=None,
            dest="sharing_groups",
            help="sharing group name for rows without one; repeat for several",
        )
        parser.add_argument("--report", help="write every problem to this file (.csv or .xlsx)")
        parser.add_argument(
            "--language", choices=["nl", "en"], default=None, help="language of the messages"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = self._user(options["user"], options["organisation"])
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        defaults = self._defaults(user, options)
        console = Console(file=cast(IO[str], self.stdout), highlight=False, width=120)
        language = options["language"] or translation.get_language() or "nl"
        with translation.override(language):
            outcome = self._run(console, path, user, defaults, dry_run=options["dry_run"])
            self._report(console, outcome, options["report"])
        if not outcome.ok:
            raise CommandError(
                f"nothing was saved: {outcome.problem_count + len(outcome.file_problems)} "
                "problem(s) in the file"
            )

    def _user(self, username: str, organisation: str) -> User:
        user = User.objects.select_related("organisation").filter(username=username).first()
        if user is None or user.organisation is None or user.organisation.name != organisation:
            raise CommandError(f"no user {username!r} in organisation {organisation!r}")
        if not may_import(user):
            raise CommandError(f"{username!r} may not import signals for {organisation!r}")
        return user

    def _defaults(self, user: User, options: dict[str, Any]) -> ImportDefaults:
        assert user.organisation is not None
        stored = defaults_for(user.organisation)
        group_ids = tuple(g.pk for g in stored.groups)
        if options["sharing_groups"]:
            names = options["sharing_groups"]
            groups = {
                g.name.casefold(): g.pk
                for g in SharingGroup.objects.filter(members=user.organisation)
            }
            unknown = [n for n in names if n.casefold() not in groups]
            if unknown:
                raise CommandError(
                    f"{user.organisation.name!r} is not a member of: {', '.join(unknown)}"
                )
            group_ids = tuple(groups[n.casefold()] for n in names)
        tlp = options["tlp"] or stored.tlp
        if tlp == Tlp.RED:
            raise CommandError(
                f"the sharing default of {user.organisation.name!r} is TLP:RED, which goes only "
                "to named recipients, and an import cannot name them: choose another label "
                "with --tlp"
            )
        return ImportDefaults(
            tlp=tlp,
            purpose=options["purpose"] or stored.purpose,
            sharing_group_ids=group_ids,
        )

    def _run(
        self, console: Console, path: Path, user: User, defaults: ImportDefaults, *, dry_run: bool
    ) -> ImportOutcome:
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(phase: str, done: int, total: int) -> None:
                if phase not in tasks:
                    for other in tasks.values():
                        task = bar.tasks[other]
                        bar.update(other, completed=task.total or task.completed)
                    tasks[phase] = bar.add_task(PHASE_LABELS.get(phase, phase), total=total or None)
                bar.update(tasks[phase], completed=done, total=total or None)

            try:
                outcome = import_signals(
                    path.read_bytes(),
                    file_name=path.name,
                    submitted_by=user,
                    defaults=defaults,
                    dry_run=dry_run,
                    progress=progress,
                    audit_details={"import": "command line"},
                )
            except SchakelError as exc:
                raise CommandError(str(exc.message)) from None
            for task_id in tasks.values():
                task = bar.tasks[task_id]
                bar.update(task_id, completed=task.total or task.completed)
        return outcome

    def _report(self, console: Console, outcome: ImportOutcome, report: str | None) -> None:
        for message in outcome.file_problems:
            console.print(f"[bold red]{message}[/]", markup=True)
        if outcome.problems:
            table = Table(title=f"Problems ({outcome.problem_count}); nothing was saved")
            table.add_column("row", justify="right")
            table.add_column("column")
            table.add_column("problem")
            for problem in outcome.problems[:PRINTED_PROBLEMS]:
                table.add_row(str(problem.row), problem.column or "-", problem.message)
            console.print(table)
            if outcome.problem_count > PRINTED_PROBLEMS:
                console.print(
                    f"{outcome.problem_count - PRINTED_PROBLEMS} more; --report FILE writes all."
                )
        if report:
            kind = "xlsx" if report.lower().endswith(".xlsx") else "csv"
            Path(report).write_bytes(report_file(kind, outcome.problems, outcome.file_problems))
            console.print(f"Problems written to {report}.")
        summary = outcome.summary()
        if outcome.ok:
            if outcome.dry_run:
                done = f"would create {summary['to_create']} signal(s)"
            else:
                done = f"created {summary['created']} signal(s)"
            console.print(
                f"{outcome.rows} rows: {done}, skipped {summary['skipped']} imported before "
                "or repeated." + (" Nothing was saved (dry run)." if outcome.dry_run else "")
            )
            for row, reference in outcome.created[:10]:
                console.print(f"  row {row}: {reference}")
            if len(outcome.created) > 10:
                console.print(f"  … and {len(outcome.created) - 10} more")
