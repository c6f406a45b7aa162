"""The ``schakel`` command line for operators.

Each subcommand is a thin adapter: it sets up Django and calls a management command (which
in turn calls service functions). ``schakel --help`` and ``schakel <command> --help`` explain
each. Anything not listed is passed to Django's ``manage.py`` (``schakel manage ...``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schakel.settings")
    import django

    django.setup()


def _call(command: str, *args: str) -> int:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    try:
        call_command(command, *args)
    except CommandError as exc:
        sys.stderr.write(f"schakel {command}: {exc}\n")
        return getattr(exc, "returncode", 1) or 1
    return 0


def _run_manage(argv: list[str]) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["schakel", *argv])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="schakel",
        description="Schakel: signals, signal tables and one plan per victim, for the chain "
        "of partners against human trafficking.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = sub.add_parser(
        "serve",
        help="run the web server (gunicorn)",
        description="Serve Schakel over HTTP with gunicorn.",
    )
    serve.add_argument(
        "--bind", default="127.0.0.1:8000", help="address:port (default %(default)s)"
    )
    serve.add_argument(
        "--workers", type=int, default=2, help="worker processes (default %(default)s)"
    )
    serve.add_argument(
        "--no-migrate", action="store_true", help="do not apply pending migrations before serving"
    )

    worker = sub.add_parser(
        "worker",
        help="run the background worker",
        description="Run background jobs (django-tasks, database backend) "
        "and keep the worker heartbeat that /health reports.",
    )
    worker.add_argument(
        "--batch", action="store_true", help="run every waiting job, then stop (for cron and tests)"
    )
    worker.add_argument(
        "--interval",
        type=float,
        default=1.0,
        help="seconds between polls when idle (default %(default)s)",
    )

    demo = sub.add_parser(
        "demo",
        help="generate synthetic demo data",
        description="Create synthetic demo data: regions, organisations, "
        "sharing groups, region contacts, a user per persona, signals and cases "
        "opened from them. Refused in production mode.",
    )
    demo.add_argument("--size", choices=["small", "large"], default="small")
    demo.add_argument("--seed", type=int, default=1, help="random seed (default %(default)s)")
    demo.add_argument(
        "--organisations",
        type=int,
        default=None,
        help="number of organisations for --size large (default 2000)",
    )
    demo.add_argument(
        "--signals",
        type=int,
        default=None,
        help="number of synthetic signals (default: 300 small, 1000000 large)",
    )

    importer = sub.add_parser(
        "import",
        help="import signals from a CSV or XLSX file",
        description="Import signals from a CSV or XLSX file in the layout of the import "
        "template (docs/import.md), with a progress bar. Every row is checked first; if any "
        "row has a problem nothing is saved. Rows imported before are skipped. Exit 1 when "
        "the file has problems.",
    )
    importer.add_argument("file", help="the CSV or XLSX file")
    importer.add_argument("--organisation", required=True, help="the organisation's name")
    importer.add_argument("--user", required=True, help="user name of the submitter")
    importer.add_argument("--dry-run", action="store_true", help="check every row, save nothing")
    importer.add_argument("--tlp", help="sharing label for rows without one")
    importer.add_argument("--purpose", help="purpose of sharing for rows without one")
    importer.add_argument(
        "--sharing-group",
        action="append",
        default=[],
        dest="sharing_groups",
        help="sharing group (name) for rows without one; repeat for several",
    )
    importer.add_argument("--report", help="write every problem to this file (.csv or .xlsx)")
    importer.add_argument("--language", choices=["nl", "en"], help="language of the messages")

    linker = sub.add_parser(
        "link",
        help="link people, companies and addresses into entities",
        description="A batch linkage run (Splink on DuckDB) over every mention of the chosen "
        "kind, with a progress bar; --in-worker queues it for `schakel worker` instead. "
        "Analysts' judgements always hold. docs/linkage.md explains the model.",
    )
    linker.add_argument("--schema", default="all", choices=["Person", "Company", "Address", "all"])
    linker.add_argument("--threshold", type=float, help="match probability (default 0.9)")
    linker.add_argument("--in-worker", action="store_true", help="queue for the worker")

    export = sub.add_parser(
        "export",
        help="export what a user may see, e.g. entities as FollowTheMoney",
        description="Export the entities USER may see as FollowTheMoney JSON lines (one "
        "entity per line, links included), under the same access rules as the web pages.",
    )
    export.add_argument("format", choices=["ftm"], help="ftm: FollowTheMoney JSON lines")
    export.add_argument("--user", required=True, help="user name whose view is exported")
    export.add_argument("--output", help="file to write (default: standard output)")

    sub.add_parser(
        "migrate",
        help="create or update the database schema",
        description="Apply database migrations.",
    )

    createuser = sub.add_parser(
        "createuser",
        help="create a user in an organisation",
        description="Create a user. The password is asked for, or read "
        "from SCHAKEL_NEW_PASSWORD_FILE-like --password-file.",
    )
    createuser.add_argument("username")
    createuser.add_argument("--organisation", help="organisation name (not for --superuser)")
    createuser.add_argument(
        "--role",
        action="append",
        default=[],
        dest="roles",
        help="role code; repeat for several (e.g. org_admin)",
    )
    createuser.add_argument("--email", default="")
    createuser.add_argument("--first-name", default="")
    createuser.add_argument("--last-name", default="")
    createuser.add_argument(
        "--superuser",
        action="store_true",
        help="platform superuser (Django admin), without an organisation",
    )
    createuser.add_argument("--password-file", help="read the password from this file")

    audit = sub.add_parser(
        "audit",
        help="verify or checkpoint the audit log",
        description="Work with the tamper-evident audit log.",
    )
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = audit_sub.add_parser(
        "verify",
        help="check the chain and report the first tampered entry",
        description="Recompute the HMAC chain. Exit 0 when intact, 1 when tampering is found.",
    )
    verify.add_argument("--checkpoint", help="a checkpoint file written by 'audit checkpoint'")
    checkpoint = audit_sub.add_parser(
        "checkpoint",
        help="write the chain head to a file",
        description="Write the current head (position and HMAC) "
        "to a file, to keep outside the database.",
    )
    checkpoint.add_argument(
        "--output", help="file to write (default: SCHAKEL_DATA_DIR/audit-checkpoints/<time>.json)"
    )

    periodic = sub.add_parser(
        "periodic",
        help="run the periodic jobs once (for cron/systemd)",
        description="Run the periodic jobs (expired sessions, old job "
        "results, lock-outs, ...). Every job is idempotent.",
    )
    periodic.add_argument("jobs", nargs="*", help="only these jobs (default: all)")

    retention = sub.add_parser(
        "retention",
        help="delete or anonymise expired signals (dry run unless --apply)",
        description="Apply the retention policy (signals/rules/retention.yaml): report what "
        "expired, and with --apply delete or anonymise it, with what the signal table wrote "
        "about a bundle once all its signals are forgotten. Safe to run repeatedly.",
    )
    retention.add_argument("--apply", action="store_true", help="really act (default: dry run)")

    sub.add_parser(
        "check",
        help="check the installation (settings, access matrix, database)",
        description="Run Django's system checks, including the access matrix.",
    )

    manage = sub.add_parser(
        "manage",
        help="run any Django management command",
        description="Pass the remaining arguments to Django's manage.py.",
    )
    manage.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_django()
    command = args.command
    if command == "serve":
        return _call(
            "schakel_serve",
            f"--bind={args.bind}",
            f"--workers={args.workers}",
            *(["--no-migrate"] if args.no_migrate else []),
        )
    if command == "worker":
        return _call(
            "schakel_worker", f"--interval={args.interval}", *(["--batch"] if args.batch else [])
        )
    if command == "demo":
        extra = [f"--organisations={args.organisations}"] if args.organisations else []
        if args.signals is not None:
            extra.append(f"--signals={args.signals}")
        return _call("schakel_demo", f"--size={args.size}", f"--seed={args.seed}", *extra)
    if command == "import":
        options = [args.file, f"--organisation={args.organisation}", f"--user={args.user}"]
        options += ["--dry-run"] if args.dry_run else []
        options += [f"--tlp={args.tlp}"] if args.tlp else []
        options += [f"--purpose={args.purpose}"] if args.purpose else []
        options += [f"--sharing-group={name}" for name in args.sharing_groups]
        options += [f"--report={args.report}"] if args.report else []
        options += [f"--language={args.language}"] if args.language else []
        return _call("schakel_import", *options)
    if command == "link":
        options = [f"--schema={args.schema}"]
        options += [f"--threshold={args.threshold}"] if args.threshold is not None else []
        options += ["--in-worker"] if args.in_worker else []
        return _call("schakel_link", *options)
    if command == "export":
        options = [args.format, f"--user={args.user}"]
        options += [f"--output={args.output}"] if args.output else []
        return _call("schakel_export", *options)
    if command == "migrate":
        return _call("migrate")
    if command == "createuser":
        options = [
            args.username,
            f"--email={args.email}",
            f"--first-name={args.first_name}",
            f"--last-name={args.last_name}",
        ]
        if args.organisation:
            options.append(f"--organisation={args.organisation}")
        options += [f"--role={role}" for role in args.roles]
        if args.superuser:
            options.append("--superuser")
        if args.password_file:
            options.append(f"--password-file={args.password_file}")
        return _call("schakel_createuser", *options)
    if command == "audit":
        if args.audit_command == "verify":
            return _call(
                "audit_verify", *([f"--checkpoint={args.checkpoint}"] if args.checkpoint else [])
            )
        return _call("audit_checkpoint", *([f"--output={args.output}"] if args.output else []))
    if command == "periodic":
        return _call("schakel_periodic", *args.jobs)
    if command == "retention":
        return _call("schakel_retention", *(["--apply"] if args.apply else []))
    if command == "check":
        return _call("check", "--database=default")
    return _run_manage(list(args.args))


if __name__ == "__main__":
    raise SystemExit(main())
