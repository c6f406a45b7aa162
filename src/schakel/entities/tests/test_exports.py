"""FollowTheMoney exports written by the worker: asked for through the API or the page, the
same lines as the streamed export, progress while it runs, the file for its requester alone,
audited, whole or not at all, and gone after a day."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from followthemoney import model as ftm_model
from rest_framework.test import APIClient

from schakel.audit.models import AuditEntry
from schakel.entities import exports
from schakel.entities.exports import run_ftm_export
from schakel.entities.models import FtmExport, Mention
from schakel.entities.services import resolve_signals
from schakel.partners.models import User
from schakel.partners.services import create_user
from schakel.partners.vocabulary import Role
from schakel.signals.models import Signal
from schakel.signals.tests.factories import make_signal
from schakel.testing.personas import World
from schakel.web.api_auth import issue_api_token

pytestmark = pytest.mark.django_db
Api = Callable[[User], APIClient]


@pytest.fixture(autouse=True)
def _own_data_directory(settings: Any, tmp_path: Path) -> Iterator[Path]:
    # Each test its own directory: the clean-up removes files no export names.
    settings.DATA_DIR = tmp_path
    yield tmp_path


@pytest.fixture
def shared(world: World) -> Signal:
    signal = make_signal(world.users["care_coordinator"], groups=[world.table_a])
    resolve_signals([signal.pk])
    return signal


@pytest.fixture
def api() -> Api:
    def make(user: User) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user)}")
        return client

    return make


def _colleague(world: World) -> User:
    """Same organisation and role as the care coordinator: still not her export's reader."""
    coordinator = world.users["care_coordinator"]
    assert coordinator.organisation is not None
    return create_user(
        coordinator.organisation,
        "colleague",
        roles=[Role.CARE_COORDINATOR],
        password="x" * 20,
        email="colleague@example.test",
    )


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_the_worker_writes_the_lines_the_streamed_export_holds(
    world: World, shared: Signal, api: Api
) -> None:
    coordinator = api(world.users["care_coordinator"])
    asked = coordinator.post("/api/v1/entities/exports/")
    assert asked.status_code == 202
    answer = asked.json()
    assert asked["Location"] == answer["url"] == f"/api/v1/entities/exports/{answer['id']}/"
    assert answer["status"] == "queued" and answer["download"] is None
    # Not ready: the file is refused with a reason, not an empty body.
    early = coordinator.get(f"/api/v1/entities/exports/{answer['id']}/download/")
    assert early.status_code == 409
    assert "nog niet klaar" in early.json()["errors"][0]["message"]

    result = run_ftm_export.call(answer["id"])
    status = coordinator.get(answer["url"]).json()
    assert status["status"] == "done" and status["percent"] == 100
    assert status["entities_total"] == status["entities_written"] == result["entities"] > 0
    download = coordinator.get(status["download"])
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/x-ndjson")
    assert "attachment" in download["Content-Disposition"]
    body = _body(download)
    assert hashlib.sha256(body).hexdigest() == status["sha256"] == download["X-Content-SHA256"]
    assert len(body) == status["size"]

    streamed = _body(coordinator.get("/api/v1/entities/export.ftm.jsonl"))
    assert sorted(body.decode().splitlines()) == sorted(streamed.decode().splitlines())
    proxies = [ftm_model.get_proxy(json.loads(line)) for line in body.decode().splitlines()]
    assert {"Person", "Address", "BankAccount"} <= {proxy.schema.name for proxy in proxies}
    for proxy in proxies:
        assert ftm_model.get_proxy(proxy.to_dict()).to_dict() == proxy.to_dict()


def test_an_export_is_audited_as_handed_over_and_each_download_as_read(
    world: World, shared: Signal, api: Api
) -> None:
    coordinator = api(world.users["care_coordinator"])
    export_id = coordinator.post("/api/v1/entities/exports/").json()["id"]
    run_ftm_export.call(export_id)
    entry = AuditEntry.objects.get(action="export_ftm")
    assert entry.actor_id == world.users["care_coordinator"].pk
    assert entry.purpose == "export"
    assert entry.object_ids == sorted(
        Mention.objects.filter(signal=shared).values_list("pk", flat=True)
    )
    assert entry.details["export"] == export_id
    for _ in range(2):
        coordinator.get(f"/api/v1/entities/exports/{export_id}/download/")
    reads = AuditEntry.objects.filter(action="read", object_type="entities.ftmexport")
    assert [read.object_ids for read in reads] == [{"entities.ftmexport": [export_id]}] * 2


def test_one_export_at_a_time_per_user(world: World, shared: Signal, api: Api) -> None:
    coordinator = api(world.users["care_coordinator"])
    first = coordinator.post("/api/v1/entities/exports/")
    again = coordinator.post("/api/v1/entities/exports/")
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["id"] == first.json()["id"]
    # Another user's request is their own.
    assert api(world.users["police_analyst"]).post("/api/v1/entities/exports/").status_code == 202
    run_ftm_export.call(first.json()["id"])
    after = coordinator.post("/api/v1/entities/exports/")
    assert after.status_code == 202 and after.json()["id"] != first.json()["id"]
    assert FtmExport.objects.filter(requested_by=world.users["care_coordinator"]).count() == 2


def test_an_export_left_by_a_stopped_worker_does_not_block_a_new_one(
    world: World, shared: Signal, api: Api
) -> None:
    coordinator = api(world.users["care_coordinator"])
    stuck = coordinator.post("/api/v1/entities/exports/").json()["id"]
    FtmExport.objects.filter(pk=stuck).update(
        status=FtmExport.Status.RUNNING, created_at=timezone.now() - timedelta(hours=7)
    )
    fresh = coordinator.post("/api/v1/entities/exports/")
    assert fresh.status_code == 202 and fresh.json()["id"] != stuck
    assert FtmExport.objects.get(pk=stuck).status == FtmExport.Status.FAILED


