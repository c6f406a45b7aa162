"""Writing rows with few, pre-compiled statements, for the hot write paths (intake, the bulk
import, the audit chain): each value is prepared by its model field exactly as the ORM does
(``pre_save``, ``get_db_prep_save``), without the ORM's per-statement SQL compilation, which
costs more CPU than the database spends on a small INSERT or UPDATE.

For rows built by the caller only: no model signals are sent and expressions are not
supported, as with ``bulk_create``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections, models, router
from django.db.models import Field, Model


def insert_rows(model: type[Model], rows: Sequence[Model], *, set_ids: bool = False) -> None:
    """INSERT ``rows`` of ``model`` with one multi-row statement per chunk (as many rows as
    the database takes parameters). ``set_ids`` reads back the new primary keys (SQLite
    3.35+ and PostgreSQL return them in insertion order). Rows whose primary key is already
    set are inserted with it."""
    if not rows:
        return
    meta = model._meta
    # The wrapper itself, not the thread-local proxy: it is asked for every value.
    connection = connections[router.db_for_write(model)]
    explicit_ids = rows[0].pk is not None
    # Every column but an auto-incremented key the database assigns.
    fields = [f for f in meta.local_concrete_fields if explicit_ids or f is not meta.auto_field]
    pk = meta.pk
    assert pk is not None
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    # Table and column names come from the model, quoted; every value is a parameter.
    head = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "  # noqa: S608
    group = "(" + ", ".join(["%s"] * len(fields)) + ")"
    preparers = [_preparer(f, connection) for f in fields]
    values = [tuple(prepare(row) for prepare in preparers) for row in rows]
    returning = set_ids and not explicit_ids
    if returning and not connection.features.can_return_rows_from_bulk_insert:
        raise RuntimeError("the database cannot return the ids of inserted rows")
    tail = f" RETURNING {quote(pk.column)}" if returning else ""
    step = max(1, connection.ops.bulk_batch_size(fields, rows))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), step):
            chunk = values[start : start + step]
            cursor.execute(
                head + ", ".join([group] * len(chunk)) + tail,
                [value for row in chunk for value in row],
            )
            if returning:
                new_ids = cursor.fetchall()
                for row, (new_id,) in zip(rows[start : start + step], new_ids, strict=True):
                    setattr(row, pk.attname, new_id)
    _mark_saved(rows, connection.alias)


def update_row(model: type[Model], pk: Any, **values: Any) -> int:
    """``UPDATE`` the named columns of one row; returns the number of rows changed."""
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    fields = [field for name in values if isinstance(field := meta.get_field(name), Field)]
    if len(fields) != len(values):
        raise ValueError(f"not all of {sorted(values)} are columns of {meta.label}")
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    parameters = [f.get_db_prep_save(values[f.name], connection) for f in fields]
    assert meta.pk is not None
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {assignments} "  # noqa: S608 - names from the model
        f"WHERE {quote(meta.pk.column)} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*parameters, pk])
        return int(cursor.rowcount)


def reserve_ids(model: type[Model], count: int) -> list[int] | None:
    """``count`` new primary keys for ``model``, so that a row can be written with values
    derived from its id (a reference) in one INSERT. Call inside a transaction that will
    insert them.

    PostgreSQL hands them out from the key's sequence. SQLite has no sequences: the next
    numbers after its ``AUTOINCREMENT`` counter are ours because the transaction holds the
    database's write lock (Schakel opens SQLite transactions with ``BEGIN IMMEDIATE``), and
    inserting them moves the counter on. None for other databases: the caller inserts first.
    """
    connection = connections[router.db_for_write(model)]
    meta = model._meta
    assert meta.pk is not None
    if count < 1:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, count],
            )
            return [int(row[0]) for row in cursor.fetchall()]
        if connection.vendor == "sqlite" and connection.in_atomic_block:
            quote = connection.ops.quote_name
            table, key = quote(meta.db_table), quote(meta.pk.column)
            # Names from the model, quoted; the only value is a parameter.
            counter = "SELECT seq FROM sqlite_sequence WHERE name = %s"
            cursor.execute(
                f"SELECT MAX(COALESCE(({counter}), 0), "  # noqa: S608
                f"COALESCE((SELECT MAX({key}) FROM {table}), 0))",
                [meta.db_table],
            )
            (last,) = cursor.fetchone()
            return list(range(int(last) + 1, int(last) + 1 + count))
    return None


#: Field classes whose prepared value is the attribute itself when it has one of these
#: exact types (what ``get_db_prep_save`` would return unchanged); anything else, an enum
#: member say, goes through the field.
_PLAIN_VALUES: dict[type[Field[Any, Any]], tuple[type, ...]] = {
    **dict.fromkeys((models.CharField, models.TextField), (str, type(None))),
    models.BooleanField: (bool, type(None)),
    models.FloatField: (float, type(None)),
    **dict.fromkeys(
        (
            models.IntegerField,
            models.BigIntegerField,
            models.SmallIntegerField,
            models.PositiveIntegerField,
            models.PositiveBigIntegerField,
            models.PositiveSmallIntegerField,
            models.AutoField,
            models.BigAutoField,
            models.ForeignKey,
        ),
        (int, type(None)),
    ),
}


def _preparer(field: Field[Any, Any], connection: Any) -> Callable[[Model], Any]:
    """How to get the database value of ``field`` from a row: the field's own preparation
    (``pre_save``, ``get_db_prep_save``) as the ORM does it, skipped for plain values of
    plain fields, where it would only cost time (about a quarter of a bulk write)."""

    def through_the_field(row: Model) -> Any:
        return field.get_db_prep_save(field.pre_save(row, True), connection)

    plain = _PLAIN_VALUES.get(type(field))
    if plain is None:
        return through_the_field
    attname = field.attname

    def attribute(row: Model) -> Any:
        value = getattr(row, attname)
        return value if type(value) in plain else through_the_field(row)

    return attribute


def _mark_saved(rows: Sequence[Model], alias: str) -> None:
    for row in rows:
        row._state.adding = False
        row._state.db = alias
