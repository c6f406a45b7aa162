"""The index of the signals awaiting a table, and on PostgreSQL the statistics that let the
planner use it (migration signals 0008; why in docs/benchmarks.md)."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


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