def test_only_the_requester_sees_or_downloads_an_export(
    world: World, shared: Signal, api: Api, signed_in: Callable[[User], Client]
) -> None:
    export_id = api(world.users["care_coordinator"]).post("/api/v1/entities/exports/").json()["id"]
    run_ftm_export.call(export_id)
    for user in (_colleague(world), world.users["police_analyst"], world.users["outsider"]):
        client = api(user)
        for address in (
            f"/api/v1/entities/exports/{export_id}/",
            f"/api/v1/entities/exports/{export_id}/download/",
        ):
            response = client.get(address)
            assert response.status_code == 404, (user.username, address)
            assert export_id not in response.content.decode()
        page = signed_in(user)
        for name in ("entity_export", "entity_export_download"):
            assert page.get(reverse(name, args=[export_id])).status_code == 404
        assert export_id not in page.get(reverse("entity_exports")).content.decode()
    anonymous = APIClient().get(f"/api/v1/entities/exports/{export_id}/download/")
    assert anonymous.status_code in (401, 403)
    assert Client().get(reverse("entity_export", args=[export_id])).status_code == 302
    # Nothing was handed over to anyone else.
    assert not AuditEntry.objects.filter(action="read", object_type="entities.ftmexport")


def test_a_failed_export_keeps_no_file_and_says_so(
    world: World, shared: Signal, api: Api, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def broken(plan: Any) -> Iterator[str]:
        yield '{"id": "half"}\n'
        raise OSError("disk full")

    monkeypatch.setattr(exports, "export_lines", broken)
    coordinator = api(world.users["care_coordinator"])
    export_id = coordinator.post("/api/v1/entities/exports/").json()["id"]
    with pytest.raises(OSError, match="disk full"):
        run_ftm_export.call(export_id)
    export = FtmExport.objects.get(pk=export_id)
    assert export.status == FtmExport.Status.FAILED and export.stored_name == ""
    assert list((tmp_path / "exports").iterdir()) == []
    assert coordinator.get(f"/api/v1/entities/exports/{export_id}/download/").status_code == 409
    # The user may ask again at once.
    assert coordinator.post("/api/v1/entities/exports/").status_code == 202


def test_an_export_of_a_user_no_longer_active_fails(world: World, shared: Signal, api: Api) -> None:
    coordinator = world.users["care_coordinator"]
    export_id = api(coordinator).post("/api/v1/entities/exports/").json()["id"]
    User.objects.filter(pk=coordinator.pk).update(is_active=False)
    with pytest.raises(RuntimeError, match="no longer active"):
        run_ftm_export.call(export_id)
    assert FtmExport.objects.get(pk=export_id).status == FtmExport.Status.FAILED
    assert not AuditEntry.objects.filter(action="export_ftm").exists()


def test_exports_and_stray_files_are_removed_after_a_day(
    world: World, shared: Signal, api: Api, tmp_path: Path
) -> None:
    coordinator = api(world.users["care_coordinator"])
    export_id = coordinator.post("/api/v1/entities/exports/").json()["id"]
    run_ftm_export.call(export_id)
    stored = FtmExport.objects.get(pk=export_id).stored_path
    assert stored is not None and stored.exists()
    stray = tmp_path / "exports" / ".left-by-a-stopped-worker.partial"
    stray.write_text("{}\n")
    assert exports.prune_old_exports() == "0 exports older than 24 hours removed, 1 stray files"
    assert stored.exists() and not stray.exists()
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        call_command("schakel_periodic", "prune-entity-exports")
    assert not stored.exists()
    assert not FtmExport.objects.filter(pk=export_id).exists()
    assert coordinator.get(f"/api/v1/entities/exports/{export_id}/download/").status_code == 404


def test_the_pages_ask_show_progress_and_hand_over_the_file(
    world: World, shared: Signal, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(world.users["care_coordinator"])
    assert reverse("entity_exports") in client.get(reverse("entity_search")).content.decode()
    listed = client.get(reverse("entity_exports")).content.decode()
    assert "U hebt geen exports." in listed
    asked = client.post(reverse("entity_exports"))
    export = FtmExport.objects.get()
    assert asked.status_code == 302
    assert asked["Location"] == reverse("entity_export", args=[export.pk])
    waiting = client.get(asked["Location"]).content.decode()
    assert "Wacht op het achtergrondproces" in waiting and 'hx-trigger="every 1s"' in waiting
    # Too early for the file: back to the progress.
    early = client.get(reverse("entity_export_download", args=[export.pk]))
    assert early.status_code == 302 and early["Location"] == asked["Location"]

    run_ftm_export.call(str(export.pk))
    export.refresh_from_db()
    polled = client.get(asked["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in polled  # finished: the page stops asking
    assert f"De export is klaar: {export.lines_total} entiteiten." in polled
    assert export.file_sha256 in polled
    download = client.get(reverse("entity_export_download", args=[export.pk]))
    assert download.status_code == 200
    body = _body(download)
    assert hashlib.sha256(body).hexdigest() == export.file_sha256
    assert "Klaar om te downloaden" in client.get(reverse("entity_exports")).content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_job_runs_through_the_worker(world: World, shared: Signal, api: Api) -> None:
    export_id = api(world.users["care_coordinator"]).post("/api/v1/entities/exports/").json()["id"]
    call_command("schakel_worker", batch=True)
    export = FtmExport.objects.get(pk=export_id)
    assert export.status == FtmExport.Status.DONE
    assert run_ftm_export.get_result(export.task_id).return_value == {
        "status": "done",
        "entities": export.lines_total,
        "bytes": export.file_size,
    }
