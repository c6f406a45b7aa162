"""Reading and writing rows with few, pre-compiled statements, for the hot paths (intake, the
bulk import, the audit chain, API authentication): each value is prepared by its model field
exactly as the ORM does (``pre_save``, ``get_db_prep_save``) and read back through the
field's converters as the ORM does, without the ORM's per-statement SQL compilation, which
costs more CPU than the database spends on a small SELECT, INSERT or UPDATE.

For rows built by the caller only: no model signals are sent and expressions are not
supported, as with ``bulk_create``. Nothing read is kept between calls: every ``Select``
asks the database again.

On PostgreSQL these statements are also *prepared* on each connection the first time they
are used, and then sent as ``EXECUTE name(values)``: the server parses, analyses and plans
each of them once per connection instead of for every request (about a third of its CPU for
a signal taken in over HTTP). ``SCHAKEL_DATABASE_PREPARED=false`` turns this off, for a
connection pooler in transaction mode, where a later transaction may run on another server
connection that never saw the ``PREPARE``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import json
import os
import re
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import connections, models, router
from django.db.models import Field, Model


def insert_rows(
    model: type[Model], rows: Sequence[Model], *, set_ids: bool = False, cursor: Any = None
) -> None:
    """INSERT ``rows`` of ``model`` with one multi-row statement per chunk (as many rows as
    the database takes parameters). ``set_ids`` reads back the new primary keys (SQLite
    3.35+ and PostgreSQL return them in insertion order). Rows whose primary key is already
    set are inserted with it. ``cursor``: one the caller holds open for several statements
    (opening one costs about as much as preparing a small row)."""
    if not rows:
        return
    explicit_ids = rows[0].pk is not None
    with _open(model, cursor) as open_cursor:
        connection = open_cursor.db
        plan = _insert_plan(model, connection, None if explicit_ids else ())
        values = [tuple(prepare(row, connection) for prepare in plan.from_instance) for row in rows]
        new_ids = _insert(open_cursor, plan, values, returning=set_ids and not explicit_ids)
    if new_ids is not None:
        attname = plan.pk_attname
        for row, new_id in zip(rows, new_ids, strict=True):
            setattr(row, attname, new_id)
    for row in rows:
        row._state.adding = False
        row._state.db = connection.alias


def insert_values(
    model: type[Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    returning_ids: bool = False,
    cursor: Any = None,
) -> list[int]:
    """INSERT rows of ``model`` given as tuples of values for ``columns`` (field names, in
    that order), for writers that need no model instances back: ``insert_rows`` without
    building them. ``columns`` name every column (an auto-incremented key only when the rows
    bring their ids), so that no field's default is silently left out. Values are prepared
    by their fields as the ORM does, except ``pre_save`` (there is no instance: give
    ``auto_now`` values yourself). Returns the new keys in order when ``returning_ids``,
    else an empty list."""
    if not rows:
        return []
    with _open(model, cursor) as open_cursor:
        connection = open_cursor.db
        plan = _insert_plan(model, connection, tuple(columns))
        width = len(plan.from_value)
        values = []
        for row in rows:
            if len(row) != width:
                raise ValueError(f"{width} values expected per row of {model._meta.label}")
            values.append(
                tuple(
                    prepare(value, connection)
                    for prepare, value in zip(plan.from_value, row, strict=True)
                )
            )
        return _insert(open_cursor, plan, values, returning=returning_ids) or []


def copy_lines(
    model: type[Model], columns: Sequence[str], rows: Sequence[Sequence[Any]], *, connection: Any
) -> list[bytes]:
    """Each of ``rows`` (values for ``columns``, field names in that order) as one line of
    ``COPY``'s text format, prepared by its fields as ``insert_values`` does and formatted by
    psycopg as a ``COPY`` would send it — without sending anything, so that the work can be
    done in another process (which must not use the connection) and the lines sent by
    ``copy_in``, with columns put in front of each that only the sender knows (keys). Text
    format escapes tabs and line breaks in values: every line ends in its only ``\\n``.
    PostgreSQL only."""
    if not rows:
        return []
    import psycopg
    from psycopg.copy import FileWriter

    key = (model, tuple(columns), connection.alias)
    preparers = _COPY_PREPARERS.get(key)
    if preparers is None:
        meta = model._meta
        fields = [meta.get_field(name) for name in columns]
        if not all(isinstance(f, Field) and f in meta.local_concrete_fields for f in fields):
            raise ValueError(f"not all of {list(columns)} are columns of {meta.label}")
        preparers = _COPY_PREPARERS[key] = [_copy_preparer(f) for f in fields]  # type: ignore[arg-type]
    raw = connection.connection
    if raw is None:
        raise RuntimeError("copy_lines formats with an open connection's adapters")
    out = io.BytesIO()
    # A cursor that has run nothing and a writer into memory: psycopg formats, nothing is
    # sent (the connection may belong to the parent of this process).
    with psycopg.Copy(raw.cursor(), binary=False, writer=FileWriter(out)) as copy:
        for row in rows:
            copy.write_row(
                [prepare(value, connection) for prepare, value in zip(preparers, row, strict=True)]
            )
    lines = out.getvalue().split(b"\n")
    lines.pop()  # after the last line's end
    if len(lines) != len(rows):
        raise RuntimeError("COPY lines and rows do not match")
    return [line + b"\n" for line in lines]


def copy_in(
    model: type[Model], columns: Sequence[str], lines: Sequence[bytes], *, cursor: Any
) -> None:
    """``COPY`` ready lines (``copy_lines``, with what the caller put in front) into
    ``model``'s table; ``columns`` name every column of the lines, in order, and every
    column of the table (the auto-incremented key too, when the lines bring it)."""
    if not lines:
        return
    raw_cursor = _driver_cursor(cursor)
    plan = _insert_plan(model, cursor.db, tuple(columns))
    if plan.copy is None:
        raise RuntimeError("COPY is for PostgreSQL")
    # Errors as Django's (an IntegrityError for a unique key), as every other statement's.
    with cursor.db.wrap_database_errors, raw_cursor.copy(plan.copy) as copy:
        copy.write(b"".join(lines))


def _driver_cursor(cursor: Any) -> Any:
    """psycopg's own cursor under Django's (or under a ``Deferred`` block's), for ``COPY``:
    sent at once, even from a deferred block."""
    return cursor.cursor.cursor if isinstance(cursor, Deferred) else cursor.cursor


_COPY_PREPARERS: dict[tuple[Any, ...], list[Callable[[Any, Any], Any]]] = {}


def _copy_preparer(field: Field[Any, Any]) -> Callable[[Any, Any], Any]:
    """``_value_preparer`` for a ``COPY`` on PostgreSQL, where a few more values need no
    preparation by their field: what it would return is formatted the same (a list or dict
    for JSON without an encoder of its own is dumped as psycopg's ``Jsonb`` would dump it; a
    date, and a datetime with its time zone, stay as they are)."""
    prepare = _value_preparer(field)
    if isinstance(field, models.JSONField) and field.encoder is None:

        def json_text(value: Any, connection: Any) -> Any:
            if type(value) in (list, dict):
                return json.dumps(value)
            return prepare(value, connection)

        return json_text
    if isinstance(field, models.DateTimeField):

        def aware(value: Any, connection: Any) -> Any:
            if type(value) is datetime and value.tzinfo is not None:
                return value
            return prepare(value, connection)

        return aware
    if isinstance(field, models.DateField):

        def a_date(value: Any, connection: Any) -> Any:
            return value if type(value) is date or value is None else prepare(value, connection)

        return a_date
    return prepare


def update_row(model: type[Model], pk: Any, *, cursor: Any = None, **values: Any) -> int:
    """``UPDATE`` the named columns of one row; returns the number of rows changed (a
    ``Deferred`` block holds the statement and answers -1: use it for a row known to exist)."""
    with _open(model, cursor) as open_cursor:
        connection = open_cursor.db
        key = (model, tuple(values), connection.alias, connection.vendor)
        plan = _UPDATE_PLANS.get(key)
        if plan is None:
            plan = _UPDATE_PLANS[key] = _update_plan(model, tuple(values), connection)
        sql, fields = plan
        parameters = [f.get_db_prep_save(values[f.name], connection) for f in fields]
        if isinstance(open_cursor, Deferred):
            open_cursor.execute(sql, [*parameters, pk])
            return -1
        execute(open_cursor, sql, [*parameters, pk])
        return int(open_cursor.rowcount)


def _update_plan(
    model: type[Model], names: tuple[str, ...], connection: Any
) -> tuple[str, list[Field[Any, Any]]]:
    meta = model._meta
    quote = connection.ops.quote_name
    fields = [field for name in names if isinstance(field := meta.get_field(name), Field)]
    if len(fields) != len(names):
        raise ValueError(f"not all of {sorted(names)} are columns of {meta.label}")
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    assert meta.pk is not None
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {assignments} "  # noqa: S608 - names from the model
        f"WHERE {quote(meta.pk.column)} = %s"
    )
    return sql, fields


def reserve_ids(
    counts: Mapping[type[Model], int], *, cursor: Any = None, ahead: int = 0
) -> dict[type[Model], list[int]] | None:
    """New primary keys, ``counts[model]`` of them for each model, so that a row can be
    written with values derived from its id (a reference), and rows pointing at it, without
    reading anything back. Call inside a transaction that will insert them.

    PostgreSQL hands them out from the keys' sequences, for all models in one round trip.
    With ``ahead``, it hands out that many more of each and the process keeps them for its
    next calls (``_SPARE_IDS``): a process that writes one signal at a time (intake over the
    API or a form) asks the database once per ``ahead`` signals instead of once per signal.
    Keys a process kept and never used are gaps in the sequence, as a rolled-back insert
    leaves. SQLite has no sequences: the next numbers after its ``AUTOINCREMENT`` counter are
    ours because the transaction holds the database's write lock (Schakel opens SQLite
    transactions with ``BEGIN IMMEDIATE``), and inserting them moves the counter on. None
    for other databases: the caller inserts first and reads the ids back.
    """
    wanted = {model: count for model, count in counts.items() if count > 0}
    reserved: dict[type[Model], list[int]] = {model: [] for model in counts}
    if not wanted:
        return reserved
    with _open(next(iter(wanted)), cursor) as open_cursor:
        connection = open_cursor.db
        if connection.vendor == "postgresql":
            spare = _spare_ids(connection)
            short = {
                model: count + ahead
                for model, count in wanted.items()
                if len(spare.get(model, ())) < count
            }
            if short:
                for model, ids in _next_ids(open_cursor, short).items():
                    spare[model] = sorted([*spare.get(model, ()), *ids])
            for model, count in wanted.items():
                reserved[model], spare[model] = spare[model][:count], spare[model][count:]
            return reserved
        if connection.vendor == "sqlite" and connection.in_atomic_block:
            quote = connection.ops.quote_name
            for model, count in wanted.items():
                meta = model._meta
                assert meta.pk is not None
                table, key = quote(meta.db_table), quote(meta.pk.column)
                # Names from the model, quoted; the only value is a parameter.
                counter = "SELECT seq FROM sqlite_sequence WHERE name = %s"
                open_cursor.execute(
                    f"SELECT MAX(COALESCE(({counter}), 0), "  # noqa: S608
                    f"COALESCE((SELECT MAX({key}) FROM {table}), 0))",
                    [meta.db_table],
                )
                (last,) = open_cursor.fetchone()
                reserved[model] = list(range(int(last) + 1, int(last) + 1 + count))
            return reserved
    return None


def _next_ids(cursor: Any, counts: Mapping[type[Model], int]) -> dict[type[Model], list[int]]:
    """``counts[model]`` new numbers from each model's key sequence, in one round trip."""
    # Any unused numbers of each sequence will do; the order of the rows is not the order
    # of the numbers, so each list is sorted.
    models = list(counts)
    # Typed, so that the statement can be prepared.
    part = (
        "SELECT %s::integer, nextval(pg_get_serial_sequence(%s::text, %s::text)) "
        "FROM generate_series(1, %s::integer)"
    )
    parameters: list[Any] = []
    for index, model in enumerate(models):
        meta = model._meta
        assert meta.pk is not None
        parameters += [index, meta.db_table, meta.pk.column, counts[model]]
    execute(cursor, " UNION ALL ".join([part] * len(models)), parameters)
    found: dict[type[Model], list[int]] = {model: [] for model in models}
    for index, new_id in cursor.fetchall():
        found[models[index]].append(int(new_id))
    return {model: sorted(ids) for model, ids in found.items()}


