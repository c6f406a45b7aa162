"""gunicorn settings used by ``schakel serve``.

``gc.freeze()`` after the fork moves everything loaded at start-up (Django, the rule files,
the access matrix) out of the garbage collector's view: the periodic full collections then
no longer walk the whole heap during a request, which cut the agenda page's p95 from about
230 ms to about 140 ms in ``bench/agenda.py``.
"""

from __future__ import annotations

import gc
from typing import Any


def post_fork(server: Any, worker: Any) -> None:
    gc.freeze()
