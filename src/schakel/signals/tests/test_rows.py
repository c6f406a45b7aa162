"""``schakel.rows``, the plain-SQL reads and writes of the hot paths, checked against what the
ORM stores and reads: the same values, the same types, nothing sent that failed."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from schakel import rows as rows_module
from schakel.partners.models import Organisation, Region, SharingGroup
from schakel.rows import (
    Select,
    Values,
    deferred,
    described,
    fetch_together,
    insert_rows,
    insert_values,
    reserve_ids,
)
from schakel.signals.models import PersonMention, Signal, SignalIndicator, TriageRecord
from schakel.signals.tests.factories import make_signal
from schakel.signals.writer import PERSON_COLUMNS, TRIAGE_COLUMNS
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db

ORGANISATION_WITH_REGION = Select(
    (Organisation, Region),
    "FROM {Organisation} LEFT JOIN {Region} ON {Region.id} = {Organisation.region} "
    "WHERE {Organisation.id} IN %s ORDER BY {Organisation.name}",
)
GROUP_BY_NAME = Select((SharingGroup,), "FROM {SharingGroup} WHERE {SharingGroup.name} = %s")


def test_a_select_reads_what_the_orm_reads_with_its_types(world: World) -> None:
    world.national.region = None
    world.national.save()
    rows = ORGANISATION_WITH_REGION.fetch([(world.municipality_a.pk, world.national.pk)])
    assert rows == [
        (world.municipality_a, world.breda),
        (world.national, None),  # the outer join found no region
    ]
    organisation, region = rows[0]
    assert isinstance(organisation, Organisation) and isinstance(region, Region)
    fresh = Organisation.objects.get(pk=world.municipality_a.pk)
    assert [getattr(organisation, f.attname) for f in Organisation._meta.concrete_fields] == [
        getattr(fresh, f.attname) for f in Organisation._meta.concrete_fields
    ]
    # SQLite stores booleans as 0 and 1: the field's converter makes them booleans again.
    assert organisation.is_active is True
    assert not organisation._state.adding and organisation._state.db == "default"


SIGNAL_VALUES = Values(
    [
        (Signal, "id"),
        (Signal, "received_at"),
        (Signal, "observed_on"),
        (Signal, "identity_withheld"),
        (Signal, "forms_of_exploitation"),
    ],
    "FROM {Signal} WHERE {Signal.received_at} >= %s AND {Signal.observed_on} = %s "
    "AND {Signal.id} IN %s ORDER BY {Signal.id}",
    models=[Signal],
)


def test_values_read_columns_as_the_orm_reads_them_and_compare_times_as_it_does(
    world: World,
) -> None:
    signal = make_signal(world.users["care_coordinator"], groups=[world.table_a])
    Signal.objects.filter(pk=signal.pk).update(
        observed_on=date(2026, 11, 2), forms_of_exploitation=["labour", "sexual"]
    )
    expected = Signal.objects.filter(pk=signal.pk).values_list(
        "id", "received_at", "observed_on", "identity_withheld", "forms_of_exploitation"
    )
    stored = expected.get()
    # The very moment stored: SQLite compares times as text, which the driver would write
    # with an offset the stored text does not have.
    found = SIGNAL_VALUES.fetch([stored[1], date(2026, 11, 2), (signal.pk, 10**12)])
    assert found == [stored]
    ((_pk, received, observed, withheld, forms),) = found
    assert isinstance(received, datetime) and received.tzinfo is not None
    assert isinstance(observed, date) and withheld is False and forms == ["labour", "sexual"]
    assert SIGNAL_VALUES.fetch([stored[1], date(2026, 11, 3), (signal.pk,)]) == []


def test_values_read_an_inherited_column_from_its_parents_table(world: World) -> None:
    from schakel.entities.models import Mention
    from schakel.entities.services import resolve_signals

    signal = make_signal(world.users["care_coordinator"], groups=[world.table_a])
    resolve_signals([signal.pk])
    of_signal = Values(
        [(Mention, "record"), (Mention, "signal"), (Mention, "entity"), (Mention, "properties")],
        "FROM {Mention} JOIN {MentionRecord} ON {MentionRecord.id} = {Mention.record} "
        "WHERE {Mention.signal} = %s ORDER BY {Mention.record}",
        models=[Mention, Mention._meta.get_field("record").related_model],
    )
    expected = list(
        Mention.objects.filter(signal=signal)
        .order_by("pk")
        .values_list("pk", "signal_id", "entity_id", "properties")
    )
    assert of_signal.fetch([signal.pk]) == expected and len(expected) > 1
    with pytest.raises(AttributeError, match="not a column"):
        Values([(Mention, "blocking_keys")], "FROM {Mention}", models=[Mention]).fetch([])


def test_a_select_asks_the_database_every_time(world: World) -> None:
    (found,) = GROUP_BY_NAME.fetch([world.table_a.name])
    assert found == (world.table_a,)
    SharingGroup.objects.filter(pk=world.table_a.pk).update(name="Renamed")
    assert GROUP_BY_NAME.fetch([world.table_a.name]) == []


def test_a_select_refuses_the_wrong_number_of_parameters_and_an_empty_list(world: World) -> None:
    with pytest.raises(ValueError, match="1 parameters expected"):
        GROUP_BY_NAME.fetch([])
    with pytest.raises(ValueError, match="empty list"):
        ORGANISATION_WITH_REGION.fetch([()])


def test_lookups_fetched_together_come_back_in_order(world: World) -> None:
    with CaptureQueriesContext(connection) as queries:
        by_name, skipped, organisations = fetch_together(
            (GROUP_BY_NAME, [world.table_b.name]),
            None,
            (ORGANISATION_WITH_REGION, [(world.police_a.pk,)]),
        )
    assert by_name == [(world.table_b,)] and skipped == []
    assert [organisation for organisation, _region in organisations] == [world.police_a]
    # One round trip where the database takes several statements at once.
    assert len(queries) == (1 if connection.vendor == "postgresql" else 2)


def test_values_are_stored_as_the_orm_stores_them(world: World) -> None:
    signal = make_signal(world.users["care_coordinator"])
    at = datetime(2026, 11, 29, 9, 30, tzinfo=UTC)
    with transaction.atomic():
        (record_id,) = insert_values(
            TriageRecord,
            (
                "signal",
                "kind",
                "model_version",
                "score",
                "band",
                "result",
                "created_at",
                "created_by",
            ),
            [(signal.pk, TriageRecord.Kind.RETRIAGE, "7", 1.5, "discuss", {"a": [1]}, at, None)],
            returning_ids=True,
        )
    record = TriageRecord.objects.get(pk=record_id)
    assert (record.kind, record.score, record.result, record.created_at) == (
        "retriage",
        1.5,
        {"a": [1]},
        at,
    )


def test_every_column_must_be_named_once(world: World) -> None:
    signal = make_signal(world.users["care_coordinator"])
    with pytest.raises(ValueError, match="missing: \\['band'"):
        insert_values(
            TriageRecord,
            ("signal", "kind", "model_version", "score", "result", "created_at", "created_by"),
            [(signal.pk, "intake", "1", 0.0, {}, datetime.now(UTC), None)],
        )
    assert TriageRecord.objects.filter(signal=signal).count() == 1  # the intake's own


def test_reserved_ids_are_new_and_take_the_rows_given_them(world: World) -> None:
    signal = make_signal(world.users["care_coordinator"])
    before = set(PersonMention.objects.values_list("pk", flat=True))
    with transaction.atomic():
        reserved = reserve_ids({PersonMention: 3, Signal: 0})
        assert reserved is not None and reserved[Signal] == []
        ids = reserved[PersonMention]
        assert len(set(ids)) == 3 and not set(ids) & before
        insert_rows(
            PersonMention,
            [PersonMention(pk=pk, signal=signal, role="witness") for pk in ids],
        )
    assert set(PersonMention.objects.filter(role="witness").values_list("pk", flat=True)) == set(
        ids
    )
    # And the counter moved on: the next row the database numbers comes after them.
    later = PersonMention.objects.create(signal=signal, role="suspect")
    assert later.pk > max(ids)


def test_keys_taken_ahead_serve_the_next_reservations_without_a_round_trip(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process writing one signal at a time takes the keys of its next signals at once
    (PostgreSQL's sequences; SQLite's counter moves only with the rows, so nothing is taken
    ahead there): every key is handed out once, and a later reservation that the kept keys
    cover asks the database nothing."""
    import threading

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from schakel import rows

    signal = make_signal(world.users["care_coordinator"])
    # As a process that has kept no keys yet (making the signal kept some).
    monkeypatch.setattr(rows, "_SPARE_IDS", threading.local())
    handed_out: list[int] = []
    queries = []
    for _ in range(4):
        with transaction.atomic(), CaptureQueriesContext(connection) as asked:
            reserved = reserve_ids({PersonMention: 2, Signal: 0}, ahead=3)
            assert reserved is not None
            handed_out += reserved[PersonMention]
            insert_rows(
                PersonMention,
                [
                    PersonMention(pk=pk, signal=signal, role="witness")
                    for pk in reserved[PersonMention]
                ],
            )
        queries.append(len(asked))
    assert len(handed_out) == len(set(handed_out)) == 8
    if connection.vendor == "postgresql":
        # Five keys at the first call (two and three ahead): the second call takes two of the
        # three kept, the third needs two with one kept and takes five more.
        assert [q - 1 for q in queries] == [1, 0, 1, 0]  # minus each call's INSERT
    later = PersonMention.objects.create(signal=signal, role="suspect")
    assert later.pk > max(handed_out)