#: Keys taken from PostgreSQL's sequences ahead (``reserve_ids(..., ahead=N)``) and not used
#: yet, per thread, process (a forked worker starts without its parent's), database and
#: model. A sequence never hands out a number twice, so they stay this thread's to use, until
#: a sequence is reset (``schakel manage flush``): restart the processes after that, as after
#: ``schakel migrate``.
_SPARE_IDS = threading.local()


def forget_spare_ids() -> None:
    """Drop this thread's keys taken ahead (after the sequences were reset in this process)."""
    _SPARE_IDS.__dict__.pop("kept", None)


def _spare_ids(connection: Any) -> dict[type[Model], list[int]]:
    kept: dict[tuple[int, str, str], dict[type[Model], list[int]]] = _SPARE_IDS.__dict__.setdefault(
        "kept", {}
    )
    key = (os.getpid(), connection.alias, str(connection.settings_dict.get("NAME")))
    return kept.setdefault(key, {})


class Deferred:
    """Statements nobody reads an answer of (INSERTs without RETURNING), held until the block
    of ``deferred`` ends and then sent together: in one round trip on PostgreSQL with
    client-side binding (Django's default), one by one elsewhere. A round trip costs both
    processes about as much CPU as a small INSERT itself. Pass it as the ``cursor`` of
    ``insert_rows`` or ``insert_values`` (without ids to return); a failing statement fails
    the whole block, and the transaction with it. On PostgreSQL an INSERT of many rows
    (``MANY_ROWS``) goes at once by COPY instead (it needs no round trip saved), so use a
    block inside a transaction: it is that transaction that writes nothing when the block
    fails.

    Where the statements go together, each is written out as text when it is added, not
    when the block is sent: a lock taken near the end of the block (the audit chain's head,
    which every intake transaction takes) is then held for little more than the round trip
    and the commit."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.db = cursor.db
        self._together = _sends_together(self.db)
        self._statements: list[tuple[str, Sequence[Any]]] = []
        self._texts: list[str] = []

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> None:
        if self._together:
            self._texts.append(_literal_text(self.cursor, [(sql, parameters)]))
        else:
            self._statements.append((sql, parameters))

    def send(self) -> None:
        texts, self._texts = self._texts, []
        if texts:
            self.cursor.execute("".join(texts))
        statements, self._statements = self._statements, []
        for sql, parameters in statements:
            execute(self.cursor, sql, parameters)


@contextmanager
def deferred(cursor: Any) -> Iterator[Deferred]:
    """``with deferred(cursor) as statements:`` — see ``Deferred``. No held statement is sent
    when the block fails."""
    statements = Deferred(cursor)
    yield statements
    statements.send()


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


@contextmanager
def _open(model: type[Model], cursor: Any) -> Iterator[Any]:
    if cursor is not None:
        yield cursor
        return
    with connections[router.db_for_write(model)].cursor() as opened:
        yield opened


@dataclass(frozen=True)
class _InsertPlan:
    """What an INSERT into one table needs, worked out once per database and set of
    columns instead of for every statement."""

    head: str
    group: str
    #: PostgreSQL: the same INSERT with one array parameter per column (``SELECT * FROM
    #: UNNEST(...)``, as Django's ``bulk_create`` does): a short query text whatever the
    #: number of rows, which psycopg need not scan for thousands of placeholders (with
    #: client-side binding that scan cost more than the rest of a bulk write). None where a
    #: column cannot go in an array.
    unnest: str | None
    #: PostgreSQL: ``COPY ... FROM STDIN`` for rows whose ids nobody reads back.
    copy: str | None
    tail_returning: str
    fields: list[Field[Any, Any]]
    pk_attname: str
    from_instance: list[Callable[[Model, Any], Any]]
    from_value: list[Callable[[Any, Any], Any]]


_INSERT_PLANS: dict[tuple[Any, ...], _InsertPlan] = {}
_UPDATE_PLANS: dict[tuple[Any, ...], tuple[str, list[Field[Any, Any]]]] = {}


def _insert_plan(
    model: type[Model], connection: Any, columns: tuple[str, ...] | None
) -> _InsertPlan:
    """``columns``: the fields named by the caller, () for every column but an
    auto-incremented key, None for every column."""
    key = (model, columns, connection.alias, connection.vendor)
    plan = _INSERT_PLANS.get(key)
    if plan is not None:
        return plan
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    every = [f for f in meta.local_concrete_fields if columns is None or f is not meta.auto_field]
    if columns:
        # The auto-incremented key may be named too (ids reserved beforehand).
        fields = [meta.get_field(name) for name in columns]
        missing = {f.name for f in every} - {f.name for f in fields}
        if missing or len(set(columns)) != len(columns):
            raise ValueError(f"name each column of {meta.label} once; missing: {sorted(missing)}")
        if not all(isinstance(f, Field) and f in meta.local_concrete_fields for f in fields):
            raise ValueError(f"not all of {list(columns)} are columns of {meta.label}")
    else:
        fields = list(every)
    concrete = [f for f in fields if isinstance(f, Field)]
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in concrete)
    plan = _InsertPlan(
        # Table and column names come from the model, quoted; every value is a parameter.
        head=f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES ",  # noqa: S608
        group="(" + ", ".join(["%s"] * len(concrete)) + ")",
        unnest=_unnest_insert(meta.db_table, names, concrete, connection),
        copy=(
            f"COPY {quote(meta.db_table)} ({names}) FROM STDIN"
            if connection.vendor == "postgresql" and concrete
            else None
        ),
        tail_returning=f" RETURNING {quote(pk.column)}",
        fields=concrete,
        pk_attname=pk.attname,
        from_instance=[_instance_preparer(f) for f in concrete],
        from_value=[_value_preparer(f) for f in concrete],
    )
    _INSERT_PLANS[key] = plan
    return plan


def _unnest_insert(
    table: str, names: str, fields: list[Field[Any, Any]], connection: Any
) -> str | None:
    if connection.vendor != "postgresql" or not fields:
        return None
    types = []
    for field in fields:
        target = field.target_field if field.is_relation else field  # type: ignore[attr-defined]
        if hasattr(field, "get_placeholder") or (
            target.get_internal_type() not in connection.data_types
        ):
            return None
        db_type = field.db_type(connection)
        if db_type is None:
            return None
        # Without a length: varchar[] rather than varchar(32)[], which would cut values.
        types.append(f"(%s)::{db_type.split('(')[0]}[]")
    quoted = connection.ops.quote_name(table)
    return f"INSERT INTO {quoted} ({names}) SELECT * FROM UNNEST({', '.join(types)})"  # noqa: S608


#: From how many rows an INSERT on PostgreSQL goes by COPY or UNNEST: below, the rows' few
#: placeholders cost little to scan, and a deferred block sends them with the others in its
#: one round trip (one signal taken in over HTTP), where a COPY would take its own.
MANY_ROWS = 50

#: Rows per UNNEST statement: arrays take any number, but one statement need not hold the
#: whole of a large write in memory twice over.
UNNEST_ROWS = 5_000


def _insert(
    cursor: Any, plan: _InsertPlan, values: list[tuple[Any, ...]], *, returning: bool
) -> list[int] | None:
    connection = cursor.db
    if returning and isinstance(cursor, Deferred):
        raise ValueError("a deferred INSERT cannot return ids: reserve them first")
    if returning and not connection.features.can_return_rows_from_bulk_insert:
        raise RuntimeError("the database cannot return the ids of inserted rows")
    tail = plan.tail_returning if returning else ""
    new_ids: list[int] = []
    if plan.copy is not None and not returning and len(values) >= MANY_ROWS:
        # COPY: no query to parse and the values formatted by psycopg's C code. Sent at once
        # even from a deferred block: the foreign keys are checked at commit, and a failure
        # fails the transaction all the same (as Django's error, like any other statement's).
        raw = _driver_cursor(cursor)
        with connection.wrap_database_errors, raw.copy(plan.copy) as copy:
            for row in values:
                copy.write_row(row)
        return None
    if plan.unnest is not None and len(values) >= MANY_ROWS:
        for start in range(0, len(values), UNNEST_ROWS):
            chunk = values[start : start + UNNEST_ROWS]
            cursor.execute(
                plan.unnest + tail, [list(column) for column in zip(*chunk, strict=True)]
            )
            if returning:
                new_ids += [row[0] for row in cursor.fetchall()]
        return new_ids if returning else None
    step = max(1, connection.ops.bulk_batch_size(plan.fields, values))
    for start in range(0, len(values), step):
        chunk = values[start : start + step]
        execute(
            cursor,
            plan.head + ", ".join([plan.group] * len(chunk)) + tail,
            [value for row in chunk for value in row],
        )
        if returning:
            new_ids += [row[0] for row in cursor.fetchall()]
    return new_ids if returning else None


def _value_preparer(field: Field[Any, Any]) -> Callable[[Any, Any], Any]:
    """How to get the database value of ``field`` from a value: the field's own preparation
    (``get_db_prep_save``) as the ORM does it, skipped for plain values of plain fields,
    where it would only cost time (about a quarter of a bulk write)."""
    plain = _PLAIN_VALUES.get(type(field))
    prepare = field.get_db_prep_save
    if plain is None:
        return prepare

    def plain_or_prepared(value: Any, connection: Any) -> Any:
        return value if type(value) in plain else prepare(value, connection)

    return plain_or_prepared


def _instance_preparer(field: Field[Any, Any]) -> Callable[[Model, Any], Any]:
    """The same from a model instance, with the field's ``pre_save`` (``auto_now``)."""

    def through_the_field(row: Model, connection: Any) -> Any:
        return field.get_db_prep_save(field.pre_save(row, True), connection)

    plain = _PLAIN_VALUES.get(type(field))
    if plain is None:
        return through_the_field
    attname = field.attname

    def attribute(row: Model, connection: Any) -> Any:
        value = getattr(row, attname)
        return value if type(value) in plain else through_the_field(row, connection)

    return attribute


