"""Request ids (one per request, echoed in a header and used by the audit log) and the API's
version header."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from schakel.web.api import API_PREFIX, API_VERSION

_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    header = "X-Request-ID"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(self.header, "")
        # Accept a proxy's id only when it is well-formed; never log arbitrary client input.
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        response = self.get_response(request)
        response[self.header] = request_id
        return response


class ApiVersionMiddleware:
    """Every response under /api/ says which version of the API answered (``API-Version``),
    errors included: a client can tell v1 behaviour from a later one without parsing bodies."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(API_PREFIX):
            response["API-Version"] = API_VERSION
        return response