def test_deferred_statements_go_together_or_not_at_all(world: World) -> None:
    signal = make_signal(world.users["care_coordinator"])
    columns = ("signal", "indicator_id")
    before = SignalIndicator.objects.count()
    with (
        pytest.raises(RuntimeError),
        transaction.atomic(),
        connection.cursor() as cursor,
        deferred(cursor) as statements,
    ):
        insert_values(SignalIndicator, columns, [(signal.pk, "x.one")], cursor=statements)
        raise RuntimeError("the block fails before anything is sent")
    assert SignalIndicator.objects.count() == before

    with (
        CaptureQueriesContext(connection) as queries,
        transaction.atomic(),
        connection.cursor() as cursor,
        deferred(cursor) as statements,
    ):
        insert_values(SignalIndicator, columns, [(signal.pk, "x.one")], cursor=statements)
        insert_values(SignalIndicator, columns, [(signal.pk, "x.two")], cursor=statements)
        assert SignalIndicator.objects.count() == before  # nothing sent yet
        with pytest.raises(ValueError, match="cannot return ids"):
            insert_values(
                PersonMention,
                PERSON_COLUMNS,
                [(signal.pk, "witness", "", "", "", "", date(2000, 1, 1), "", "", "", "", [])],
                returning_ids=True,
                cursor=statements,
            )
    inserts = [q for q in queries if "INSERT" in described(q["sql"])]
    assert len(inserts) == (1 if connection.vendor == "postgresql" else 2)
    assert set(
        SignalIndicator.objects.filter(indicator_id__startswith="x.").values_list(
            "indicator_id", flat=True
        )
    ) == {"x.one", "x.two"}