class _Written:
    """A statement written once in SQL and built once per database (``Select``, ``Values``)."""

    def __init__(
        self, models: Sequence[type[Model]], sql: str, named: Sequence[type[Model]]
    ) -> None:
        self.models = tuple(models)
        self.sql = sql
        self._tables = {model.__name__: model for model in named}
        self._built: dict[str, Any] = {}

    def fetch(self, parameters: Sequence[Any]) -> list[Any]:
        (rows,) = fetch_together((self, parameters))
        return rows

    def built_for(self, connection: Any) -> Any:
        return self._built.get(connection.alias) or self._build(connection.alias, connection)

    def _build(self, alias: str, connection: Any) -> Any:
        raise NotImplementedError

    def _parts(self, connection: Any, columns: list[str]) -> list[str]:
        """The statement split at its placeholders: the columns, then ``sql`` with its
        names written out (quoted, from the models; every value is a parameter)."""
        quote = connection.ops.quote_name
        names = {name: _QuotedTable(model, quote) for name, model in self._tables.items()}
        return (f"SELECT {', '.join(columns)} " + self.sql.format_map(names)).split("%s")


def _converters_of(connection: Any, column: Any) -> list[Any]:
    """What the ORM passes a column's values through when it reads them."""
    return list(connection.ops.get_db_converters(column) + column.get_db_converters(connection))


