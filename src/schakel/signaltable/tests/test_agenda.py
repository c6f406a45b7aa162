"""The proposed agenda: which signals are on it, in which bundles, in which order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from schakel.signals import retention
from schakel.signals.models import Signal
from schakel.signaltable.agenda import (
    make_agenda,
    present_bundles,
    propose_agenda,
    proposed_signals,
)
from schakel.signaltable.bundling import Link, bundle_signals
from schakel.signaltable.models import DecisionSignal
from schakel.signaltable.services import create_meeting, open_signals_of, record_decision
from schakel.signaltable.tests.helpers import URGENT_INDICATORS, distinct_signal, street
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    with time_machine.travel("2026-11-29 10:00", tick=True):
        yield


def test_the_agenda_holds_only_discuss_and_urgent_signals_shared_with_the_table(
    world: World,
) -> None:
    carla = world.users["care_coordinator"]
    discuss = distinct_signal(carla, groups=[world.table_a])
    urgent = distinct_signal(carla, groups=[world.table_a], indicator_ids=URGENT_INDICATORS)
    no_action = distinct_signal(carla, groups=[world.table_a], indicator_ids=[])
    not_shared = distinct_signal(carla, groups=[])
    assert (discuss.band, urgent.band, no_action.band) == ("discuss", "urgent", "no_action")
    assert not_shared.band == "discuss"
    assert set(proposed_signals(world.table_a, carla)) == {discuss, urgent}
    assert not proposed_signals(world.table_b, world.users["outsider"]).exists()


def test_a_signal_anonymised_while_it_waited_for_a_decision_leaves_the_agenda(
    world: World,
) -> None:
    carla = world.users["care_coordinator"]
    waiting = distinct_signal(carla, groups=[world.table_a])
    expired = distinct_signal(carla, groups=[world.table_a])
    Signal.objects.filter(pk=expired.pk).update(retention_until=date(2026, 1, 1))
    assert retention.apply_retention(dry_run=False).anonymised == [expired.pk]
    assert set(proposed_signals(world.table_a, carla)) == {waiting}
    assert list(open_signals_of(carla)) == [waiting]


def test_a_decided_signal_leaves_the_agenda_however_its_decision_was_written(
    world: World,
) -> None:
    carla = world.users["care_coordinator"]
    waiting = distinct_signal(carla, groups=[world.table_a])
    decided = distinct_signal(carla, groups=[world.table_a])
    # A decision row without its retention outcome (not as the service writes it) counts too.
    linked_only = distinct_signal(carla, groups=[world.table_a])
    meeting = create_meeting(
        world.table_a, starts_at=timezone.now() + timedelta(days=1), actor=carla
    )
    assert set(proposed_signals(world.table_a, carla)) == {waiting, decided, linked_only}
    record_decision(meeting, [decided.pk], outcome="monitor", rationale="Volgen.", actor=carla)
    decision = record_decision(
        meeting, [waiting.pk], outcome="no_action", rationale="Niets.", actor=carla
    )
    DecisionSignal.objects.filter(decision=decision).update(signal=linked_only)
    decided.refresh_from_db()
    linked_only.refresh_from_db()
    assert (decided.retention_outcome, linked_only.retention_outcome) == ("monitor", "pending")
    Signal.objects.filter(pk=waiting.pk).update(retention_outcome="pending")

    assert set(proposed_signals(world.table_a, carla)) == {waiting}
    assert propose_agenda(world.table_a, carla).signal_count == 1
    assert list(open_signals_of(carla)) == [waiting]


def test_urgent_bundles_come_first_then_larger_ones_then_the_oldest(world: World) -> None:
    carla = world.users["care_coordinator"]
    groups = [world.table_a]
    lone_old = distinct_signal(carla, groups=groups)
    pair = [distinct_signal(carla, groups=groups, plates=["12-ABC-3"]) for _ in range(2)]
    lone_new = distinct_signal(carla, groups=groups)
    urgent = distinct_signal(carla, groups=groups, indicator_ids=URGENT_INDICATORS)
    agenda = propose_agenda(world.table_a, carla)
    assert [b.signal_ids for b in agenda.bundles] == [
        [urgent.pk],
        [pair[0].pk, pair[1].pk],
        [lone_old.pk],
        [lone_new.pk],
    ]
    assert agenda.signal_count == 5
    assert [link.kind for link in agenda.bundles[1].links] == ["plate"]


def test_a_bundles_signals_are_listed_in_the_order_they_were_received(world: World) -> None:
    carla = world.users["care_coordinator"]
    signals = [
        distinct_signal(carla, groups=[world.table_a], plates=["34-XYZ-5"]) for _ in range(3)
    ]
    # Received in another order than they were numbered (signals brought in with the date a
    # partner took them in, as the demo's are).
    now = timezone.now()
    for days, signal in zip((3, 9, 1), signals, strict=True):
        Signal.objects.filter(pk=signal.pk).update(received_at=now - timedelta(days=days))
    agenda = propose_agenda(world.table_a, carla)
    assert [b.signal_ids for b in agenda.bundles] == [[signals[1].pk, signals[0].pk, signals[2].pk]]


def test_each_viewer_gets_the_agenda_of_the_signals_they_may_see(world: World) -> None:
    carla = world.users["care_coordinator"]
    amber = distinct_signal(carla, groups=[world.table_a], addresses=[street("Haagweg")])
    green = distinct_signal(
        carla, groups=[world.table_a], tlp="GREEN", addresses=[street("Haagweg")]
    )
    # Civil society sees TLP:GREEN but not TLP:AMBER: the link through the AMBER signal, and
    # the signal itself, do not exist for the NGO worker.
    assert [b.signal_ids for b in propose_agenda(world.table_a, carla).bundles] == [
        [amber.pk, green.pk]
    ]
    ngo = propose_agenda(world.table_a, world.users["ngo_worker"])
    assert [(b.signal_ids, b.links) for b in ngo.bundles] == [([green.pk], [])]


def test_a_bundle_shows_the_union_of_what_the_viewer_may_see(world: World) -> None:
    carla = world.users["care_coordinator"]
    a = distinct_signal(carla, groups=[world.table_a], phones=["0612345678"])
    b = distinct_signal(
        carla,
        groups=[world.table_a],
        phones=["06 12 34 56 78"],
        forms_of_exploitation=["sexual"],
    )
    agenda = propose_agenda(world.table_a, carla)
    (view,) = present_bundles(carla, agenda.bundles)
    assert view.signal_ids == [a.pk, b.pk]
    assert [i.normalised for i in view.identifiers] == ["+31612345678"]  # once, not twice
    assert len(view.persons) == 2
    assert view.partners == [(world.municipality_a, 2)]
    assert view.forms_of_exploitation == ["labour", "sexual"]
    (link,) = view.links
    assert (link.signal_a, link.signal_b, link.value) == (a, b, "+31612345678")


def test_a_link_whose_value_is_hidden_in_either_signal_names_whom_to_contact(
    world: World,
) -> None:
    from schakel.signals.presenter import present
    from schakel.signaltable.agenda import bundle_view

    carla = world.users["care_coordinator"]
    a = distinct_signal(carla, groups=[world.table_a])
    b = distinct_signal(carla, groups=[world.table_a])
    police = world.users["police_analyst"]
    views = [present(police, a), present(police, b)]
    care = frozenset({"care"})
    general = frozenset({"general"})
    hidden, shown = bundle_view(
        views,
        [
            Link(a.pk, b.pk, "person", "Ioana Popescu", care, care),
            Link(a.pk, b.pk, "iban", "NL", general, general),
        ],
    ).links
    assert hidden.value is None and hidden.contacts == (world.municipality_a,)
    assert shown.value == "NL" and shown.contacts == ()


def test_a_page_holds_up_to_twenty_bundles_or_sixty_signals(world: World) -> None:
    from schakel.signaltable.agenda import MAX_SIGNALS, Agenda, agenda_page

    # A big bundle (70 signals) alone, then 25 single signals: pages of 1, 20 and 5 bundles.
    big = list(range(1, 71))
    singles = list(range(100, 125))
    agenda = Agenda(
        world.table_a,
        order=[1, *singles],
        members={1: big},
        links={},
        urgent=set(),
        signal_count=len(big) + len(singles),
    )
    pages = [agenda_page(agenda, n) for n in (1, 2, 3)]
    assert [len(p.bundles) for p in pages] == [1, 20, 5]
    assert len(pages[0].bundles[0].signal_ids) == 70 > MAX_SIGNALS
    assert [p.start_index for p in pages] == [1, 2, 22]
    assert pages[1].has_previous and pages[1].has_next and not pages[2].has_next
    assert agenda_page(agenda, "nonsense").number == 1
    assert agenda_page(agenda, 99).number == 3


def test_presenting_signals_with_relations_costs_the_same_queries_for_one_as_for_many(
    world: World,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from schakel.signals.presenter import present
    from schakel.signals.services import create_signal
    from schakel.signals.tests.factories import signal_input_with_ties
    from schakel.signaltable.agenda import signals_for_presenting

    ids = [
        create_signal(
            signal_input_with_ties(sharing_group_ids=[world.table_a.pk]),
            submitted_by=world.users["care_coordinator"],
            channel="api",
        ).pk
        for _ in range(4)
    ]
    viewer = world.users["care_coordinator"]

    def show(chosen: list[int]) -> int:
        with CaptureQueriesContext(connection) as queries:
            for signal in signals_for_presenting(chosen).values():
                view = present(viewer, signal)
                assert view.relations and view.payments
        return len(queries.captured_queries)

    show(ids[:1])  # the viewer and the policy are read once per process
    assert show(ids[:1]) == show(ids)


@st.composite
def _agenda_inputs(draw: st.DrawFn) -> tuple[dict[int, str], list[int], list[Link]]:
    ids = draw(st.lists(st.integers(1, 60), min_size=1, max_size=30, unique=True))
    bands = {pk: draw(st.sampled_from(["urgent", "discuss"])) for pk in ids}
    received = draw(st.permutations(ids))
    ends = st.sampled_from([*ids, 999])  # 999: a signal outside the agenda
    links = draw(st.lists(st.builds(lambda a, b: Link(a, b, "phone", "x"), ends, ends)))
    return bands, list(received), links


@given(_agenda_inputs())
@settings(max_examples=300, deadline=None)
def test_the_agenda_orders_bundles_as_its_definition_says(
    inputs: tuple[dict[int, str], list[int], list[Link]],
) -> None:
    """make_agenda against the plain definition: bundles are the connected signals; urgent
    bundles first, then larger ones, then those whose first signal came in earlier; a
    bundle's signals in the order they came in."""
    bands, received, links = inputs
    bundles = bundle_signals(bands, links)
    rank = {pk: index for index, pk in enumerate(received)}
    for bundle in bundles:
        bundle.sort(key=rank.__getitem__)
    expected = sorted(
        bundles,
        key=lambda b: (all(bands[pk] != "urgent" for pk in b), -len(b), rank[b[0]]),
    )
    agenda = make_agenda(None, bands, received, links)  # type: ignore[arg-type]
    assert [agenda.bundle(root).signal_ids for root in agenda.order] == expected
    assert agenda.signal_count == len(bands)
    for root in agenda.order:
        bundle = agenda.bundle(root)
        assert bundle.urgent == any(bands[pk] == "urgent" for pk in bundle.signal_ids)
        joined = {pk for link in bundle.links for pk in (link.signal_a, link.signal_b)}
        assert joined <= set(bundle.signal_ids)
