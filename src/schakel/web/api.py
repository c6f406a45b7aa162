"""API plumbing shared by every app: domain errors become JSON with a field and a message."""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from schakel.errors import SchakelError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, SchakelError):
        return Response({"errors": exc.as_list()}, status=exc.status_code)
    return drf_exception_handler(exc, context)
