"""A test-only URL map: the site's own URLs plus views that read many records."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from schakel.audit import services


def thousand_records(request: HttpRequest) -> HttpResponse:
    services.record_read(request, "test.thing", range(1000), purpose="case_work")
    # The same records again (a detail panel), and some of another type.
    services.record_read(request, "test.thing", [5, 6], purpose="case_work")
    services.record_read(request, "test.other", ["b", "a"], purpose="signal_table")
    return HttpResponse("a long list")


def reads_then_refuses(request: HttpRequest) -> HttpResponse:
    services.record_read(request, "test.thing", [1])
    return HttpResponse("no", status=403)


urlpatterns = [
    path("audit-test/thousand/", thousand_records),
    path("audit-test/refused/", reads_then_refuses),
    path("", include("schakel.urls")),
]
