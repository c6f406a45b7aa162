from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import time_machine
from django.core.cache import cache
from rest_framework.test import APIClient

from schakel.partners.models import User
from schakel.web.api_auth import issue_api_token


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    # Signals are observed on 2026-11-20; cases are opened a little later. The API's rate
    # limit counts in the cache by travelled time: start each test with none counted.
    cache.clear()
    with time_machine.travel("2026-11-29 10:00", tick=True):
        yield
    cache.clear()


@pytest.fixture
def token_client() -> Callable[[User], APIClient]:
    """``token_client(user)``: an API client that sends the user's API token."""

    def make(user: User) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user)}")
        return client

    return make
