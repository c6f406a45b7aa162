from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from schakel.audit import services
from schakel.audit.middleware import AuditMiddleware
from schakel.audit.models import AuditEntry

from . import urls as test_urls

pytestmark = pytest.mark.django_db


def _request() -> Any:
    request = RequestFactory().get("/records/")
    request.user = SimpleNamespace(pk=7, organisation_id=3, is_authenticated=True)
    request.request_id = "req-0123456789"
    return request


def test_a_request_that_shows_a_thousand_records_writes_one_entry() -> None:
    AuditMiddleware(test_urls.thousand_records)(_request())

    entry = AuditEntry.objects.get()
    assert entry.action == "read"
    assert entry.object_ids == {"test.other": ["a", "b"], "test.thing": list(range(1000))}
    assert entry.object_type == "test.other,test.thing"
    assert entry.purpose == "case_work; signal_table"
    assert entry.details == {"count": 1002}
    assert (entry.actor_id, entry.organisation_id, entry.request_id) == (7, 3, "req-0123456789")
    assert services.verify().ok


def test_a_request_that_reads_nothing_writes_nothing() -> None:
    AuditMiddleware(lambda request: HttpResponse("home"))(_request())

    assert not AuditEntry.objects.exists()


def test_a_refused_request_writes_no_read() -> None:
    AuditMiddleware(test_urls.reads_then_refuses)(_request())

    assert not AuditEntry.objects.exists()


def test_a_view_that_fails_writes_no_read() -> None:
    def failing(request: HttpRequest) -> HttpResponse:
        services.record_read(request, "test.thing", [1])
        raise RuntimeError("the page broke before it was shown")

    with pytest.raises(RuntimeError):
        AuditMiddleware(failing)(_request())

    assert not AuditEntry.objects.exists()


def test_a_redirect_after_reading_is_recorded() -> None:
    def read_then_redirect(request: HttpRequest) -> HttpResponse:
        services.record_read(request, "test.thing", [4])
        return HttpResponse(status=302, headers={"Location": "/"})

    AuditMiddleware(read_then_redirect)(_request())

    assert AuditEntry.objects.get().object_ids == {"test.thing": [4]}


def test_an_anonymous_read_has_no_actor() -> None:
    request = _request()
    request.user = AnonymousUser()

    AuditMiddleware(test_urls.thousand_records)(request)

    assert (AuditEntry.objects.get().actor_id, AuditEntry.objects.get().organisation_id) == (
        None,
        None,
    )


@pytest.mark.urls("schakel.audit.tests.urls")
def test_the_site_writes_one_entry_for_a_page_of_a_thousand_records(
    signed_in: Callable[[Any], Client], care_coordinator: Any
) -> None:
    client = signed_in(care_coordinator)
    before = AuditEntry.objects.count()

    response = client.get("/audit-test/thousand/")

    assert response.status_code == 200
    new = list(AuditEntry.objects.filter(position__gt=before))
    assert [entry.action for entry in new] == ["read"]
    assert new[0].actor_id == care_coordinator.pk
    assert new[0].organisation_id == care_coordinator.organisation_id
    assert new[0].request_id == response["X-Request-ID"]
    assert len(new[0].object_ids["test.thing"]) == 1000
