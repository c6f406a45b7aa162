"""The secured line's pages in Chromium: an axe check (no serious or critical violations) and
the keyboard, for both of its parties — the care coordinator and the police analyst — with a
message, a reply, a consent and information shared under a consent since withdrawn."""

from __future__ import annotations

from typing import Any

import pytest

from schakel.cases import consents, messages
from schakel.cases.tests.line_helpers import (
    consent_for_police,
    line_case,
    police_request,
    share_under,
)
from schakel.cases.tests.test_browser import _check_pages_of_personas
from schakel.testing.personas import World

pytestmark = pytest.mark.browser


def test_the_line_pages_pass_axe_and_work_by_keyboard(
    live_world: World, browser: Any, live_server: Any
) -> None:
    case = line_case(live_world)
    carla = live_world.users["care_coordinator"]
    request = police_request(live_world, case)
    messages.reply(
        request,
        kind="information_shared",
        subject="Antwoord",
        body="Zij wil eerst met haar advocaat spreken.",
        purpose="criminal_investigation",
        legal_basis="avg_vital_interest",
        actor=carla,
    )
    consent = consent_for_police(live_world, case)
    shared = share_under(live_world, case, consent)
    open_consent = consent_for_police(live_world, case)
    consents.withdraw_consent(consent, note="Telefonisch ingetrokken.", actor=carla)
    line = f"/cases/{case.pk}/line/"
    pages = {
        "care_coordinator": [
            line,
            f"/cases/line/{request.pk}/",
            f"/cases/{case.pk}/consents/",
            f"/cases/consents/{open_consent.pk}/withdraw/",
        ],
        "police_analyst": [line, f"/cases/line/{request.pk}/", f"/cases/line/{shared.pk}/"],
    }
    _check_pages_of_personas(browser, live_server, live_world, pages)
