"""The errors every API operation can answer, added to the OpenAPI documents in one place.

Authentication (401), the rate limit (429), a body that is not JSON (415) and a record that
does not exist or may not be seen (404) are answered by the plumbing around every view, not
by the view itself: an ``extend_schema`` per view would be forgotten on the next one. An
operation's own description of one of these codes, where it has one, is kept.

Version 1 answers them in its error shape (the ``Errors`` component, ``web.api``). The paths
of before v1 answer them in Django REST framework's shape (``{"detail": "..."}``) but their
domain errors in the v1 shape, so their document names these errors without a body schema.
"""

from __future__ import annotations

import copy
from typing import Any

from schakel.web.api import API_PREFIX, V1_NAMESPACE

V1_PREFIX = f"{API_PREFIX}{V1_NAMESPACE}/"
ERRORS_REF = "#/components/schemas/Errors"
METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}

NOT_AUTHENTICATED = {
    "description": "No, a wrong or a revoked token; or a browser session without the second "
    "factor.",
    "headers": {
        "WWW-Authenticate": {"schema": {"type": "string"}, "description": "Always `Token`."},
    },
}
THROTTLED = {
    "description": "Rate limit reached (SCHAKEL_API_RATE requests per user).",
    "headers": {
        "Retry-After": {
            "schema": {"type": "integer"},
            "description": "Seconds to wait before the next request.",
        },
    },
}
UNSUPPORTED_MEDIA_TYPE = {
    "description": "The body's Content-Type is not one the operation takes (see its request "
    "body; application/json always is)."
}
NOT_FOUND = {"description": "No such record, or not yours to see."}


def add_plumbing_errors(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``)."""
    has_errors_component = "Errors" in result.get("components", {}).get("schemas", {})
    for path, item in result.get("paths", {}).items():
        v1 = path.startswith(V1_PREFIX) and has_errors_component
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            if not v1:
                # Before v1: the shape of an error depends on where it came from; say which
                # errors there are, not a shape that would be wrong for some of them.
                for code, answer in responses.items():
                    if str(code).startswith("4"):
                        answer.pop("content", None)
            additions: dict[str, dict[str, Any]] = {"429": THROTTLED}
            if {} not in operation.get("security", []):
                additions["401"] = NOT_AUTHENTICATED
            if "requestBody" in operation:
                additions["415"] = UNSUPPORTED_MEDIA_TYPE
            if any(p.get("in") == "path" for p in operation.get("parameters", [])):
                additions["404"] = NOT_FOUND
            for code, answer in additions.items():
                if code in responses:
                    continue
                responses[code] = copy.deepcopy(answer)
                if v1:
                    responses[code]["content"] = {
                        "application/json": {"schema": {"$ref": ERRORS_REF}}
                    }
            operation["responses"] = dict(sorted(responses.items(), key=lambda kv: str(kv[0])))
    return result
