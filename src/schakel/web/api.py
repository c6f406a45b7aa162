"""API plumbing shared by every app: the version, and errors as JSON with a field and a message.

Version 1 (``/api/v1/``) answers every error in one shape::

    {"errors": [{"code": "invalid", "field": "persons[0].date_of_birth", "message": "..."}]}

``field`` is the path of the field in the request body and is left out when the problem is
not about one field (authentication, throttling, not found). Messages are in the language the
request asked for (Accept-Language). The unversioned paths kept for the clients of before v1
(``/api/...``) answer domain errors in the same shape and Django REST framework's own
validation errors in its shape (``{"field": ["message"]}``), as they always did.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from schakel.errors import SchakelError

#: The version of the API; every response under API_PREFIX carries it as ``API-Version``.
API_VERSION = "1"
API_PREFIX = "/api/"
#: The URL namespace of version 1 (``schakel.urls``): reverse("v1:signal-detail", ...).
V1_NAMESPACE = "v1"


def is_api_path(request: HttpRequest) -> bool:
    """Is the request addressed to the API (any version), whether or not a view answers it?"""
    return request.path_info.startswith(API_PREFIX)


def is_v1(request: HttpRequest | None) -> bool:
    """Did the request reach its view through /api/v1/ (not the unversioned alias)?"""
    match = getattr(request, "resolver_match", None)
    return match is not None and V1_NAMESPACE in match.namespaces


class ProblemSerializer(serializers.Serializer[Any]):
    """One problem of an error answer (for the OpenAPI document)."""

    code = serializers.CharField(help_text="Stable code: invalid, required, unknown_field, ...")
    field = serializers.CharField(required=False, help_text="e.g. persons[0].date_of_birth")
    message = serializers.CharField(help_text="In the language of Accept-Language.")


#: Every error answer of version 1: {"errors": [problem, ...]}. One instance, so that the
#: OpenAPI document has one component for it.
ERRORS = inline_serializer("Errors", {"errors": ProblemSerializer(many=True)})


def error(description: str) -> OpenApiResponse:
    """An error answer of version 1, for ``extend_schema(responses=...)``."""
    return OpenApiResponse(response=ERRORS, description=description)


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "too_large"
    default_detail = _("The request body is too large.")


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, SchakelError):
        return Response({"errors": exc.as_list()}, status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        # Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE before reading it; say so
        # as the API does, rather than with Django's bare 400 page.
        exc = RequestTooLarge()
    elif isinstance(exc, Http404):
        # get_object_or_404's message names the model ("No Task matches the given query."),
        # in English whatever the client asked: say what every other endpoint says.
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None or not is_v1(context.get("request")):
        return response
    if isinstance(exc, exceptions.ValidationError):
        problems = list(flatten_errors(exc.detail))
    else:
        # Everything else DRF answers as {"detail": ErrorDetail}; its headers (Retry-After,
        # WWW-Authenticate) stay on the response.
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        problems = [{"code": str(getattr(detail, "code", "error")), "message": str(detail)}]
    response.data = {"errors": problems}
    return response


def flatten_errors(detail: Any, path: str = "") -> Iterator[dict[str, str]]:
    """DRF's nested error structure as flat problems with a field path:
    ``{"persons": [{}, {"date_of_birth": [..]}]}`` → ``persons[1].date_of_birth``."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key == api_settings.NON_FIELD_ERRORS_KEY:
                sub = path
            elif isinstance(key, int):
                sub = f"{path}[{key}]"
            else:
                sub = f"{path}.{key}" if path else str(key)
            yield from flatten_errors(value, sub)
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            if isinstance(item, dict | list):
                yield from flatten_errors(item, f"{path}[{index}]")
            else:
                yield from flatten_errors(item, path)
    else:
        problem = {"code": str(getattr(detail, "code", None) or "invalid")}
        if path:
            problem["field"] = path
        problem["message"] = str(detail)
        yield problem
