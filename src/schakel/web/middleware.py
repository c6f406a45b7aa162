"""Request ids (one per request, echoed in a header and used by the audit log), the API's
version header, and the refusal of addresses that hold a NUL character."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.middleware.common import CommonMiddleware
from django.utils.translation import gettext as _

from schakel.web.api import API_PREFIX, API_VERSION, is_api_path

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


class NulCharacterMiddleware:
    """A NUL character in the address or its query (``%00``) is refused with a 400 before any
    view runs: PostgreSQL cannot hold one in a text value and fails the query it reaches (a
    500), where SQLite quietly finds nothing. Request bodies are checked by the forms' and
    serializers' own validators."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            message = _("The address holds a character that is not allowed (NUL).")
            if request.path.startswith(API_PREFIX):
                return JsonResponse(
                    {"errors": [{"code": "invalid", "message": message}]}, status=400
                )
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class ApiAwareCommonMiddleware(CommonMiddleware):
    """Django's CommonMiddleware, without the trailing-slash redirect under /api/.

    A 301 from ``POST /api/v1/signals`` to ``/api/v1/signals/`` is followed by HTTP clients as
    a GET: the client sees the list with 200 and believes its signal was handed in. The API
    answers 404 instead, naming the address with the slash (``web.views.page_not_found``);
    the pages keep the redirect.
    """

    def should_redirect_with_slash(self, request: HttpRequest) -> bool:
        if is_api_path(request):
            return False
        return bool(super().should_redirect_with_slash(request))