AWKWARD = "tab\there, new\nline, back\\slash, quote ' and \" , NUL-free ünïcode, \\N, ;"


def test_many_rows_keep_every_value_as_the_orm_stores_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many rows at once take another path on PostgreSQL (COPY without ids to return, UNNEST
    with them): text with tabs, newlines and backslashes, JSON, dates, NULLs and the order of
    returned ids come out as one row at a time would write them."""
    monkeypatch.setattr(rows_module, "MANY_ROWS", 2)
    signal = make_signal(world.users["care_coordinator"])
    at = datetime(2026, 11, 29, 9, 30, tzinfo=UTC)
    rows = [
        (signal.pk, "witness", AWKWARD, "", "", "", date(2000, 1, 1), "", "", "", "", ["nl"]),
        (signal.pk, "suspect", "", AWKWARD, "", "", None, "", "", "", "", []),
        (signal.pk, "other", "Ioana", "Popescu", "", "", date(1999, 2, 3), "", "", "", "", []),
    ]
    with transaction.atomic():
        ids = insert_values(PersonMention, PERSON_COLUMNS, rows, returning_ids=True)
    assert len(ids) == 3
    stored = {m.pk: m for m in PersonMention.objects.filter(pk__in=ids)}
    for pk, row in zip(ids, rows, strict=True):
        mention = stored[pk]
        assert [getattr(mention, name) for name in PERSON_COLUMNS[1:]] == list(row[1:])
    with transaction.atomic(), connection.cursor() as cursor, deferred(cursor) as statements:
        insert_values(
            TriageRecord,
            TRIAGE_COLUMNS,
            [
                (
                    signal.pk,
                    TriageRecord.Kind.RETRIAGE,
                    "7",
                    1.5,
                    "discuss",
                    {"t": AWKWARD},
                    at,
                    None,
                ),
                (signal.pk, TriageRecord.Kind.RETRIAGE, "8", 0.0, "monitor", [], at, None),
            ],
            cursor=statements,
        )
    records = list(
        TriageRecord.objects.filter(signal=signal, kind="retriage").order_by("model_version")
    )
    assert [(r.model_version, r.score, r.band, r.result, r.created_at) for r in records] == [
        ("7", 1.5, "discuss", {"t": AWKWARD}, at),
        ("8", 0.0, "monitor", [], at),
    ]


PERCENT = "100% sure, %s and %% and %(name)s stay as typed"


def test_a_deferred_block_writes_its_values_in_as_the_orm_stores_them(world: World) -> None:
    """On PostgreSQL a block goes as one text with the values written in as literals: text
    with quotes, backslashes and percent signs, JSON, dates, times and NULLs arrive as the
    ORM would store them, whatever the statements' placeholders."""
    signal = make_signal(world.users["care_coordinator"])
    at = datetime(2026, 11, 29, 9, 30, tzinfo=UTC)
    texts = (AWKWARD, PERCENT)
    with (
        CaptureQueriesContext(connection) as queries,
        transaction.atomic(),
        connection.cursor() as cursor,
        deferred(cursor) as statements,
    ):
        insert_values(
            PersonMention,
            PERSON_COLUMNS,
            [
                (
                    signal.pk,
                    "witness",
                    AWKWARD,
                    PERCENT,
                    "",
                    "",
                    date(2000, 1, 1),
                    "",
                    "",
                    "",
                    "",
                    ["nl"],
                ),
                (signal.pk, "suspect", PERCENT, "", "", "", None, "", "", "", "", []),
            ],
            cursor=statements,
        )
        insert_values(
            TriageRecord,
            TRIAGE_COLUMNS,
            [(signal.pk, TriageRecord.Kind.RETRIAGE, "9", 2.5, "discuss", {"t": texts}, at, None)],
            cursor=statements,
        )
    assert len([q for q in queries if "INSERT" in described(q["sql"])]) == (
        1 if connection.vendor == "postgresql" else 2
    )
    mentions = PersonMention.objects.filter(signal=signal).order_by("pk")
    assert [(m.role, m.given_names, m.family_name, m.date_of_birth, m.languages) for m in mentions][
        -2:
    ] == [
        ("witness", AWKWARD, PERCENT, date(2000, 1, 1), ["nl"]),
        ("suspect", PERCENT, "", None, []),
    ]
    record = TriageRecord.objects.get(signal=signal, model_version="9")
    assert (record.score, record.result, record.created_at) == (2.5, {"t": list(texts)}, at)


