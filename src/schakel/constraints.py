"""Telling which unique constraint a failed write ran into.

Where the database's unique key is the check that holds (two writers at once both find the
key free, one of them wins), the loser's ``IntegrityError`` is an answer — but only when it
is that key's: any other integrity error is a fault and must stay one.
"""

from __future__ import annotations

import sqlite3

from django.db import models

#: PostgreSQL's SQLSTATE for a unique violation.
_UNIQUE_VIOLATION = "23505"


def violates_unique(error: BaseException, model: type[models.Model], name: str) -> bool:
    """Whether ``error`` (Django's ``IntegrityError``, or the driver's own) is a violation of
    ``model``'s unique constraint ``name``.

    PostgreSQL names the constraint in the error's diagnostics. SQLite names only the
    columns of the index ("UNIQUE constraint failed: table.a, table.b"), which for these
    constraints are a unique description too.
    """
    constraint = _unique_constraint(model, name)
    for candidate in (error, error.__cause__):
        diag = getattr(candidate, "diag", None)
        if diag is not None:  # psycopg
            return (
                getattr(candidate, "sqlstate", None) == _UNIQUE_VIOLATION
                and diag.constraint_name == name
            )
        if isinstance(candidate, sqlite3.IntegrityError):
            meta = model._meta
            columns = ", ".join(
                f"{meta.db_table}.{meta.get_field(field).column}"  # type: ignore[union-attr]
                for field in constraint.fields
            )
            return str(candidate) == f"UNIQUE constraint failed: {columns}"
    return False


def _unique_constraint(model: type[models.Model], name: str) -> models.UniqueConstraint:
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.name == name:
            if not constraint.fields:
                raise ValueError(f"{name} is not a unique constraint on fields")
            return constraint
    raise LookupError(f"{model._meta.label} has no unique constraint {name}")
