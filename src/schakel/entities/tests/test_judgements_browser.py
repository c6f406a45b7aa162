"""The entity page's judgements and the page that withdraws a split, in Chromium: an axe check
(no serious or critical violations) and keyboard stops with visible focus."""

from __future__ import annotations

import re
from typing import Any

import pytest

from schakel.entities import review
from schakel.entities.models import Judgement, Mention
from schakel.entities.tests.factories import finished_batch_run, suggest, suspect_mention
from schakel.testing.browser import page_as
from schakel.testing.personas import World
from schakel.web.tests import test_browser

pytestmark = pytest.mark.browser
# The browser and the committed world come from the test plugin (schakel.testing.browser).
_serious_violations = test_browser._serious_violations
_check_keyboard = test_browser._check_keyboard


def test_a_split_and_its_withdrawal_pass_axe_and_work_by_keyboard(
    live_world: World, browser: Any, live_server: Any
) -> None:
    run = finished_batch_run(0.9)
    records = [
        suspect_mention(live_world, "Marius"),
        suspect_mention(live_world, "Mario", author="police_analyst"),
        suspect_mention(live_world, "Mario", author="ngo_worker"),
    ]
    for i, left in enumerate(records):
        for right in records[i + 1 :]:
            suggest(run, left, right, 0.99)
    review.resolve_around(records)
    records[0].refresh_from_db()
    assert records[0].entity is not None
    analyst = live_world.users["police_analyst"]
    made = review.split_off(analyst, records[0].entity, records[0], reason="Another man.")
    records[0].refresh_from_db()

    page = page_as(browser, live_server, live_world, "police_analyst")
    page.goto(f"/entities/{records[0].entity_id}/")
    assert page.get_by_test_id("split-note").count() == 2
    assert _serious_violations(page) == []

    page.goto(f"/entities/judgements/{made[0].pk}/withdraw/")
    assert page.get_by_test_id("split-warning").is_visible()
    assert _serious_violations(page) == []
    _check_keyboard(page)
    assert page.get_by_label("The whole split (2 judgements)").is_checked()
    page.get_by_label("Reason for withdrawing").fill("The wrong family file.")
    page.get_by_role("button", name="Withdraw", exact=True).click()
    page.wait_for_url(re.compile(r"/entities/\d+/$"))
    assert Judgement.objects.filter(verdict="withdrawn").count() == 2
    assert len({r.entity_id for r in Mention.objects.filter(pk__in=[r.pk for r in records])}) == 1
    assert _serious_violations(page) == []
