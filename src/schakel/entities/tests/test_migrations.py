"""Migrations of the entities app that move data, run on a database of their own: migrated to
the state before them, given rows as that state held them, then migrated to the end."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor

BEFORE_APART = [("entities", "0015_linkage_columns_unchecked")]


@pytest.fixture
def scratch(tmp_path: Path, django_db_blocker: Any) -> Iterator[BaseDatabaseWrapper]:
    """An empty database of the test database's kind, in place of the default one while the
    test runs (data migrations read through the default connection)."""
    settings = connections.databases["default"]
    kept = settings["NAME"]
    if settings["ENGINE"].endswith("sqlite3"):
        name, made = str(tmp_path / "scratch.sqlite3"), False
    else:
        name, made = f"scratch_{uuid.uuid4().hex[:12]}", True
    with django_db_blocker.unblock():
        if made:
            _server(settings, f'CREATE DATABASE "{name}"')
        connections["default"].close()
        settings["NAME"] = name
        try:
            yield connections["default"]
        finally:
            connections["default"].close()
            settings["NAME"] = kept
            if made:
                _server(settings, f'DROP DATABASE "{name}"')


def _server(settings: dict[str, Any], statement: str) -> None:
    with psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as server:
        server.execute(statement)


def _migrate(connection: BaseDatabaseWrapper, targets: list[tuple[str, str]] | None) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    connection.close()


def test_a_mentions_entity_moves_beside_its_record_with_every_value_and_key_kept(
    scratch: BaseDatabaseWrapper,
) -> None:
    _migrate(scratch, BEFORE_APART)
    original = {"given_names": "Ioana", "family_name": "Popescu"}
    properties = {"name": ["Ioana Popescu"], "birthDate": ["1990-04-01"]}
    flags = [{"property": "phone", "value": "06-x", "problem": "not a phone number"}]
    # The rows as that state held them, made with its models.
    state = MigrationExecutor(scratch).loader.project_state(BEFORE_APART).apps
    partner = state.get_model("partners", "Organisation").objects.create(
        name="Politie Zeeland-West-Brabant", sector="police"
    )
    signal_model = state.get_model("signals", "Signal")
    first, second = (
        signal_model.objects.create(
            reference=f"SIG-{n}",
            channel="api",
            tlp="AMBER",
            purpose="signal_table_assessment",
            band="discuss",
            owner_organisation=partner,
        )
        for n in (1, 2)
    )
    with scratch.cursor() as cursor:
        cursor.execute(
            "INSERT INTO entities_entity (id, schema, caption, created_at, merged_into_id) "
            "VALUES (7, 'Person', 'Ioana Popescu', '2026-11-30 10:00:00+00', NULL), "
            "(8, 'Person', 'I. Popescu', '2026-11-30 10:00:00+00', 7)"
        )
        cursor.execute(
            "INSERT INTO entities_mention (id, entity_id, schema, signal_id, organisation_id, "
            "stated_at, source, source_id, role, category, original, properties, flags, "
            "caption) VALUES "
            "(41, 7, 'Person', %s, %s, '2026-11-30 10:00:00+00', 'person', 11, "
            "'possible_victim', 'care', %s, %s, %s, 'Ioana Popescu'), "
            "(42, 7, 'Person', %s, %s, '2026-11-30 11:00:00+00', 'person', 12, 'suspect', "
            "'justice', '{}', '{}', '[]', '')",
            [
                first.pk,
                partner.pk,
                json.dumps(original),
                json.dumps(properties),
                json.dumps(flags),
                second.pk,
                partner.pk,
            ],
        )
        cursor.execute(
            "INSERT INTO entities_blockingkey (mention_id, kind, value) "
            "VALUES (41, 'name_dob', 'ioana popescu 1990')"
        )
    scratch.close()

    _migrate(scratch, None)

    with scratch.cursor() as cursor:
        cursor.execute(
            "SELECT m.id, m.entity_id, r.schema, r.signal_id, r.organisation_id, r.source, "
            "r.source_id, r.role, r.category, r.original, r.properties, r.flags, r.caption "
            "FROM entities_mention m JOIN entities_mentionrecord r ON r.id = m.id ORDER BY m.id"
        )
        rows = cursor.fetchall()
        cursor.execute("SELECT mention_id FROM entities_blockingkey")
        keys = [row[0] for row in cursor.fetchall()]
        # A new record continues after the ids the mentions had.
        cursor.execute(
            "INSERT INTO entities_mentionrecord (schema, signal_id, organisation_id, stated_at, "
            "source, source_id, role, category, original, properties, flags, caption) VALUES "
            "('Person', %s, %s, '2026-11-30 12:00:00+00', 'person', 13, '', 'general', "
            "'{}', '{}', '[]', '')",
            [first.pk, partner.pk],
        )
        cursor.execute("SELECT max(id) FROM entities_mentionrecord")
        (newest,) = cursor.fetchone()

    def loaded(value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    assert [(*row[:9], *map(loaded, row[9:12]), row[12]) for row in rows] == [
        (
            41,
            7,
            "Person",
            first.pk,
            partner.pk,
            "person",
            11,
            "possible_victim",
            "care",
            original,
            properties,
            flags,
            "Ioana Popescu",
        ),
        (
            42,
            7,
            "Person",
            second.pk,
            partner.pk,
            "person",
            12,
            "suspect",
            "justice",
            {},
            {},
            [],
            "",
        ),
    ]
    assert keys == [41]
    assert newest == 43
    # The mention table holds its id and entity, nothing more.
    with scratch.cursor() as cursor:
        columns = {
            c.name for c in scratch.introspection.get_table_description(cursor, "entities_mention")
        }
    assert columns == {"id", "entity_id"}
