"""Django's ``flush``, able to empty the append-only audit table.

``flush`` empties every table, and Django's TransactionTestCase runs it after each
transactional test; the audit triggers would refuse that. This command lifts them (for
deletion only, for the length of the flush's transaction) and is otherwise Django's own.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import connections

from schakel.audit import protection


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        database = options["database"]
        if options["interactive"]:
            # Ask before opening the transaction, so no write lock is held at the prompt.
            name = connections[database].settings_dict["NAME"]
            confirm = input(
                f"You have requested a flush of the database.\nThis will IRREVERSIBLY "
                f'DESTROY all data currently in the "{name}" database, including the audit '
                f"log, and return each table to an empty state.\nAre you sure you want to do "
                f"this?\n\n    Type 'yes' to continue, or 'no' to cancel: "
            )
            if confirm != "yes":
                self.stdout.write("Flush cancelled.")
                return
        with protection.unlocked(database):
            super().handle(**{**options, "interactive": False})
