"""pytest plugin loaded before Django: picks the test database and provides the personas.

``SCHAKEL_TEST_DATABASE_URL`` runs the unchanged suite on PostgreSQL. With ``CI=true`` a
requested service that is missing fails the run instead of skipping.
"""

from __future__ import annotations

import os
import tempfile

# Settings are read when Django starts, which pytest-django does after this module loads.
if os.environ.get("SCHAKEL_TEST_DATABASE_URL"):
    os.environ["SCHAKEL_DATABASE_URL"] = os.environ["SCHAKEL_TEST_DATABASE_URL"]
os.environ.setdefault("SCHAKEL_DATA_DIR", tempfile.mkdtemp(prefix="schakel-test-"))
os.environ.setdefault("SCHAKEL_LOG_FORMAT", "text")
os.environ.setdefault("SCHAKEL_LOG_LEVEL", "warning")

import pytest

from schakel.testing.browser import browser, live_world  # noqa: F401 - fixtures for every module
from schakel.testing.personas import *  # noqa: F403 - fixtures for every test module


@pytest.fixture(autouse=True)
def _fast_password_hasher(request: pytest.FixtureRequest) -> None:
    # Argon2 is deliberately slow; tests hash hundreds of passwords. Production keeps
    # Argon2 (test_it_hashes_passwords_with_argon2 checks the real setting). Tests that run
    # without Django (-p no:django, e.g. the linkage engine's) have no settings to change.
    if not request.config.pluginmanager.hasplugin("django"):
        return
    settings = request.getfixturevalue("settings")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
