"""gunicorn settings used by ``schakel serve``.

Each worker loads the application (Django, the URL configuration with every view module, the
rule files, the access matrix) and then calls ``gc.freeze()``: all of that moves out of the
garbage collector's view, so that its collections walk only what requests allocate instead
of the whole heap. Freezing right after the fork, before the application was loaded (as this
file did first), left the application in view. The agenda page's p95 fell from about 230 to
140 ms with a frozen heap (``bench/agenda.py``); API intake in gunicorn showed no measurable
difference (docs/benchmarks.md, "three round trips fewer").
"""

from __future__ import annotations

import gc
from typing import Any


def post_worker_init(worker: Any) -> None:
    """After the worker loaded the application: load the URL configuration too (Django
    would at the first request) with its names for reversing, and the reviewed rule files
    every request may need (each read and checked against its schema once per process), then
    freeze what is there. The first requests of a new worker then cost what the others do."""
    from django.urls import get_resolver, reverse

    from schakel.access import matrix
    from schakel.cases import rules as case_rules
    from schakel.signals.rules import indicators, retention, triage, vocabulary

    get_resolver().url_patterns  # noqa: B018 - imports every view module
    reverse("home")
    for load in (
        matrix.current,
        vocabulary.current,
        indicators.catalogue,
        triage.current,
        retention.current,
        case_rules.domains,
        case_rules.deadlines,
    ):
        load()
    gc.collect()
    gc.freeze()
