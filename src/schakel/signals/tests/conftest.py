"""Fixtures shared by the signals' API tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import time_machine
from django.core.cache import cache
from rest_framework.test import APIClient

from schakel.partners.models import User
from schakel.web.api_auth import issue_api_token

TokenClient = Callable[[User], APIClient]


@pytest.fixture
def api_clock() -> Iterator[None]:
    """2026-11-29 10:00, with no API requests counted by the rate limit before or after (it
    counts in the process's cache, by user id and travelled time)."""
    cache.clear()
    with time_machine.travel("2026-11-29 10:00", tick=True):
        yield
    cache.clear()


@pytest.fixture
def token_client() -> TokenClient:
    """An API client signed in with a token of the given user."""

    def make(user: User) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user)}")
        return client

    return make
