"""An export of entities in Chromium: asked for from the entities page, its progress polled
until the worker is done, the file downloaded; axe finds no serious or critical violation on
either page."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from schakel.entities.exports import run_ftm_export
from schakel.entities.models import FtmExport
from schakel.entities.services import resolve_signals
from schakel.signals.tests.factories import make_signal
from schakel.testing.browser import page_as
from schakel.testing.personas import World
from schakel.web.tests import test_browser

pytestmark = pytest.mark.browser
_serious_violations = test_browser._serious_violations


def test_an_export_is_asked_for_followed_and_downloaded(
    live_world: World, browser: Any, live_server: Any, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    signal = make_signal(live_world.users["care_coordinator"], groups=[live_world.table_a])
    resolve_signals([signal.pk])
    page = page_as(browser, live_server, live_world, "care_coordinator")
    page.goto("/entities/")
    page.get_by_role("link", name="Export everything you may see (FollowTheMoney)").click()
    page.wait_for_url("**/entities/exports/")
    assert page.get_by_text("You have no exports.").is_visible()
    assert _serious_violations(page) == []
    page.get_by_role("button", name="Start a new export").click()
    page.wait_for_url(re.compile(r"/entities/exports/[0-9a-f-]{36}/$"))
    assert page.get_by_role("status").filter(has_text="Waiting for the worker").is_visible()
    assert _serious_violations(page) == []

    export = FtmExport.objects.get()
    run_ftm_export.call(str(export.pk))
    export.refresh_from_db()
    # The page asks every second: the download appears without a reload.
    link = page.get_by_test_id("export-download")
    link.wait_for(state="visible", timeout=5_000)
    assert page.get_by_text(f"The export is ready: {export.lines_total} entities.").is_visible()
    assert _serious_violations(page) == []
    with page.expect_download() as event:
        link.click()
    download = event.value
    assert download.suggested_filename.endswith(".ftm.jsonl")
    body = Path(download.path()).read_bytes()
    assert hashlib.sha256(body).hexdigest() == export.file_sha256
    page.context.close()
