"""System check of the database server's settings that Schakel's speed depends on
(``schakel check`` runs the database checks)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning
from django.db import connections


@register(Tags.database)
def check_autovacuum(
    app_configs: Any = None, databases: Iterable[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """PostgreSQL's autovacuum keeps the planner's statistics fresh. Without it, the tables a
    large import or the demo fills keep the statistics of when they were small, and the
    worker's queries read whole tables: the mentions of a million-signal demo were made at
    260 signals a second instead of 475 until the tables were analysed."""
    found: list[CheckMessage] = []
    for alias in databases or ():
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cursor:
            cursor.execute("SHOW autovacuum")
            (value,) = cursor.fetchone()
        if value != "on":
            found.append(
                CheckWarning(
                    f"PostgreSQL's autovacuum is off for the database '{alias}'.",
                    hint="Turn it on (autovacuum = on), or run ANALYZE after every large "
                    "import: without fresh statistics, queries on the grown tables read them "
                    "whole.",
                    id="schakel.W001",
                )
            )
    return found
