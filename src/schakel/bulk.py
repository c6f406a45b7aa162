"""Writing very many rows at once, for batch work that moves hundreds of thousands of them (a
linkage run over a million mentions): PostgreSQL's COPY and one UPDATE per chunk joined to
arrays of values; on SQLite, which runs in this process, ``executemany``.

Values are given as the database takes them (integers, floats, booleans, text, datetimes,
JSON already serialised to text): nothing is prepared by model fields, no model signals are
sent. For everyday writes use ``schakel.rows``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model

#: Rows per UPDATE statement on PostgreSQL.
UPDATE_CHUNK = 50_000


def copy_values(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """INSERT ``rows`` (tuples of values for the fields named in ``columns``) into
    ``model``'s table; returns how many."""
    connection = connections[router.db_for_write(model)]
    meta = model._meta
    quote = connection.ops.quote_name
    names = ", ".join(quote(_column(model, name)) for name in columns)
    table = quote(meta.db_table)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The driver's own COPY, so its errors as Django's (IntegrityError, DataError),
            # which callers catch, as for every other statement.
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        marks = ", ".join(["%s"] * len(columns))
        batch: list[Sequence[Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == 10_000:
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", batch)  # noqa: S608 - names from the model
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", batch)  # noqa: S608 - names from the model
            count += len(batch)
    return count


def copy_text(
    model: type[Model],
    columns: Sequence[str],
    blocks: Iterable[str],
    *,
    connection: BaseDatabaseWrapper | None = None,
) -> None:
    """PostgreSQL only: COPY ``blocks`` of lines already in COPY's text format (tab between
    the values of ``columns``, ``\\N`` for NULL, a newline after each row) into ``model``'s
    table. For rows made by another engine in bulk (a linkage run's pairs, made by DuckDB),
    which would otherwise each become a Python tuple on the way. ``connection``: another
    thread's connection (shared for the purpose, ``linking.writing_beside``), in its
    transaction; by default this thread's."""
    connection = connection or connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        raise ValueError("copy_text needs PostgreSQL; use copy_values")
    quote = connection.ops.quote_name
    names = ", ".join(quote(_column(model, name)) for name in columns)
    table = quote(model._meta.db_table)
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
    ):
        for block in blocks:
            copy.write(block)


#: The column types ``update_column`` sets, as PostgreSQL names them for the array.
COLUMN_TYPES = {"integer": "bigint", "float": "double precision"}
#: The same as Python numbers (numpy's become these).
_NUMBERS: dict[str, type[int] | type[float]] = {"integer": int, "float": float}


def update_column(
    model: type[Model],
    column: str,
    rows: Sequence[tuple[Any, int]],
    *,
    kind: str = "integer",
) -> None:
    """Set one column of many rows: ``rows`` are (value, primary key) pairs; ``kind`` is
    ``integer`` (also a foreign key) or ``float``."""
    array_type = COLUMN_TYPES[kind]
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    target = quote(_column(model, column))
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            convert = _NUMBERS[kind]
            cursor.executemany(
                f"UPDATE {table} SET {target} = %s WHERE id = %s",  # noqa: S608 - names from the model
                [(None if v is None else convert(v), int(pk)) for v, pk in rows],
            )
            return
        for start in range(0, len(rows), UPDATE_CHUNK):
            chunk = rows[start : start + UPDATE_CHUNK]
            # The arrays as literals: psycopg adapting a list element by element took a
            # tenth of a million-mention run's moves.
            cursor.execute(
                f"UPDATE {table} SET {target} = v.value "  # noqa: S608 - names from the model
                f"FROM unnest(%s::{array_type}[], %s::bigint[]) AS v(value, id) "
                f"WHERE {table}.id = v.id",
                [
                    _array_literal((value for value, _ in chunk), kind),
                    _array_literal((pk for _, pk in chunk), "integer"),
                ],
            )


def _array_literal(values: Iterable[Any], kind: str) -> str:
    """PostgreSQL's text form of an array of ``kind`` numbers (``NULL`` for None)."""
    convert = _NUMBERS[kind]
    given = list(values)
    if None in given:
        return "{" + ",".join("NULL" if v is None else repr(convert(v)) for v in given) + "}"
    return "{" + ",".join(map(repr, map(convert, given))) + "}"


def _column(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    column = getattr(field, "column", None)
    if not isinstance(column, str):
        raise ValueError(f"{name} is not a column of {model._meta.label}")
    return column
