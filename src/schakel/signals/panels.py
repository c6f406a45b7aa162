"""Sections that contexts above signals add to the signal page (entities: where else the
people and things in it are known). The signals app never imports them: they register here
when their app starts, and the page shows what each returns for the signal and viewer."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString

from schakel.signals.models import Signal

#: ``panel(request, signal)`` returns the section's HTML, or None to show nothing. It must
#: apply the access policy itself and audit what it shows.
Panel = Callable[[HttpRequest, Signal], SafeString | None]

_PANELS: list[Panel] = []


def register(panel: Panel) -> None:
    if panel not in _PANELS:
        _PANELS.append(panel)


def render(request: HttpRequest, signal: Signal) -> list[SafeString]:
    return [html for panel in _PANELS if (html := panel(request, signal)) is not None]
