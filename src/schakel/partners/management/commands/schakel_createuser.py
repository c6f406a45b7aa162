"""``schakel createuser``: create a user (or the first superuser) from the command line."""

from __future__ import annotations

import getpass
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from schakel.errors import SchakelError
from schakel.partners.models import Organisation
from schakel.partners.services import create_user
from schakel.partners.vocabulary import Role


class Command(BaseCommand):
    help = "Create a user in an organisation, or a platform superuser."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--organisation", help="exact organisation name")
        parser.add_argument(
            "--role",
            action="append",
            default=[],
            dest="roles",
            help=f"one of: {', '.join(Role.values)}; repeat for several",
        )
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--superuser", action="store_true")
        parser.add_argument("--password-file", help="read the password from this file")

    def handle(
        self,
        *args: Any,
        username: str,
        organisation: str | None,
        roles: list[str],
        email: str,
        first_name: str,
        last_name: str,
        superuser: bool,
        password_file: str | None,
        **options: Any,
    ) -> None:
        org = None
        if organisation:
            org = Organisation.objects.filter(name=organisation).first()
            if org is None:
                raise CommandError(f"--organisation: no organisation named {organisation!r}")
        elif not superuser:
            raise CommandError("--organisation is required (or use --superuser)")
        if password_file:
            try:
                password = Path(password_file).read_text(encoding="utf-8").rstrip("\r\n")
            except OSError as exc:
                raise CommandError(f"--password-file: cannot read: {exc.strerror}") from None
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("the passwords differ")
        try:
            user = create_user(
                org,
                username,
                roles=roles,
                email=email,
                first_name=first_name,
                last_name=last_name,
                password=password,
                is_superuser=superuser,
            )
        except SchakelError as exc:
            raise CommandError(f"{exc.field or 'error'}: {exc.message}") from None
        self.stdout.write(f"Created user {user.username} (id {user.pk}).")
