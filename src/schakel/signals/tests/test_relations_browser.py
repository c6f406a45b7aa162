"""The full form's relations and payments in Chromium: rows added by keyboard, choices
named after the people typed, an axe check of the form and of a signal with its ties."""

from __future__ import annotations

from typing import Any

import pytest

from schakel.signals.models import PaymentMention, RelationMention
from schakel.signals.services import create_signal
from schakel.signals.tests.factories import PURPOSE, SUSPECT_NAME, VICTIM_NAME
from schakel.signals.tests.factories import signal_input_with_ties as tied
from schakel.testing.browser import page_as
from schakel.testing.personas import World
from schakel.web.tests import test_browser

pytestmark = pytest.mark.browser
# The browser and the committed world come from the test plugin (schakel.testing.browser).
_serious_violations = test_browser._serious_violations


def test_relations_and_payments_are_entered_on_the_full_form(
    live_world: World, browser: Any, live_server: Any
) -> None:
    page = page_as(browser, live_server, live_world, "care_coordinator")
    page.goto("/signals/new/")
    page.get_by_label("What was seen").fill("Zij werkt in de studio van haar vriend.")
    page.locator("#id_persons-0-role").select_option("possible_victim")
    page.locator("#id_persons-0-given_names").fill(VICTIM_NAME[0])
    page.locator("#id_persons-0-family_name").fill(VICTIM_NAME[1])
    page.get_by_role("button", name="Add a person").click()
    page.locator("#id_persons-1-role").select_option("suspect")
    page.locator("#id_persons-1-family_name").fill(SUSPECT_NAME[1])
    page.get_by_role("button", name="Add a relation").click()
    relation = page.get_by_role("group", name="Relation 1")
    relation.get_by_label("Person", exact=True).select_option(
        label=f"Person 1: {VICTIM_NAME[0]} {VICTIM_NAME[1]}"
    )
    relation.get_by_label("Relation", exact=True).select_option("family")
    relation.get_by_label("With").select_option(label=f"Person 2: {SUSPECT_NAME[1]}")
    relation.get_by_label("Family relationship").select_option("partner")
    payment = page.get_by_role("group", name="Payment 1")
    payment.get_by_label("From", exact=True).select_option(
        label="Person 1: " + " ".join(VICTIM_NAME)
    )
    payment.get_by_label("To", exact=True).select_option(label=f"Person 2: {SUSPECT_NAME[1]}")
    payment.get_by_label("Amount").fill("450,00")
    payment.get_by_label("What it was for").fill(PURPOSE)
    assert _serious_violations(page) == []
    page.get_by_role("button", name="Save the signal").click()
    page.wait_for_url("**/signals/S-*/")
    assert RelationMention.objects.get().relationship == "partner"
    assert PaymentMention.objects.get().purpose == PURPOSE
    assert page.get_by_test_id("relations").is_visible()
    assert _serious_violations(page) == []


def test_a_signal_with_relations_passes_axe_for_owner_and_police(
    live_world: World, browser: Any, live_server: Any
) -> None:
    signal = create_signal(
        tied(sharing_group_ids=[live_world.table_a.pk]),
        submitted_by=live_world.users["care_coordinator"],
        channel="full_form",
    )
    for key in ("care_coordinator", "police_analyst"):
        page = page_as(browser, live_server, live_world, key)
        page.goto(f"/signals/{signal.reference}/")
        assert page.get_by_test_id("payments").is_visible()
        assert _serious_violations(page) == [], key


def test_adding_a_row_or_asking_who_will_see_it_lands_where_the_answer_is(
    live_world: World, browser: Any, live_server: Any
) -> None:
    """The form's add buttons and "Show who will see this" reload the form: the page comes
    back at what was added (focused, for keyboard and screen reader), not at its top."""
    page = page_as(browser, live_server, live_world, "care_coordinator")
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto("/signals/new/")
    in_view = "id => { const top = document.getElementById(id).getBoundingClientRect().top; "
    in_view += "return top >= 0 && top < window.innerHeight; }"
    page.get_by_role("button", name="Add a person").click()
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.id") == "persons-last"
    assert page.get_by_role("group", name="Person 2").is_visible()
    page.wait_for_function(in_view, arg="persons-last", timeout=3_000)
    assert page.evaluate("window.scrollY") > 0
    page.get_by_role("button", name="Show who will see this").click()
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.id") == "audience"
    page.wait_for_function(in_view, arg="audience", timeout=3_000)
    # Saving afterwards lands on the signal, without the form's place in its address.
    page.get_by_label("What was seen").fill("Zij slaapt in de studio.")
    page.get_by_role("button", name="Save the signal").click()
    page.wait_for_url("**/signals/S-*/")