def test_placeholders_are_split_once_with_percent_signs_read_as_sql_does() -> None:
    assert rows_module._pieces("SELECT %s, '%%s', '100%%' WHERE x = %s") == (
        b"SELECT ",
        b", '%s', '100%' WHERE x = ",
        b"",
    )
    with pytest.raises(ValueError, match="only %s and %%"):
        rows_module._pieces("SELECT %d")


def test_a_signal_its_audit_entry_and_its_job_are_sent_together(world: World) -> None:
    """Intake's hot path: the signal's rows, the audit entry that records them (with the
    chain's new head) and the background job its mentions wait for go to PostgreSQL as one
    text, after the keys are reserved and the chain's head is locked; elsewhere one by one.
    Nothing changes in what is stored: the chain verifies and the job names the signal."""
    from django_tasks_db.models import DBTaskResult

    from schakel.audit.models import AuditEntry
    from schakel.audit.services import verify

    with CaptureQueriesContext(connection) as queries:
        signal = make_signal(world.users["care_coordinator"])
    sent = [described(q["sql"]) for q in queries]
    writes = [sql for sql in sent if sql.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    if connection.vendor == "postgresql":
        assert len(writes) == 1
        assert all(
            table in writes[0]
            for table in (
                '"signals_signal"',
                '"audit_auditentry"',
                '"audit_audithead"',
                "dbtaskresult",
            )
        )
    else:
        assert any("dbtaskresult" in sql for sql in writes)
    entry = AuditEntry.objects.filter(object_type="signals.signal").latest("position")
    assert entry.object_ids == [signal.pk] and entry.action == "create"
    job = DBTaskResult.objects.filter(task_path__endswith="resolve_signal_mentions").latest(
        "enqueued_at"
    )
    assert job.args_kwargs["args"] == [[signal.pk]]
    assert verify().ok


def test_a_batch_of_several_purposes_chains_its_audit_entries_in_one_block(
    world: World,
) -> None:
    """One audit entry per purpose, all held in the batch's block: each chains from the one
    before it (not from the head the database has until the block is sent)."""
    from schakel.audit.models import AuditEntry
    from schakel.audit.services import verify
    from schakel.signals.intake import validate_signal
    from schakel.signals.tests.factories import signal_input
    from schakel.signals.writer import ToWrite, write_signals

    user = world.users["care_coordinator"]
    assert user.organisation is not None
    items = [
        ToWrite(
            validate_signal(signal_input(purpose=purpose), owner=user.organisation, channel="api")
        )
        for purpose in ("signal_table_assessment", "care_referral", "signal_table_assessment")
    ]
    before = AuditEntry.objects.count()
    written = write_signals(items, submitted_by=user, channel="api")
    entries = list(AuditEntry.objects.order_by("position")[before:])
    assert [(e.purpose, sorted(e.object_ids)) for e in entries] == [
        ("care_referral", [written[1].pk]),
        ("signal_table_assessment", sorted([written[0].pk, written[2].pk])),
    ]
    assert entries[1].prev_hmac == entries[0].hmac
    assert verify().ok


def _prepared_on_server() -> dict[str, tuple[str, int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, statement, generic_plans FROM pg_prepared_statements")
        return {name: (statement, generic) for name, statement, generic in cursor.fetchall()}


def test_hot_statements_are_prepared_once_per_connection_and_then_planned_no_more(
    world: World,
) -> None:
    """On PostgreSQL a statement of this module is prepared the first time a connection
    runs it and executed by name after that: the server parses it once, and after a few
    runs stops planning it (a generic plan). The query log shows one statement per
    round trip either way. Elsewhere the statement goes as it is."""
    with CaptureQueriesContext(connection) as queries:
        for _ in range(7):
            assert GROUP_BY_NAME.fetch([world.table_b.name]) == [(world.table_b,)]
    assert len(queries) == 7
    sent = queries[0]["sql"]
    if connection.vendor != "postgresql":
        assert sent.startswith("SELECT") and not _names_in(sent)
        return
    (name,) = _names_in(sent)
    assert name.startswith("schakel_select_partners_sharinggroup_")
    assert all(q["sql"] == f"EXECUTE {name}('{world.table_b.name}');\n" for q in queries)
    statement, generic_plans = _prepared_on_server()[name]
    assert '"partners_sharinggroup"."name" = $1' in statement
    assert generic_plans >= 1
    assert described(sent).startswith('SELECT "partners_sharinggroup"."id"')


@pytest.mark.django_db(transaction=True)
def test_a_prepared_statement_outlives_the_transaction_that_prepared_it(world: World) -> None:
    """``PREPARE`` belongs to the connection, not to the transaction: a statement first
    prepared in a transaction that is rolled back is still there for the next one (neither
    "does not exist" nor "already exists"), and a new connection prepares it again."""
    signal = make_signal(world.users["care_coordinator"])
    columns = ("signal", "indicator_id")
    odd = ("x.first", "x.second", "x.third")  # three rows: a statement no other test sends
    for attempt in range(2):
        with pytest.raises(RuntimeError), transaction.atomic():
            insert_values(SignalIndicator, columns, [(signal.pk, i) for i in odd])
            assert SignalIndicator.objects.filter(signal=signal, indicator_id__in=odd).count() == 3
            raise RuntimeError(f"rolled back, attempt {attempt}")
    assert not SignalIndicator.objects.filter(signal=signal, indicator_id__in=odd).exists()
    insert_values(SignalIndicator, columns, [(signal.pk, i) for i in odd])
    assert SignalIndicator.objects.filter(signal=signal, indicator_id__in=odd).count() == 3
    if connection.vendor == "postgresql":
        names = [n for n in _prepared_on_server() if n.startswith("schakel_insert_signals_si")]
        assert names
        connection.close()
        assert not [n for n in _prepared_on_server() if n in names]
        SignalIndicator.objects.filter(signal=signal).delete()
        insert_values(SignalIndicator, columns, [(signal.pk, i) for i in odd])
        assert SignalIndicator.objects.filter(signal=signal, indicator_id__in=odd).count() == 3


def test_a_prepared_insert_fails_as_the_plain_one_did(world: World) -> None:
    """A unique key broken by a prepared INSERT is Django's IntegrityError naming the
    constraint, as before (the idempotency keys rely on it), and the transaction writes
    nothing."""
    from django.db import IntegrityError

    from schakel.constraints import violates_unique
    from schakel.web.idempotency import _RECORD_COLUMNS
    from schakel.web.models import IdempotencyRecord

    user = world.users["care_coordinator"]
    at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    row = (user.pk, "the-key", "f" * 64, 0, {}, "", at, at)
    insert_values(IdempotencyRecord, _RECORD_COLUMNS, [row], returning_ids=True)
    with pytest.raises(IntegrityError) as failed, transaction.atomic():
        insert_values(IdempotencyRecord, _RECORD_COLUMNS, [row], returning_ids=True)
    assert violates_unique(failed.value, IdempotencyRecord, "idempotency_user_key_unique")
    assert IdempotencyRecord.objects.filter(user=user, key="the-key").count() == 1


def test_statements_go_as_text_when_preparing_is_off_or_enough_are_prepared(
    world: World, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``SCHAKEL_DATABASE_PREPARED = false`` (a pooler in transaction mode) sends every
    statement as text, as does a connection that holds ``MAX_PREPARED`` statements."""
    lookup = Select((SharingGroup,), "FROM {SharingGroup} WHERE {SharingGroup.id} = %s")
    settings.SCHAKEL_DATABASE_PREPARED = False
    with CaptureQueriesContext(connection) as queries:
        assert lookup.fetch([world.table_a.pk]) == [(world.table_a,)]
    assert queries[0]["sql"].startswith("SELECT") and not _names_in(queries[0]["sql"])
    if connection.vendor != "postgresql":
        return
    assert not [n for n in _prepared_on_server() if _statement_of(n, lookup)]
    settings.SCHAKEL_DATABASE_PREPARED = True
    already = len(_prepared_on_server())
    monkeypatch.setattr(rows_module, "MAX_PREPARED", already)
    with CaptureQueriesContext(connection) as queries:
        assert lookup.fetch([world.table_a.pk]) == [(world.table_a,)]
    assert queries[0]["sql"].startswith("SELECT")
    monkeypatch.setattr(rows_module, "MAX_PREPARED", already + 1)
    with CaptureQueriesContext(connection) as queries:
        assert lookup.fetch([world.table_a.pk]) == [(world.table_a,)]
    assert queries[0]["sql"].startswith("EXECUTE schakel_select_partners_sharinggroup_")
    assert len(_prepared_on_server()) == already + 1


def test_a_statement_with_many_values_goes_as_text(world: World) -> None:
    """A long list spread by ``IN %s`` has another text for every length: it is sent as it
    is, not prepared once per length."""
    many = (*range(-rows_module.PREPARE_MAX_PARAMETERS, 0), world.police_a.pk)
    few = (world.police_a.pk,)
    with CaptureQueriesContext(connection) as queries:
        assert [o for o, _ in ORGANISATION_WITH_REGION.fetch([many])] == [world.police_a]
        assert [o for o, _ in ORGANISATION_WITH_REGION.fetch([few])] == [world.police_a]
    long, short = (q["sql"] for q in queries)
    assert long.startswith("SELECT") and not _names_in(long)
    assert bool(_names_in(short)) == (connection.vendor == "postgresql")


def _names_in(sql: str) -> list[str]:
    return re.findall(r"EXECUTE (schakel_\w+)", sql)


def _statement_of(name: str, select: Select) -> bool:
    return rows_module._SQL_BY_NAME.get(name, "") == select.built_for(connection).sql
