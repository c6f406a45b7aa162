"""The site shell: health, the command line, the base layout."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from schakel.cli import build_parser
from schakel.jobs import services as jobs
from schakel.jobs.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def test_health_reports_database_migrations_and_a_missing_worker(client: Client) -> None:
    response = client.get("/health")
    data = response.json()
    assert response.status_code == 200
    assert data["checks"]["database"]["ok"] and data["checks"]["migrations"]["ok"]
    assert data["checks"]["worker"]["ok"] is False and data["status"] == "degraded"


def test_health_is_ok_with_a_fresh_heartbeat_and_not_with_a_stale_one(client: Client) -> None:
    jobs.beat("worker-test")
    assert client.get("/health").json()["status"] == "ok"
    WorkerHeartbeat.objects.update(last_seen=timezone.now() - timedelta(minutes=10))
    assert client.get("/health").json()["checks"]["worker"]["ok"] is False


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["worker"],
        ["demo"],
        ["migrate"],
        ["createuser"],
        ["audit"],
        ["audit", "verify"],
        ["audit", "checkpoint"],
        ["periodic"],
        ["check"],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "schakel.cli", *command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "usage: schakel" in result.stdout


def test_the_parser_knows_the_operator_commands() -> None:
    parser = build_parser()
    args = parser.parse_args(["demo", "--size", "large", "--seed", "7"])
    assert (args.size, args.seed) == ("large", 7)


def test_periodic_jobs_are_idempotent() -> None:
    first = jobs.run_periodic_jobs()
    second = jobs.run_periodic_jobs()
    assert set(first) == set(jobs.PERIODIC_JOBS)
    assert all(result.startswith("0 ") for result in second.values())


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_a_queued_job(mailoutbox: list[object]) -> None:
    from django.core.management import call_command

    from schakel.jobs.tasks import send_email

    result = send_email.enqueue("Subject", "Body", ["someone@example.test"])
    assert mailoutbox == []
    call_command("schakel_worker", batch=True)
    result.refresh()
    assert result.status == "SUCCESSFUL" and result.return_value == 1
    assert len(mailoutbox) == 1
