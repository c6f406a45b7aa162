"""Bundling: which signals the exact-key bundler links, and how links become bundles."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import time_machine

from schakel.signals.models import Signal
from schakel.signaltable.bundling import ExactKeyBundler, Link, bundle_signals
from schakel.signaltable.tests.helpers import distinct_signal, street, suspect, victim
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    with time_machine.travel("2026-11-29 10:00", tick=True):
        yield


def _links(*signals: Signal) -> list[Link]:
    return ExactKeyBundler().links([s.pk for s in signals])


def _pairs(links: list[Link]) -> set[tuple[int, int, str]]:
    return {(link.signal_a, link.signal_b, link.kind) for link in links}


def test_unconnected_signals_are_bundles_of_their_own(world: World) -> None:
    carla = world.users["care_coordinator"]
    a = distinct_signal(carla, groups=[world.table_a])
    b = distinct_signal(carla, groups=[world.table_a])
    assert _links(a, b) == []
    assert bundle_signals([a.pk, b.pk], []) == [[a.pk], [b.pk]]


def test_a_person_links_only_with_the_same_name_and_date_of_birth(world: World) -> None:
    carla = world.users["care_coordinator"]
    born = date(1999, 3, 4)
    a = distinct_signal(carla, groups=[world.table_a], persons=[victim("Ioana", "Popescu", born)])
    # The same person, typed differently: the normalised name key matches.
    b = distinct_signal(carla, groups=[world.table_a], persons=[victim("IOANA", "popescu", born)])
    other_birthday = distinct_signal(
        carla, groups=[world.table_a], persons=[victim("Ioana", "Popescu", date(1999, 3, 5))]
    )
    no_birthday = distinct_signal(
        carla, groups=[world.table_a], persons=[victim("Ioana", "Popescu", None)]
    )
    no_name = distinct_signal(
        carla, groups=[world.table_a], persons=[victim("", "", born, age_band="age_25_34")]
    )
    also_no_name = distinct_signal(
        carla, groups=[world.table_a], persons=[victim("", "", born, age_band="age_25_34")]
    )
    links = _links(a, b, other_birthday, no_birthday, no_name, also_no_name)
    assert _pairs(links) == {(a.pk, b.pk, "person")}
    (link,) = links
    assert link.value_label == "Ioana Popescu, 04-03-1999"
    assert link.categories_a == link.categories_b == frozenset({"care"})


def test_addresses_phones_emails_ibans_and_plates_each_link(world: World) -> None:
    carla = world.users["care_coordinator"]
    groups = [world.table_a]
    by_address = [
        distinct_signal(carla, groups=groups, addresses=[street("Ginnekenweg", "12a")])
        for _ in range(2)
    ]
    by_phone = [
        distinct_signal(carla, groups=groups, phones=["06 1111 2222"]),
        distinct_signal(carla, groups=groups, phones=["+31 6 11112222"]),
    ]
    by_email = [
        distinct_signal(carla, groups=groups, emails=["Boss@Example.com"]),
        distinct_signal(carla, groups=groups, emails=["boss@example.com"]),
    ]
    by_iban = [
        distinct_signal(carla, groups=groups, ibans=["NL91 ABNA 0417 1643 00"]),
        distinct_signal(carla, groups=groups, ibans=["nl91abna0417164300"]),
    ]
    by_plate = [
        distinct_signal(carla, groups=groups, plates=["12-ABC-3"]),
        distinct_signal(carla, groups=groups, plates=["12abc3"]),
    ]
    everything = [*by_address, *by_phone, *by_email, *by_iban, *by_plate]
    links = _links(*everything)
    assert _pairs(links) == {
        (by_address[0].pk, by_address[1].pk, "address"),
        (by_phone[0].pk, by_phone[1].pk, "phone"),
        (by_email[0].pk, by_email[1].pk, "email"),
        (by_iban[0].pk, by_iban[1].pk, "iban"),
        (by_plate[0].pk, by_plate[1].pk, "plate"),
    }
    labels = {link.kind: link.value_label for link in links}
    assert labels["phone"] == "+31611112222"
    assert labels["iban"] == "NL91ABNA0417164300"
    assert labels["address"].startswith("Ginnekenweg 12")
    assert len(bundle_signals([s.pk for s in everything], links)) == 5


def test_bundles_are_transitive_and_show_every_link(world: World) -> None:
    carla = world.users["care_coordinator"]
    groups = [world.table_a]
    # a —phone— b —address— c —suspect— d; e stands alone.
    a = distinct_signal(carla, groups=groups, phones=["0612345670"])
    b = distinct_signal(
        carla, groups=groups, phones=["0612345670"], addresses=[street("Haagweg", "3")]
    )
    c = distinct_signal(
        carla,
        groups=groups,
        addresses=[street("Haagweg", "3")],
        persons=[suspect("Marius", "Dragomir", date(1980, 1, 2))],
    )
    d = distinct_signal(
        carla, groups=groups, persons=[suspect("Marius", "Dragomir", date(1980, 1, 2))]
    )
    e = distinct_signal(carla, groups=groups)
    links = _links(a, b, c, d, e)
    assert _pairs(links) == {
        (a.pk, b.pk, "phone"),
        (b.pk, c.pk, "address"),
        (c.pk, d.pk, "person"),
    }
    suspect_link = next(link for link in links if link.kind == "person")
    assert suspect_link.categories_a == frozenset({"justice"})
    assert bundle_signals([s.pk for s in (a, b, c, d, e)], links) == [
        [a.pk, b.pk, c.pk, d.pk],
        [e.pk],
    ]


def test_a_value_shared_by_many_signals_links_each_to_the_first(world: World) -> None:
    carla = world.users["care_coordinator"]
    signals = [
        distinct_signal(carla, groups=[world.table_a], ibans=["NL91 ABNA 0417 1643 00"])
        for _ in range(4)
    ]
    first, *others = (s.pk for s in signals)
    assert _pairs(_links(*signals)) == {(first, other, "iban") for other in others}


def test_an_identifier_of_a_person_is_as_sensitive_as_the_person(world: World) -> None:
    carla = world.users["care_coordinator"]
    a = distinct_signal(
        carla, groups=[world.table_a], persons=[victim("A", "B", None, phones=["0611122233"])]
    )
    b = distinct_signal(carla, groups=[world.table_a], phones=["0611122233"])
    (link,) = _links(a, b)
    assert (link.categories_a, link.categories_b) == (frozenset({"care"}), frozenset({"general"}))


def test_links_stay_inside_the_given_signals(world: World) -> None:
    carla = world.users["care_coordinator"]
    a = distinct_signal(carla, groups=[world.table_a], phones=["0612121212"])
    b = distinct_signal(carla, groups=[world.table_a], phones=["0612121212"])
    c = distinct_signal(carla, groups=[world.table_a], phones=["0612121212"])
    assert _pairs(_links(a, c)) == {(a.pk, c.pk, "phone")}
    assert _pairs(_links(b, c)) == {(b.pk, c.pk, "phone")}
    assert _links(a) == []


def test_union_find_ignores_links_to_unknown_signals() -> None:
    links = [Link(1, 2, "phone", "x"), Link(2, 99, "phone", "x"), Link(3, 1, "iban", "y")]
    assert bundle_signals([1, 2, 3, 4], links) == [[1, 2, 3], [4]]


def test_a_value_mentioned_twice_in_one_signal_joins_nothing(world: World) -> None:
    carla = world.users["care_coordinator"]
    a = distinct_signal(
        carla,
        groups=[world.table_a],
        persons=[victim("A", "B", None, phones=["0612340000"])],
        phones=["06 1234 0000"],
    )
    b = distinct_signal(carla, groups=[world.table_a])
    assert _links(a, b) == []


def test_a_signal_that_withholds_the_identity_is_still_bundled_on_what_it_holds(
    world: World,
) -> None:
    # A migrant organisation will not name the woman (nor give her contact details); the
    # address and the van that fetches her tie its signal to the police's named report.
    from schakel.signals.intake import PersonInput

    groups = [world.table_a]
    named = distinct_signal(
        world.users["police_analyst"],
        groups=groups,
        persons=[victim("Ioana", "Popescu", date(1999, 3, 4))],
        addresses=[street("Ginnekenweg", "12a")],
        plates=["12-ABC-3"],
    )
    anonymous = distinct_signal(
        world.users["ngo_worker"],
        groups=groups,
        identity_withheld=True,
        persons=[PersonInput(role="possible_victim", age_band="age_25_34", gender="female")],
        addresses=[street("Ginnekenweg", "12a")],
        plates=["12abc3"],
    )
    assert anonymous.identity_withheld and anonymous.band
    links = _links(named, anonymous)
    assert {link.kind for link in links} == {"address", "plate"}
    assert len(bundle_signals([named.pk, anonymous.pk], links)) == 1
