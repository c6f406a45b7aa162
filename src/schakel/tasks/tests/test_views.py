"""Task pages and API: our tasks, one task, its actions; the outsider gets 404."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from schakel.partners.models import User
from schakel.tasks import services
from schakel.tasks.models import Status, Task
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db
SignIn = Callable[[User], Client]


@pytest.fixture
def task(world: World) -> Task:
    return services.create_task(world.municipality_a, "Arrange an interpreter")


def test_the_list_shows_our_tasks(world: World, task: Task, signed_in: SignIn) -> None:
    services.create_task(world.police_a, "Police only")
    page = signed_in(world.users["care_coordinator"]).get(reverse("task_list")).content.decode()
    assert "Arrange an interpreter" in page and "Police only" not in page


def test_a_user_adds_and_completes_a_task_in_the_browser_forms(
    world: World, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    response = client.post(reverse("task_create"), {"title": "Visit", "priority": "high"})
    task = Task.objects.get(title="Visit")
    assert response["Location"] == reverse("task_detail", args=[task.pk])
    client.post(reverse("task_action", args=[task.pk, "complete"]), {"note": "Visited"})
    task.refresh_from_db()
    assert task.status == Status.DONE and task.result == "Visited"


def test_the_api_lists_creates_and_completes(world: World, signed_in: SignIn) -> None:
    client = signed_in(world.users["care_coordinator"])
    created = client.post(
        "/api/tasks/", {"title": "Via API", "priority": "urgent"}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert [t["title"] for t in client.get("/api/tasks/").json()["results"]] == ["Via API"]
    done = client.post(
        f"/api/tasks/{pk}/complete/", {"note": "ok"}, content_type="application/json"
    )
    assert done.json()["status"] == "done"
    again = client.post(f"/api/tasks/{pk}/complete/", {}, content_type="application/json")
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "conflict"


def test_the_api_refuses_bad_input_naming_the_field(world: World, signed_in: SignIn) -> None:
    client = signed_in(world.users["care_coordinator"])
    response = client.post(
        "/api/tasks/", {"title": "", "priority": "someday"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"title", "priority"}


def test_cancelling_over_the_api_without_a_reason_names_the_field_it_sent(
    world: World, task: Task, signed_in: SignIn
) -> None:
    """The API takes the reason as ``note``; its error named ``reason``, a field the client
    never sent."""
    client = signed_in(world.users["care_coordinator"])
    response = client.post(
        f"/api/v1/tasks/{task.pk}/cancel/", {"note": " "}, content_type="application/json"
    )
    assert response.status_code == 400
    assert [problem["field"] for problem in response.json()["errors"]] == ["note"]
    task.refresh_from_db()
    assert task.status != Status.CANCELLED
    document = client.get("/api/v1/openapi.json").json()
    assert "400" in document["paths"]["/api/v1/tasks/"]["post"]["responses"]


def test_it_checks_access(world: World, task: Task, signed_in: SignIn) -> None:
    outsider = signed_in(world.users["outsider"])
    assert outsider.get(reverse("task_detail", args=[task.pk])).status_code == 404
    assert outsider.post(reverse("task_action", args=[task.pk, "complete"])).status_code == 404
    assert outsider.get(f"/api/tasks/{task.pk}/").status_code == 404
    assert outsider.post(f"/api/tasks/{task.pk}/complete/").status_code == 404
    task.refresh_from_db()
    assert task.status == Status.OPEN


def test_htmx_filtering_returns_only_the_table(world: World, task: Task, signed_in: SignIn) -> None:
    client = signed_in(world.users["care_coordinator"])
    response = client.get(reverse("task_list"), {"due": "none"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "Arrange an interpreter" in body and "<html" not in body


def test_the_next_page_keeps_the_filters(world: World, signed_in: SignIn) -> None:
    for number in range(55):
        services.create_task(world.municipality_a, f"Task {number}", priority="high")
    page = (
        signed_in(world.users["care_coordinator"])
        .get(reverse("task_list"), {"due": "none", "status": "open"})
        .content.decode()
    )
    assert "?due=none&amp;status=open&amp;page=2" in page


def _list_queries(client: Client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("task_list")
    client.get(url)  # the viewer and the rules are loaded once per process
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_number_of_queries_of_the_list_does_not_grow_with_the_tasks(
    world: World, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    others = [world.users["care_coordinator"], None]
    for i in range(3):
        services.create_task(
            world.municipality_a, f"Taak {i}", owner_user=others[i % 2], reference="Z-00001"
        )
    few = _list_queries(client)
    for i in range(3, 15):
        services.create_task(
            world.municipality_a, f"Taak {i}", owner_user=others[i % 2], reference="Z-00002"
        )
    page = client.get(reverse("task_list")).content.decode()
    assert "Taak 14" in page and "Taak 0" in page
    assert _list_queries(client) == few
