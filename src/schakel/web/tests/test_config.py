"""Settings: validated at start-up, errors name the variable, production is strict."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from schakel import config

ROOT = Path(__file__).resolve().parents[4]
STRONG = "k3y-" + "a1b2c3d4e5f6g7h8i9j0" * 3
STRONG_AUDIT = "audit-" + "z9y8x7w6v5u4t3s2r1q0" * 3


def production(**extra: str) -> dict[str, str]:
    return {
        "SCHAKEL_MODE": "production",
        "SCHAKEL_SECRET_KEY": STRONG,
        "SCHAKEL_AUDIT_KEY": STRONG_AUDIT,
        "SCHAKEL_EMAIL_BACKEND": "smtp",
        **extra,
    }


def test_defaults_give_a_working_development_setup() -> None:
    loaded = config.load({})
    assert loaded["MODE"] == "development" and loaded["SECRET_KEY"]
    assert loaded["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1"]


@pytest.mark.parametrize(
    ("environ", "variable", "problem"),
    [
        ({"SCHAKEL_DEBUG": "perhaps"}, "SCHAKEL_DEBUG", "expected true or false"),
        ({"SCHAKEL_SESSION_MINUTES": "0"}, "SCHAKEL_SESSION_MINUTES", "greater than 0"),
        ({"SCHAKEL_SESSION_MINUTES": "ten"}, "SCHAKEL_SESSION_MINUTES", "whole number"),
        ({"SCHAKEL_MODE": "staging"}, "SCHAKEL_MODE", "expected one of"),
        ({"SCHAKEL_DATABASE_URL": "mysql://x"}, "SCHAKEL_DATABASE_URL", "unsupported database"),
        ({"SCHAKEL_COLOUR": "blue"}, "SCHAKEL_COLOUR", "unknown setting"),
        (
            {"SCHAKEL_SECRET_KEY_FILE": "/nonexistent/secret"},
            "SCHAKEL_SECRET_KEY_FILE",
            "cannot read",
        ),
    ],
)
def test_a_bad_value_names_the_variable_and_the_problem(
    environ: dict[str, str], variable: str, problem: str
) -> None:
    with pytest.raises(config.ConfigError) as exc:
        config.load(environ)
    assert exc.value.variable == variable
    assert problem in exc.value.problem


@pytest.mark.parametrize(
    ("override", "variable"),
    [
        ({"SCHAKEL_SECRET_KEY": ""}, "SCHAKEL_SECRET_KEY"),
        ({"SCHAKEL_SECRET_KEY": config.DEVELOPMENT_SECRET}, "SCHAKEL_SECRET_KEY"),
        ({"SCHAKEL_SECRET_KEY": "short"}, "SCHAKEL_SECRET_KEY"),
        ({"SCHAKEL_AUDIT_KEY": ""}, "SCHAKEL_AUDIT_KEY"),
        ({"SCHAKEL_AUDIT_KEY": STRONG}, "SCHAKEL_AUDIT_KEY"),
        ({"SCHAKEL_REQUIRE_2FA": "false"}, "SCHAKEL_REQUIRE_2FA"),
        ({"SCHAKEL_DEBUG": "true"}, "SCHAKEL_DEBUG"),
        ({"SCHAKEL_EMAIL_BACKEND": "console"}, "SCHAKEL_EMAIL_BACKEND"),
    ],
)
def test_production_refuses_unsafe_settings(override: dict[str, str], variable: str) -> None:
    with pytest.raises(config.ConfigError) as exc:
        config.load(production(**override))
    assert exc.value.variable == variable


def test_secrets_can_come_from_files(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text(STRONG + "\n")
    loaded = config.load(production(SCHAKEL_SECRET_KEY="", SCHAKEL_SECRET_KEY_FILE=str(secret)))
    assert loaded["SECRET_KEY"] == STRONG


def test_giving_a_secret_twice_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text(STRONG)
    with pytest.raises(config.ConfigError, match="either"):
        config.load(production(SCHAKEL_SECRET_KEY_FILE=str(secret)))


def test_every_setting_is_documented() -> None:
    documented = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^### `(SCHAKEL_[A-Z0-9_]+)`", documented, flags=re.M))
    declared = {s.variable for s in config.SETTINGS}
    assert declared - headings == set(), "settings missing from docs/configuration.md"
    assert headings - declared == set(), "docs/configuration.md documents unknown settings"
    for setting in config.SETTINGS:
        if setting.secret:
            assert f"{setting.variable}_FILE" in documented


def _manage(environ: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    # A fresh process as an operator would start it: none of the test run's variables.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SCHAKEL_", "DJANGO_ALLOW_ASYNC_UNSAFE"))
    }
    env.update(environ)
    env["SCHAKEL_DATA_DIR"] = os.environ["SCHAKEL_DATA_DIR"]
    return subprocess.run(
        [sys.executable, "-m", "schakel.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_in_production_mode() -> None:
    result = _manage(
        production(SCHAKEL_ALLOWED_HOSTS="schakel.example.nl"),
        "manage",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_start_up_stops_with_a_message_naming_the_variable() -> None:
    result = _manage({"SCHAKEL_MODE": "production"}, "check")
    assert result.returncode == 2
    assert "SCHAKEL_SECRET_KEY" in result.stderr and "Traceback" not in result.stderr


def test_it_hashes_passwords_with_argon2() -> None:
    from schakel import settings as schakel_settings

    assert schakel_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def _fresh_process(script: str) -> subprocess.CompletedProcess[str]:
    """``script`` run by this Python in a process of its own, with the project's settings and
    this run's data directory and no other of its variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHAKEL_")}
    env.update(
        DJANGO_SETTINGS_MODULE="schakel.settings", SCHAKEL_DATA_DIR=os.environ["SCHAKEL_DATA_DIR"]
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_application_loads_in_a_fresh_process_as_gunicorn_loads_it() -> None:
    """gunicorn imports ``schakel.wsgi`` first, in a process of its own: the modules load in
    another order than in the test suite. (A parser named in the REST framework's settings,
    defined in a module that imports its views, made every worker fail on a circular import
    while the suite passed.)"""
    script = (
        "from schakel.wsgi import application\n"
        "from django.urls import get_resolver\n"
        "get_resolver().url_patterns\n"
        "from rest_framework.settings import api_settings\n"
        "print([p.__module__ for p in api_settings.DEFAULT_PARSER_CLASSES][0])\n"
    )
    done = _fresh_process(script)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "schakel.web.parsers"


def test_a_gunicorn_worker_freezes_the_loaded_application() -> None:
    """``schakel serve``'s gunicorn settings: after a worker loaded the application, the URL
    configuration with its view modules is loaded too, and the rule files, and all of it is
    frozen out of the
    garbage collector's view (frozen before loading, it would stay in view)."""
    script = (
        "import gc, sys, django\n"
        "django.setup()\n"
        "assert 'schakel.signals.views' not in sys.modules\n"
        "before = gc.get_freeze_count()\n"
        "from schakel.web.gunicorn_conf import post_worker_init\n"
        "post_worker_init(None)\n"
        "assert 'schakel.signals.views' in sys.modules\n"
        "from schakel.signals.rules import indicators, triage\n"
        "assert indicators.catalogue.cache_info().currsize == 1\n"
        "assert triage.current.cache_info().currsize == 1\n"
        "print(before, gc.get_freeze_count(), len(gc.get_objects()))\n"
    )
    done = _fresh_process(script)
    assert done.returncode == 0, done.stderr
    before, frozen, in_view = (int(n) for n in done.stdout.split())
    assert before == 0 and frozen > 100_000 and in_view < frozen // 20


@pytest.mark.django_db
def test_the_database_check_warns_when_autovacuum_is_off() -> None:
    """``schakel check`` runs the database checks: on PostgreSQL, a server without
    autovacuum is named (its statistics go stale as the tables grow)."""
    from django.db import connection

    from schakel.web.checks import check_autovacuum

    found = check_autovacuum(databases=["default"])
    if connection.vendor != "postgresql":
        assert found == []
        return
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        (value,) = cursor.fetchone()
    assert [m.id for m in found] == ([] if value == "on" else ["schakel.W001"])
    assert check_autovacuum(databases=[]) == []
