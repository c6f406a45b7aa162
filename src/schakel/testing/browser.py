"""The browser fixtures every browser test shares: one Chromium for the whole session, driven
by Playwright's sync API, and a world of personas committed for a live server.

Defined once, here, and offered by the test plugin: a browser test module that defined its own
(or re-bound another module's) would start a second Playwright while the first still runs its
event loop in this thread, which Playwright refuses.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from schakel.testing.personas import World, build_world

CHROMIUM = os.environ.get("SCHAKEL_TEST_BROWSER", "/usr/bin/chromium")
CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# Without these, Chromium keeps calling home and the closed network refuses it noisily.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if CI:
            pytest.fail(f"CI: chromium not found at {CHROMIUM}")
        pytest.skip(f"chromium not found at {CHROMIUM}")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by
    # the test itself (fixtures) are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def live_world(transactional_db: None) -> World:
    return build_world()


def page_as(browser: Any, live_server: Any, world: World, key: str) -> Any:
    """A page of its own, in English, signed in as the persona ``key`` of ``world``."""
    from django.test import Client

    from schakel.testing.personas import login

    client = login(Client(), world.users[key])
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page
