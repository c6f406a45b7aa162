from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    # Signals are observed on 2026-11-20; cases are opened a little later. The API's rate
    # limit counts in the cache by travelled time: start each test with none counted.
    cache.clear()
    with time_machine.travel("2026-11-29 10:00", tick=True):
        yield
    cache.clear()
