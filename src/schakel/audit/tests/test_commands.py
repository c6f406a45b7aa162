from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from schakel.audit.models import AuditEntry, AuditHead

from .conftest import Tamper

pytestmark = pytest.mark.django_db

Chain = Callable[[int], list[AuditEntry]]


def _run(name: str, *args: str) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command(name, *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_audit_verify_reports_an_intact_log(chain: Chain) -> None:
    chain(4)

    assert _run("audit_verify") == "intact: 4 entries, head at position 4"


def test_audit_verify_fails_and_names_the_entry_when_tampered(chain: Chain, tamper: Tamper) -> None:
    chain(20)
    tamper("UPDATE audit_auditentry SET action = 'read' WHERE position = 17")

    with pytest.raises(CommandError, match="entry 17 was altered") as failure:
        _run("audit_verify")
    assert failure.value.returncode == 1


def test_audit_checkpoint_writes_a_file_that_audit_verify_uses(
    chain: Chain, tamper: Tamper, tmp_path: Path
) -> None:
    entries = chain(6)
    target = tmp_path / "outside" / "checkpoint.json"

    assert _run("audit_checkpoint", f"--output={target}") == str(target)
    data = json.loads(target.read_text())
    assert (data["position"], data["hmac"]) == (6, entries[-1].hmac)
    assert "at" in data
    assert "matches" in _run("audit_verify", f"--checkpoint={target}")

    tamper("DELETE FROM audit_auditentry WHERE position > 4")
    AuditHead.objects.update(position=4, hmac=entries[3].hmac)
    assert _run("audit_verify").startswith("intact: 4 entries")
    with pytest.raises(CommandError, match="entries 5 to 6 are missing"):
        _run("audit_verify", f"--checkpoint={target}")


def test_audit_checkpoint_writes_to_the_checkpoint_directory_by_default(
    chain: Chain, settings: Any, tmp_path: Path
) -> None:
    chain(2)
    settings.SCHAKEL_AUDIT_CHECKPOINT_DIR = tmp_path / "audit-checkpoints"

    first = Path(_run("audit_checkpoint"))
    second = Path(_run("audit_checkpoint"))

    assert first.parent == second.parent == tmp_path / "audit-checkpoints"
    assert first != second
    assert json.loads(first.read_text())["position"] == 2


def test_audit_verify_refuses_a_file_that_is_not_a_checkpoint(chain: Chain, tmp_path: Path) -> None:
    chain(1)
    bogus = tmp_path / "notes.json"
    bogus.write_text("[1, 2, 3]")

    with pytest.raises(CommandError, match="checkpoint"):
        _run("audit_verify", f"--checkpoint={bogus}")
    with pytest.raises(CommandError, match="checkpoint"):
        _run("audit_verify", f"--checkpoint={tmp_path / 'missing.json'}")


def test_audit_verify_warns_when_the_triggers_are_gone(chain: Chain) -> None:
    chain(1)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER audit_auditentry_no_delete")
    errors = StringIO()

    call_command("audit_verify", stdout=StringIO(), stderr=errors)

    assert "append-only triggers are missing" in errors.getvalue()
