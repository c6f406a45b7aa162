from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_messages() -> Iterator[None]:
    # Messages are asserted in their English source form, whatever LANGUAGE the settings
    # choose and whatever Dutch translations are added later.
    with translation.override("en"):
        yield
