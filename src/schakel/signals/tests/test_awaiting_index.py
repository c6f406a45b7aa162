"""The index of the signals awaiting a table, and on PostgreSQL the statistics that let the
planner use it (migration signals 0008; why in docs/benchmarks.md)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection

from schakel.signaltable.tests.helpers import distinct_signal
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("schakel.signals.migrations.0008_awaiting_table")


def _last_analyze() -> object:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # not the transaction's first read
        cursor.execute(
            "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'signals_signal'"
        )
        return cursor.fetchone()[0]


def test_the_signals_awaiting_a_table_have_an_index_the_planner_can_estimate() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexdef FROM pg_indexes "
                "WHERE tablename = 'signals_signal' AND indexname = 'signal_awaiting_table'"
            )
            (definition,) = cursor.fetchone()
            cursor.execute(
                "SELECT s.stxkind, array_agg(a.attname ORDER BY a.attname) "
                "FROM pg_statistic_ext s JOIN pg_attribute a "
                "ON a.attrelid = s.stxrelid AND a.attnum = ANY(s.stxkeys) "
                "WHERE s.stxname = 'signal_outcome_band' GROUP BY s.stxkind"
            )
            assert cursor.fetchall() == [(["m"], ["band", "retention_outcome"])]
        else:
            cursor.execute(
                "SELECT sql FROM sqlite_master "
                "WHERE type = 'index' AND name = 'signal_awaiting_table'"
            )
            (definition,) = cursor.fetchone()
    assert "(received_at" in definition.replace('"', "")
    for condition in ("retention_outcome", "pending", "discuss", "urgent", "anonymised_at"):
        assert condition in definition


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's statistics; SQLite has none"
)
def test_the_migration_analyses_the_signals_only_when_there_are_some(world: World) -> None:
    # The test database was migrated empty: analysed then, its statistics would say "empty"
    # until the next ANALYZE, and intake's statements would be planned for empty tables.
    assert _last_analyze() is None
    distinct_signal(world.users["care_coordinator"], groups=[world.table_a])
    with connection.schema_editor() as editor:
        MIGRATION.create_statistics(apps, editor)
    assert _last_analyze() is not None
