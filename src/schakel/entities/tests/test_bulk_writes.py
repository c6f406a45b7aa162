"""``schakel.bulk`` as the batch linkage run uses it: COPY (or executemany on SQLite) of many
suggestions with their explanations, and one-column updates of many rows, read back through
the ORM with the same values and types."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError

from schakel.bulk import copy_text, copy_values, update_column
from schakel.entities.linking import SUGGESTION_COLUMNS
from schakel.entities.models import Entity, Judgement, LinkageRun, Mention, Suggestion
from schakel.entities.services import resolve_signals
from schakel.signals.intake import PersonInput
from schakel.signals.tests.factories import make_signal
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db


def _mentions(world: World, count: int) -> list[Mention]:
    signal = make_signal(
        world.users["care_coordinator"],
        groups=[world.table_a],
        persons=[
            PersonInput(role="witness", given_names=f"N{i}", family_name="Test")
            for i in range(count)
        ],
        companies=[],
        addresses=[],
        ibans=[],
    )
    resolve_signals([signal.pk])
    return list(Mention.objects.filter(signal=signal).order_by("pk"))


def test_copied_rows_read_back_as_the_orm_stores_them(world: World) -> None:
    a, b, c = _mentions(world, 3)
    run = LinkageRun.objects.create(
        kind=LinkageRun.Kind.BATCH, schema="Person", threshold=0.99, review_threshold=0.5
    )
    at = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    explanation = '[{"comparison": "name", "label": "exact \\"quoted\\"", "weight": 4.25}]'
    written = copy_values(
        Suggestion,
        SUGGESTION_COLUMNS,
        iter(
            [
                (a.pk, b.pk, run.pk, 0.995, 7.5, True, explanation, False, 0.0, at),
                (b.pk, c.pk, run.pk, 0.4, -1.25, False, "[]", True, 0.0, at),
            ]
        ),
    )
    assert written == 2
    first, second = Suggestion.objects.filter(run=run).order_by("probability")
    assert (second.left_id, second.right_id, second.links, second.is_open) == (
        a.pk,
        b.pk,
        True,
        False,
    )
    assert second.explanation == [{"comparison": "name", "label": 'exact "quoted"', "weight": 4.25}]
    assert second.created_at == at and second.match_weight == 7.5
    assert first.explanation == [] and first.is_open and first.probability == 0.4


def test_update_column_sets_integers_and_floats_of_many_rows(world: World) -> None:
    mentions = _mentions(world, 4)
    target = Entity.objects.create(schema="Person", caption="kept")
    update_column(Mention, "entity_id", [(target.pk, m.pk) for m in mentions[:3]])
    ids = [m.pk for m in mentions]
    after = dict(Mention.objects.filter(pk__in=ids).values_list("pk", "entity"))
    assert [after[m.pk] for m in mentions[:3]] == [target.pk] * 3
    assert after[mentions[3].pk] == mentions[3].entity_id != target.pk

    run = LinkageRun.objects.create(
        kind=LinkageRun.Kind.BATCH, schema="Person", threshold=0.99, review_threshold=0.5
    )
    suggestion = Suggestion.objects.create(
        left=mentions[0], right=mentions[1], run=run, probability=0.5, match_weight=0
    )
    update_column(Suggestion, "priority", [(0.125, suggestion.pk)], kind="float")
    suggestion.refresh_from_db()
    assert suggestion.priority == 0.125
    update_column(Suggestion, "priority", [(1.5e-07, suggestion.pk)], kind="float")
    suggestion.refresh_from_db()
    assert suggestion.priority == 1.5e-07


def test_update_column_works_in_chunks_and_sets_nulls(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy

    from schakel import bulk

    monkeypatch.setattr(bulk, "UPDATE_CHUNK", 2)
    mentions = _mentions(world, 5)
    target = Entity.objects.create(schema="Person", caption="kept")
    # numpy's integers as well as Python's, in chunks of two statements' worth.
    rows = [(numpy.int64(target.pk), m.pk) for m in mentions[:3]] + [(None, mentions[3].pk)]
    update_column(Mention, "entity_id", rows)
    after = dict(
        Mention.objects.filter(pk__in=[m.pk for m in mentions]).values_list("pk", "entity")
    )
    assert [after[m.pk] for m in mentions] == [target.pk] * 3 + [None, mentions[4].entity_id]


def test_a_name_that_is_no_column_is_refused() -> None:
    with pytest.raises(ValueError, match="not a column"):
        update_column(Entity, "mentions", [(1, 1)])


def test_deleting_a_signal_or_a_run_deletes_their_pairs(world: World) -> None:
    # The pairs have no foreign-key constraints in the database (a batch run writes
    # millions); Django's cascade must still delete them with their mentions and runs.
    a, b, c = _mentions(world, 3)
    (d,) = _mentions(world, 1)
    run = LinkageRun.objects.create(
        kind=LinkageRun.Kind.BATCH, schema="Person", threshold=0.9, review_threshold=0.5
    )
    other = LinkageRun.objects.create(
        kind=LinkageRun.Kind.BATCH, schema="Person", threshold=0.9, review_threshold=0.5
    )
    at = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    copy_values(
        Suggestion,
        SUGGESTION_COLUMNS,
        [
            (a.pk, d.pk, run.pk, 0.95, 5.0, True, "[]", False, 0.0, at),
            (b.pk, c.pk, run.pk, 0.6, 1.0, False, "[]", True, 0.3, at),
            (b.pk, c.pk, other.pk, 0.6, 1.0, False, "[]", True, 0.3, at),
        ],
    )
    d.signal.delete()
    assert list(Suggestion.objects.values_list("left_id", "right_id", "run_id")) == [
        (b.pk, c.pk, run.pk),
        (b.pk, c.pk, other.pk),
    ]
    kept = Suggestion.objects.get(run=other)
    judgement = Judgement.objects.create(
        left=b,
        right=c,
        verdict=Judgement.Verdict.UNSURE,
        reason="Ask the partner.",
        judged_by=world.users["police_analyst"],
        suggestion=kept,
    )
    other.delete()
    assert list(Suggestion.objects.values_list("run_id", flat=True)) == [run.pk]
    # The judgement stays; the pair it named is gone (SET_NULL, by Django: no constraint).
    judgement.refresh_from_db()
    assert judgement.suggestion_id is None


def test_copy_text_writes_lines_in_copy_format_or_refuses_without_postgresql(
    world: World,
) -> None:
    from django.db import connection

    a, b = _mentions(world, 2)
    run = LinkageRun.objects.create(
        kind=LinkageRun.Kind.BATCH, schema="Person", threshold=0.9, review_threshold=0.5
    )
    line = (
        f"{a.pk}\t{b.pk}\t{run.pk}\t0.75\t2.5\tf\t[[1,2.5]]\tt\t0.125\t2026-11-30T10:00:00+00:00\n"
    )
    if connection.vendor != "postgresql":
        with pytest.raises(ValueError, match="PostgreSQL"):
            copy_text(Suggestion, SUGGESTION_COLUMNS, [line])
        return
    copy_text(Suggestion, SUGGESTION_COLUMNS, [line, line.replace("0.75", "0.5")])
    stored = list(Suggestion.objects.filter(run=run).order_by("probability"))
    assert [s.probability for s in stored] == [0.5, 0.75]
    assert stored[0].explanation == [[1, 2.5]] and stored[0].is_open and not stored[0].links
    assert stored[0].created_at == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def test_a_copy_that_breaks_a_rule_raises_djangos_error_and_writes_nothing(
    world: World,
) -> None:
    from django.db import connection, transaction

    (a,) = _mentions(world, 1)
    run = LinkageRun.objects.create(
        kind=LinkageRun.Kind.BATCH, schema="Person", threshold=0.9, review_threshold=0.5
    )
    at = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    good = (a.pk, a.pk, run.pk, 0.75, 2.5, False, "[]", True, 0.0, at)
    # A probability of NULL: the column is NOT NULL.
    bad = (a.pk, a.pk, run.pk, None, 2.5, False, "[]", True, 0.0, at)
    with pytest.raises(IntegrityError), transaction.atomic():
        copy_values(Suggestion, SUGGESTION_COLUMNS, iter([good, bad]))
    if connection.vendor == "postgresql":
        line = f"{a.pk}\t{a.pk}\t{run.pk}\t\\N\t2.5\tf\t[]\tt\t0\t2026-11-30T10:00:00+00:00\n"
        with pytest.raises(IntegrityError), transaction.atomic():
            copy_text(Suggestion, SUGGESTION_COLUMNS, [line])
    assert not Suggestion.objects.filter(run=run).exists()


def test_an_explanation_is_json_kept_as_text(world: World) -> None:
    from django.db import connection

    a, b = _mentions(world, 2)
    run = LinkageRun.objects.create(
        kind=LinkageRun.Kind.BATCH, schema="Person", threshold=0.9, review_threshold=0.5
    )
    made = Suggestion.objects.create(
        left=a, right=b, run=run, probability=0.7, match_weight=1.0, explanation=[[1, 2.5]]
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT explanation FROM entities_suggestion WHERE id = %s", [made.pk])
        (raw,) = cursor.fetchone()
    assert raw == "[[1,2.5]]"  # as the application wrote it, not re-encoded by the database
    assert Suggestion.objects.values_list("explanation", flat=True).get(pk=made.pk) == [[1, 2.5]]
    made.refresh_from_db()
    assert made.explanation == [[1, 2.5]]


def test_an_entity_with_mentions_or_merged_into_cannot_be_deleted(world: World) -> None:
    # A mention's entity and an entity's merged_into have no foreign-key constraints in the
    # database (a first batch run over a million mentions sets 800,000 of each); Django's
    # PROTECT must still refuse deleting an entity they point at.
    from django.db.models import ProtectedError

    a, b = _mentions(world, 2)
    kept, gone = Entity.objects.get(pk=a.entity_id), Entity.objects.get(pk=b.entity_id)
    with pytest.raises(ProtectedError):
        kept.delete()
    update_column(Mention, "entity_id", [(kept.pk, b.pk)])
    update_column(Entity, "merged_into_id", [(kept.pk, gone.pk)])
    # No mention holds it any more, but an entity was merged into it.
    Mention.objects.filter(pk__in=[a.pk, b.pk]).update(entity=None)
    with pytest.raises(ProtectedError):
        kept.delete()
    assert Entity.objects.filter(pk=kept.pk).exists()
    # An entity nothing points at any more may go.
    gone.delete()
    assert not Entity.objects.filter(pk=gone.pk).exists()
