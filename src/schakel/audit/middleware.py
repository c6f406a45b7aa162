"""One ``read`` entry per request, listing every object whose personal data it showed."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from schakel.audit import services


class AuditMiddleware:
    """Collects :func:`services.record_read` calls during a request and writes them as one
    entry when the response is successful (2xx or 3xx).

    Failed responses show no records, so their reads are not logged. If the entry cannot be
    written the error propagates: personal data must not leave without its audit trail.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        services.start_collecting(request)
        response = self.get_response(request)
        if response.status_code < 400:
            services.write_collected_reads(request)
        return response
