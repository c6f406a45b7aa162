"""Search finds signals by words and by identifiers typed any way, within what one may see."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from schakel.partners.models import User
from schakel.signals.services import search_signals
from schakel.signals.tests.factories import make_signal
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    with time_machine.travel("2026-11-29 10:00", tick=True):
        yield


@pytest.mark.parametrize(
    "query",
    [
        "+31 6 12345678",
        "0031612345678",
        "06-12 34 56 78",
        "nl91abna0417164300",
        "NL91 ABNA 0417 1643 00",
        "nagelstudio",
        "Popescu Ioana",
        "ioana popescu",
    ],
)
def test_it_finds_a_signal_however_the_value_is_typed(world: World, query: str) -> None:
    signal = make_signal(world.users["care_coordinator"])
    make_signal(
        world.users["care_coordinator"],
        persons=[],
        ibans=[],
        companies=[],
        description="Iets anders.",
    )
    assert list(search_signals(world.users["care_coordinator"], query)) == [signal]


def test_it_never_finds_what_the_user_may_not_see(world: World) -> None:
    make_signal(world.users["care_coordinator"])  # not shared with any group
    assert not search_signals(world.users["police_analyst"], "0612345678").exists()
    assert not search_signals(world.users["outsider"], "nagelstudio").exists()


def test_the_signal_list_searches(world: World, signed_in: Callable[[User], Client]) -> None:
    signal = make_signal(world.users["care_coordinator"])
    page = signed_in(world.users["care_coordinator"]).get(
        reverse("signal_list"), {"q": "06 1234 5678"}
    )
    assert signal.reference in page.content.decode()


#: A description as partners write them: it names people.
NAMING = "Ioana Popescu werkt in de nagelstudio van Marius."


def test_search_does_not_let_a_redacted_viewer_probe_the_hidden_description(
    world: World,
) -> None:
    """The NGO sees a TLP:GREEN signal of its table redacted: had its words been searched,
    a part of the hidden description tried letter by letter would spell it out."""
    carla, noor = world.users["care_coordinator"], world.users["ngo_worker"]
    signal = make_signal(carla, groups=[world.table_a], tlp="GREEN", description=NAMING)
    assert list(search_signals(noor, signal.reference)) == [signal]  # the NGO does see it
    probes = ("Ioana", "Ioanb", "van Marius", "van Mariut", "nagelstudio", "Popesc")
    hits = [q for q in probes if search_signals(noor, q).exists()]
    assert hits == []


def test_an_identifier_still_finds_a_signal_seen_redacted(world: World) -> None:
    """Identifiers, and a whole name on its name key, are searched on their exact normalised
    value, as designed: the redacted viewer learns only that a signal holds it, and whom to
    ask (hit / no-hit)."""
    carla, noor = world.users["care_coordinator"], world.users["ngo_worker"]
    signal = make_signal(carla, groups=[world.table_a], tlp="GREEN", description=NAMING)
    assert list(search_signals(noor, "06-12 34 56 78")) == [signal]
    assert list(search_signals(noor, "popescu, IOANA")) == [signal]


def test_those_who_see_the_description_find_the_signal_by_its_words(world: World) -> None:
    carla, piet = world.users["care_coordinator"], world.users["police_analyst"]
    signal = make_signal(carla, groups=[world.table_a], tlp="GREEN", description=NAMING)
    for user in (carla, piet):  # the owner, and the police at the table (general in full)
        for query in ("van Marius", "ioana popescu", "nagelstudio glans"):
            assert list(search_signals(user, query)) == [signal], (user, query)
