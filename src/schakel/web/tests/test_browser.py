"""Real pages in Debian's Chromium through Playwright, against a live server.

Covers: signing in with a second factor, the language switch, keyboard navigation with
visible focus on every page, and an axe-core check (no serious or critical violations) on
every page of the foundation.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from schakel.testing.personas import PASSWORD, World

pytestmark = pytest.mark.browser

# The browser and the live world come from ``schakel.testing.browser`` through the test
# plugin (one Chromium for every browser test of the session).


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _totp(secret_text: str) -> str:
    from django_otp.oath import totp

    secret = secret_text.replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key):06d}"


def _sign_in(page: Any, username: str) -> None:
    page.goto("/login/")
    # By label in Dutch (the default); after a language switch the page is English.
    english = page.locator("html").get_attribute("lang") == "en"
    page.get_by_label("User name" if english else "Gebruikersnaam").fill(username)
    page.get_by_label("Password" if english else "Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Sign in" if english else "Inloggen").click()


def _sign_in_with_new_app(page: Any, username: str) -> None:
    _sign_in(page, username)
    page.wait_for_url("**/two-factor/setup/**")
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_role("textbox", name="Code").fill(_totp(secret))
    page.get_by_role("button", name="Bevestigen").click()
    page.get_by_test_id("recovery-codes").wait_for()
    page.get_by_role("link", name="opgeslagen").click()
    page.wait_for_url("**/")


def _serious_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def _check_keyboard(page: Any) -> None:
    """Tab through the page: the skip link comes first, every stop shows a focus ring."""
    # Start from the top of the document, also on pages that autofocus their first field.
    page.evaluate("""() => {
        document.body.setAttribute('tabindex', '-1');
        document.body.focus();
        document.body.removeAttribute('tabindex');
    }""")
    page.keyboard.press("Tab")
    first = page.evaluate("document.activeElement.getAttribute('href')")
    assert first == "#main", "the skip link is not the first stop"
    seen = 0
    for _ in range(40):
        info = page.evaluate("""() => {
            const el = document.activeElement;
            if (!el || el === document.body) return null;
            const style = getComputedStyle(el);
            const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
            const shadow = style.boxShadow && style.boxShadow !== 'none';
            return {tag: el.tagName, visible: outline || shadow,
                    text: (el.innerText || el.name || el.id || '').slice(0, 40)};
        }""")
        if info is None:
            break
        assert info["visible"], f"no visible focus on {info}"
        seen += 1
        page.keyboard.press("Tab")
    assert seen >= 2


def test_a_professional_signs_in_with_two_factor_and_switches_language(
    live_world: World, page: Any
) -> None:
    _sign_in_with_new_app(page, "carla")
    assert "Gemeente Breda" in page.get_by_test_id("organisation").inner_text()
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Welcome" in page.locator("h1").inner_text()
    # Signing in again asks for a code from the app.
    page.get_by_role("button", name="Log out").click()
    _sign_in(page, "carla")
    page.wait_for_url("**/two-factor/verify/**")


def test_a_front_desk_worker_on_a_phone_needs_no_second_factor(
    live_world: World, browser: Any, live_server: Any
) -> None:
    context = browser.new_context(
        base_url=live_server.url,
        locale="nl-NL",
        viewport={"width": 375, "height": 740},
        is_mobile=True,
    )
    page = context.new_page()
    _sign_in(page, "fenna")
    page.wait_for_url("**/")
    assert "112" in page.content()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, "the page scrolls sideways on a phone"
    # The short form, on the phone: report what was seen and get a receipt.
    page.goto("/signals/report/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_label("Wat heeft u gezien of gehoord?").fill(
        "Een vrouw aan de balie lijkt bang; een man spreekt voor haar."
    )
    page.get_by_role("button", name="Signaal versturen").click()
    page.get_by_test_id("reference").wait_for()
    assert page.get_by_test_id("reference").inner_text().startswith("S-")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert _serious_violations(page) == []
    context.close()


def _pages_for(live_world: World) -> list[tuple[str, str | None, str]]:
    import time_machine

    from schakel.notifications.services import notify
    from schakel.signals.tests.factories import make_signal
    from schakel.tasks.services import create_task

    task = create_task(live_world.municipality_a, "Tolk regelen")
    fenna = live_world.users["front_desk"]
    with time_machine.travel("2026-11-29 10:00", tick=True):
        signal = make_signal(
            live_world.users["care_coordinator"], groups=[live_world.table_a], tlp="GREEN"
        )
        short = make_signal(fenna, groups=[live_world.table_a], channel="short_form")
    notify(
        [live_world.users["care_coordinator"]],
        kind="test",
        title="Urgent signaal",
        source_type="test",
        source_id="1",
        email=False,
    )
    return [
        ("login", None, "/login/"),
        ("password reset", None, "/password-reset/"),
        ("password reset sent", None, "/password-reset/sent/"),
        ("password reset invalid link", None, "/password-reset/MQ/invalid-token/"),
        ("home, front desk", "fenna", "/"),
        ("home, care coordinator", "carla", "/"),
        ("home, national coordinator", "nadia", "/"),
        ("account", "carla", "/account/"),
        ("tasks", "carla", "/tasks/"),
        ("new task", "carla", "/tasks/new/"),
        ("task", "carla", f"/tasks/{task.pk}/"),
        ("users", "arie", "/organisation/users/"),
        ("new user", "arie", "/organisation/users/new/"),
        ("edit user", "arie", f"/organisation/users/{fenna.pk}/"),
        ("signals", "carla", "/signals/"),
        ("new signal", "carla", "/signals/new/"),
        ("signal, owner", "carla", f"/signals/{signal.reference}/"),
        ("signal, police", "piet", f"/signals/{signal.reference}/"),
        ("signal, NGO (redacted)", "noor", f"/signals/{signal.reference}/"),
        ("short report", "fenna", "/signals/report/"),
        ("receipt", "fenna", f"/signals/{short.reference}/received/"),
        ("notifications", "carla", "/notifications/"),
    ]


def test_every_page_passes_axe_and_works_by_keyboard(
    live_world: World, browser: Any, live_server: Any
) -> None:
    from schakel.testing.personas import login

    problems: list[str] = []
    for name, username, path in _pages_for(live_world):
        context = browser.new_context(base_url=live_server.url, locale="nl-NL")
        if username:
            from django.test import Client

            client = login(Client(), live_world.users[_persona_key(live_world, username)])
            session = client.cookies["sessionid"].value
            context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
        page = context.new_page()
        response = page.goto(path)
        assert response is not None and response.status < 400, (name, path)
        problems += [f"{name}: {v}" for v in _serious_violations(page)]
        _check_keyboard(page)
        context.close()
    assert problems == []


def test_the_two_factor_pages_pass_axe(live_world: World, page: Any) -> None:
    _sign_in(page, "carla")
    page.wait_for_url("**/two-factor/setup/**")
    assert _serious_violations(page) == []
    _check_keyboard(page)
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_role("textbox", name="Code").fill(_totp(secret))
    page.get_by_role("button", name="Bevestigen").click()
    page.get_by_test_id("recovery-codes").wait_for()
    assert _serious_violations(page) == []
    page.get_by_role("button", name="Uitloggen").click()
    _sign_in(page, "carla")
    page.wait_for_url("**/two-factor/verify/**")
    assert _serious_violations(page) == []
    _check_keyboard(page)


def _persona_key(world: World, username: str) -> str:
    return next(key for key, user in world.users.items() if user.username == username)