def _column_field(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or not field.concrete:
        raise AttributeError(f"{model._meta.label}.{name} is not a column")
    return field


class Select(_Written):
    """A SELECT of whole rows of one or more models, written once in SQL: what
    ``Model.objects.select_related(...).filter(...)`` reads, without compiling the queryset
    again for every call (for a lookup by key that costs several times what the database
    spends answering it). Each row comes back as a tuple with one instance per model, or
    None where an outer join found nothing; values pass through the same converters as the
    ORM's, so SQLite's booleans and dates come back as Python's.

    ``sql`` is everything after the column list. ``{Model}`` stands for the quoted table of
    one of ``models`` or ``joined``, ``{Model.field}`` for its quoted column; ``%s`` is a
    parameter, and a tuple parameter stands for a list: ``IN %s`` with ``(1, 2)`` becomes
    ``IN (%s, %s)``. The statement is built once per database; rows are never cached.
    """

    def __init__(
        self, models: Sequence[type[Model]], sql: str, *, joined: Sequence[type[Model]] = ()
    ) -> None:
        super().__init__(models, sql, (*models, *joined))

    def fetch(self, parameters: Sequence[Any]) -> list[tuple[Model | None, ...]]:
        return super().fetch(parameters)

    def _build(self, alias: str, connection: Any) -> _BuiltSelect:
        quote = connection.ops.quote_name
        columns: list[str] = []
        converters: list[tuple[int, list[Any], Any]] = []
        readers: list[tuple[type[Model], int, int, int, list[str]]] = []
        for model in self.models:
            meta = model._meta
            table = quote(meta.db_table)
            start = len(columns)
            for field in meta.concrete_fields:
                column = field.get_col(meta.db_table)
                found = _converters_of(connection, column)
                if found:
                    converters.append((len(columns), found, column))
                columns.append(f"{table}.{quote(field.column)}")
            assert meta.pk is not None
            pk_index = start + meta.concrete_fields.index(meta.pk)
            attnames = [field.attname for field in meta.concrete_fields]
            readers.append((model, start, len(columns), pk_index, attnames))
        built = _BuiltSelect(alias, self._parts(connection, columns), converters, readers)
        self._built[alias] = built
        return built


class Values(_Written):
    """A SELECT of chosen columns, written once in SQL: what
    ``Model.objects.filter(...).values_list(...)`` reads, without compiling the queryset again
    for every call (``Select`` is the same for whole rows). ``columns``: (model, field name)
    pairs, each read through its field's converters as the ORM reads it (JSON comes back
    parsed, SQLite's booleans and dates as Python's); an inherited field is read from the
    parent's table. ``sql`` is everything after the column list, as for ``Select``; rows come
    back as tuples in the order of ``columns``. ``models``: every model ``sql`` names."""

    def __init__(
        self,
        columns: Sequence[tuple[type[Model], str]],
        sql: str,
        *,
        models: Sequence[type[Model]],
    ) -> None:
        super().__init__(models, sql, models)
        self.columns = tuple(columns)

    def fetch(self, parameters: Sequence[Any]) -> list[tuple[Any, ...]]:
        return super().fetch(parameters)

    def _build(self, alias: str, connection: Any) -> _BuiltValues:
        quote = connection.ops.quote_name
        columns: list[str] = []
        converters: list[tuple[int, list[Any], Any]] = []
        for index, (model, name) in enumerate(self.columns):
            field = _column_field(model, name)
            table = field.model._meta.db_table
            column = field.get_col(table)
            found = _converters_of(connection, column)
            if found:
                converters.append((index, found, column))
            columns.append(f"{quote(table)}.{quote(field.column)}")
        built = _BuiltValues(alias, self._parts(connection, columns), converters, [])
        self._built[alias] = built
        return built


def fetch_together(
    *lookups: tuple[_Written, Sequence[Any]] | None,
) -> list[list[tuple[Any, ...]]]:
    """The rows of several ``Select``s and ``Values`` (each with its parameters; None for a
    lookup not needed, which finds nothing), in one round trip on PostgreSQL with client-side
    binding and one by one elsewhere. Each is still its own statement, asked afresh."""
    wanted = [lookup for lookup in lookups if lookup is not None]
    if not wanted:
        return [[] for _ in lookups]
    connection = connections[router.db_for_read(wanted[0][0].models[0])]
    built = [select.built_for(connection) for select, _ in wanted]
    statements = [
        _adapted(connection, *b.statement(parameters))
        for b, (_, parameters) in zip(built, wanted, strict=True)
    ]
    found: list[list[Sequence[Any]]] = []
    with connection.cursor() as cursor:
        if len(statements) > 1 and _sends_together(connection):
            cursor.execute(_literal_text(cursor, statements))
            found.append(cursor.fetchall())
            while cursor.nextset():
                found.append(cursor.fetchall())
        else:
            for sql, parameters in statements:
                execute(cursor, sql, parameters)
                found.append(cursor.fetchall())
    if len(found) != len(wanted):
        raise RuntimeError(f"{len(wanted)} results expected, not {len(found)}")
    answers = iter(
        [b.read(row, connection) for row in rows] for b, rows in zip(built, found, strict=True)
    )
    return [next(answers) if lookup is not None else [] for lookup in lookups]


def _adapted(connection: Any, sql: str, parameters: list[Any]) -> tuple[str, list[Any]]:
    """Dates and times as the ORM would send them: SQLite keeps them as text in UTC, without
    an offset, and compares them as text (an aware ``datetime`` written by the driver, with
    its ``+00:00``, sorts after the same moment stored)."""
    ops = connection.ops
    for index, value in enumerate(parameters):
        if isinstance(value, datetime):
            parameters[index] = ops.adapt_datetimefield_value(value)
        elif isinstance(value, date):
            parameters[index] = ops.adapt_datefield_value(value)
    return sql, parameters


def _literal_text(cursor: Any, statements: Sequence[tuple[str, Sequence[Any]]]) -> str:
    """Several statements with their parameters as one query text, the values written in as
    literals by psycopg's own adapters (what its client-side binding does with one text).
    Each statement's SQL is split at its placeholders once and kept (``_pieces``): psycopg
    keeps the split only of short texts with few parameters, so a block of several
    statements was split again on every call."""
    from psycopg.adapt import Transformer

    driver = _driver_cursor(cursor)
    state = _state_of(driver.connection)
    if state.transformer is None:
        state.transformer = Transformer.from_context(driver.connection)
    literal = state.transformer.as_literal
    prepared = state.prepared if _prepares(cursor.db) else None
    to_prepare: dict[bytes, str] = {}
    out: list[bytes] = []
    for sql, parameters in statements:
        pieces = _pieces(sql)
        if len(parameters) != len(pieces) - 1:
            raise ValueError(f"{len(pieces) - 1} parameters expected, not {len(parameters)}")
        if prepared is not None and len(parameters) <= PREPARE_MAX_PARAMETERS:
            name = _statement_name(sql)
            if (
                name not in prepared
                and name not in to_prepare
                and len(prepared) + len(to_prepare) < MAX_PREPARED
            ):
                to_prepare[name] = sql
            if name in prepared or name in to_prepare:
                out.append(b"EXECUTE " + name)
                if parameters:
                    out.append(
                        b"("
                        + b", ".join(b"NULL" if v is None else literal(v) for v in parameters)
                        + b")"
                    )
                out.append(b";\n")
                continue
        out.append(pieces[0])
        for value, piece in zip(parameters, pieces[1:], strict=True):
            out.append(b"NULL" if value is None else literal(value))
            out.append(piece)
        out.append(b";\n")
    if to_prepare:
        assert prepared is not None
        _prepare(cursor, driver, prepared, to_prepare)
    return b"".join(out).decode()


def execute(cursor: Any, sql: str, parameters: Sequence[Any] = ()) -> None:
    """``cursor.execute(sql, parameters)`` (Django's cursor), as a prepared statement where
    the connection prepares them: prepared on first use, then ``EXECUTE``d with the values
    written in by psycopg's adapters, as its client-side binding writes them into the text.
    For the few statements a hot path runs again and again; a statement with more than
    ``PREPARE_MAX_PARAMETERS`` values (many rows, a long list spread by ``IN %s``) is sent
    as it is. A ``Deferred`` block holds the statement as it is, and prepares it when
    it sends it."""
    if isinstance(cursor, Deferred):
        cursor.execute(sql, parameters)
    elif _prepares(cursor.db):
        cursor.execute(_literal_text(cursor, [(sql, parameters)]))
    else:
        cursor.execute(sql, parameters)


@dataclass
class _ConnectionState:
    """What this module keeps per driver connection. ``transformer``: psycopg's, for writing
    values out as literals (a new one looks up each type's dumper again, about as much work
    as writing out a row of values). ``prepared``: the names of the statements prepared on
    it; a ``PREPARE`` is not undone by a rollback (it belongs to the session, not the
    transaction), so a name once prepared stays valid until the connection closes, and a new
    connection is a new key."""

    transformer: Any = None
    prepared: set[bytes] = dataclasses.field(default_factory=set)


_STATES: weakref.WeakKeyDictionary[Any, _ConnectionState] = weakref.WeakKeyDictionary()

#: At most this many statements are prepared on one connection (each holds a little of the
#: server's memory); beyond, statements go as text.
MAX_PREPARED = 1000

#: Statements with more parameters go as text: many rows at once, or a long list of values
#: to spread (``IN %s``), whose texts differ from call to call and would each be prepared
#: for little use. A signal's statements have at most a few dozen.
PREPARE_MAX_PARAMETERS = 100


def _state_of(driver_connection: Any) -> _ConnectionState:
    state = _STATES.get(driver_connection)
    if state is None:
        state = _STATES[driver_connection] = _ConnectionState()
    return state


def _prepares(connection: Any) -> bool:
    """Whether statements are prepared on ``connection`` (Django's): PostgreSQL with
    client-side binding, unless ``SCHAKEL_DATABASE_PREPARED`` is off."""
    return _sends_together(connection) and bool(
        getattr(settings, "SCHAKEL_DATABASE_PREPARED", False)
    )


def _prepare(cursor: Any, driver: Any, prepared: set[bytes], statements: dict[bytes, str]) -> None:
    """``PREPARE`` each of ``statements`` (by name), one at a time, so that the names
    recorded are exactly those the server holds. Sent by the driver's cursor: Django's query
    log (and a test counting queries) sees only the ``EXECUTE``, the same number of
    statements whether or not this connection had prepared them already."""
    for name, sql in statements.items():
        pieces = _pieces(sql)
        text = pieces[0] + b"".join(
            b"$%d" % number + piece for number, piece in enumerate(pieces[1:], start=1)
        )
        with cursor.db.wrap_database_errors:
            driver.execute(b"PREPARE " + name + b" AS " + text)
        prepared.add(name)
        _SQL_BY_NAME[name.decode()] = sql


#: The SQL of every statement prepared by this process, by name (for ``described``).
_SQL_BY_NAME: dict[str, str] = {}

_EXECUTE = re.compile(r"EXECUTE (schakel_\w+)")


def described(text: str) -> str:
    """``text`` as sent by this module, with each ``EXECUTE`` of a statement it prepared
    replaced by that statement's SQL (placeholders where the values were): for a reader of
    a query log, and for tests that look at what was sent."""
    return _EXECUTE.sub(lambda found: _SQL_BY_NAME.get(found.group(1), found.group(0)), text)


_STATEMENT_SUBJECT = re.compile(
    r'^\s*(?:(INSERT) INTO|(UPDATE)|(SELECT)\b.*?\bFROM)\s+"?(\w+)', re.DOTALL | re.IGNORECASE
)


@functools.lru_cache(maxsize=1024)
def _statement_name(sql: str) -> bytes:
    """A prepared statement's name: what it does to which table, for a reader of
    ``pg_prepared_statements``, and a hash of the whole text."""
    digest = hashlib.sha256(sql.encode()).hexdigest()[:12]
    found = _STATEMENT_SUBJECT.match(sql)
    subject = ""
    if found:
        verb = next(group for group in found.groups()[:3] if group).lower()
        subject = f"{verb}_{found.group(4)[:32]}_"
    return f"schakel_{subject}{digest}".encode()


_PLACEHOLDER = re.compile(r"%(.)", re.DOTALL)


@functools.lru_cache(maxsize=512)
def _pieces(sql: str) -> tuple[bytes, ...]:
    """``sql``'s text around its ``%s`` placeholders, ``%%`` read as ``%``."""
    pieces: list[str] = []
    current: list[str] = []
    start = 0
    for match in _PLACEHOLDER.finditer(sql):
        current.append(sql[start : match.start()])
        start = match.end()
        if match.group(1) == "%":
            current.append("%")
        elif match.group(1) == "s":
            pieces.append("".join(current))
            current = []
        else:
            raise ValueError(f"only %s and %% may stand in SQL with parameters: {sql[:80]!r}")
    current.append(sql[start:])
    pieces.append("".join(current))
    return tuple(piece.encode() for piece in pieces)


def _sends_together(connection: Any) -> bool:
    """Whether several statements may go in one ``execute``: psycopg's client-side binding
    (Django's default for PostgreSQL) sends them as one query text."""
    options = connection.settings_dict.get("OPTIONS", {})
    return bool(
        connection.vendor == "postgresql" and options.get("server_side_binding") is not True
    )


class _QuotedTable:
    """``{Model}`` and ``{Model.field}`` in a ``Select``'s SQL."""

    def __init__(self, model: type[Model], quote: Callable[[str], str]) -> None:
        self._model, self._quote = model, quote

    def __format__(self, spec: str) -> str:
        return self._quote(self._model._meta.db_table)

    def __getattr__(self, name: str) -> str:
        field = _column_field(self._model, name)
        # An inherited field lives in its parent's table.
        return f"{self._quote(field.model._meta.db_table)}.{self._quote(field.column)}"


class _BuiltSelect:
    def __init__(
        self,
        alias: str,
        parts: list[str],
        converters: list[tuple[int, list[Any], Any]],
        readers: list[tuple[type[Model], int, int, int, list[str]]],
    ) -> None:
        self.alias = alias
        self.parts = parts
        self.sql = "%s".join(parts)
        self.converters = converters
        self.readers = readers

    def statement(self, parameters: Sequence[Any]) -> tuple[str, list[Any]]:
        if len(parameters) != len(self.parts) - 1:
            raise ValueError(f"{len(self.parts) - 1} parameters expected, not {len(parameters)}")
        if not any(isinstance(p, tuple) for p in parameters):
            return self.sql, list(parameters)
        pieces: list[str] = [self.parts[0]]
        flat: list[Any] = []
        for parameter, part in zip(parameters, self.parts[1:], strict=True):
            if isinstance(parameter, tuple):
                if not parameter:
                    raise ValueError("an empty list cannot stand in SQL's IN (...)")
                pieces.append("(" + ", ".join(["%s"] * len(parameter)) + ")")
                flat += parameter
            else:
                pieces.append("%s")
                flat.append(parameter)
            pieces.append(part)
        return "".join(pieces), flat

    def converted(self, row: Sequence[Any], connection: Any) -> list[Any]:
        """The row's values through their fields' converters."""
        values = list(row)
        for index, converters, column in self.converters:
            value = values[index]
            for convert in converters:
                value = convert(value, column, connection)
            values[index] = value
        return values

    def read(self, row: Sequence[Any], connection: Any) -> tuple[Model | None, ...]:
        values = self.converted(row, connection)
        return tuple(
            model.from_db(self.alias, attnames, values[start:stop])
            if values[pk_index] is not None
            else None
            for model, start, stop, pk_index, attnames in self.readers
        )


class _BuiltValues(_BuiltSelect):
    def read(self, row: Sequence[Any], connection: Any) -> tuple[Any, ...]:
        return tuple(self.converted(row, connection)) if self.converters else tuple(row)
