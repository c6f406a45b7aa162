"""The case summary in Chromium: an axe check (no serious or critical violations) and the
keyboard, for the care coordinator's full summary, the police's redacted one and the NGO's."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine

from schakel.cases import persons, plans
from schakel.cases.tests.plan_helpers import plan_of
from schakel.cases.tests.test_browser import _check_pages_of_personas, case_with_possible_victim
from schakel.testing.personas import World

pytestmark = pytest.mark.browser


def test_the_case_summary_passes_axe_and_works_by_keyboard(
    live_world: World, browser: Any, live_server: Any
) -> None:
    carla = live_world.users["care_coordinator"]
    # A few days ago, so that the NGO's action is overdue today.
    with time_machine.travel("2026-11-25 10:00", tick=False):
        case, victim = case_with_possible_victim(live_world)
        persons.offer_reflection_period(
            victim, offered_on=date(2026, 11, 25), offered_by=live_world.police_a, actor=carla
        )
        plan = plan_of(case)
        plans.add_objective(plan, "shelter", "Een veilige opvangplek.", actor=carla)
        plans.add_action(
            plan,
            domain="shelter",
            description="Begeleiding",
            owner_organisation=live_world.ngo_a,
            due_date=date(2026, 11, 27),
            actor=carla,
        )
        plans.record_review(plan, reviewed_on=date(2026, 11, 25), summary="Gesprek.", actor=carla)
    summary = f"/cases/{case.pk}/summary/"
    pages = {
        "care_coordinator": [summary],
        "police_analyst": [summary],
        "ngo_worker": [summary],
    }
    _check_pages_of_personas(browser, live_server, live_world, pages)
