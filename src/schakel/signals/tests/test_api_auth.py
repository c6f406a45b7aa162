"""The API's plumbing as seen from the signals endpoints: tokens and the second factor,
throttling, the version header, the OpenAPI document and the docs page without a CDN."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, reverse
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIClient

from schakel.audit.models import AuditEntry
from schakel.partners.models import User
from schakel.testing.personas import World
from schakel.web.api_auth import UserTokenAuthentication, issue_api_token, revoke_api_token

pytestmark = pytest.mark.django_db
SignIn = Callable[[User], Client]
LIST = "/api/v1/signals/"


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    # The rate limit counts in the process's cache, by user id and (travelled) time: start
    # and leave each test with no requests counted, whatever ran before in this process.
    cache.clear()
    with time_machine.travel("2026-11-29 10:00", tick=True):
        yield
    cache.clear()


def with_token(key: str) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Token {key}")


def test_a_token_signs_in_without_the_second_factor(world: World) -> None:
    carla = world.users["care_coordinator"]
    assert carla.needs_two_factor
    response = with_token(issue_api_token(carla)).get(LIST)
    assert response.status_code == 200


def test_a_session_without_the_second_factor_gets_401(world: World, client: Client) -> None:
    client.force_login(world.users["care_coordinator"])
    assert client.get(LIST).status_code == 401
    # Presenting a token does not turn the unverified session into access: the token is
    # checked first and a wrong one is refused.
    assert client.get(LIST, headers={"Authorization": "Token not-a-real-token"}).status_code == 401
    assert client.get(LIST, headers={"Authorization": "Token"}).status_code == 401


def test_a_token_beside_an_unverified_session_reads_neither_session_nor_device(
    world: World, client: Client
) -> None:
    """A request with a token is answered as the token's user: the session beside it (and
    its user's second-factor devices) is not even read."""
    client.force_login(world.users["care_coordinator"])
    key = issue_api_token(world.users["police_analyst"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, headers={"Authorization": f"Token {key}"})
    assert response.status_code == 200
    sent = " ".join(q["sql"] for q in queries)
    assert "django_session" not in sent and "otp_" not in sent
    without_token = client.get(LIST)
    assert without_token.status_code == 401


def test_a_verified_session_works_for_the_browser(world: World, signed_in: SignIn) -> None:
    assert signed_in(world.users["care_coordinator"]).get(LIST).status_code == 200


def test_without_credentials_the_api_answers_401(world: World) -> None:
    response = APIClient().get(LIST)
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    assert response.json()["errors"][0]["code"] == "not_authenticated"


def test_a_replaced_or_revoked_token_no_longer_works(world: World) -> None:
    carla = world.users["care_coordinator"]
    first = issue_api_token(carla)
    second = issue_api_token(carla)
    assert with_token(first).get(LIST).status_code == 401
    assert with_token(second).get(LIST).status_code == 200
    assert revoke_api_token(carla) is True
    assert with_token(second).get(LIST).status_code == 401
    actions = list(
        AuditEntry.objects.filter(action__startswith="api_token").values_list("action", flat=True)
    )
    assert actions == ["api_token_create", "api_token_replace", "api_token_revoke"]


def test_a_token_follows_the_sign_in_rules(world: World) -> None:
    key = issue_api_token(world.users["outsider"])
    world.municipality_b.is_active = False
    world.municipality_b.save()
    response = with_token(key).get(LIST, headers={"Accept-Language": "en"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "User inactive or deleted."


def test_too_many_requests_get_429_with_retry_after(world: World, settings: object) -> None:
    settings.SCHAKEL_API_RATE = "3/min"  # type: ignore[attr-defined]
    client = with_token(issue_api_token(world.users["police_analyst"]))
    answers = [client.get(LIST) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert 0 < int(answers[-1]["Retry-After"]) <= 60
    assert answers[-1].json()["errors"][0]["code"] == "throttled"
    # Per user: a colleague is not slowed down by it.
    assert with_token(issue_api_token(world.users["ngo_worker"])).get(LIST).status_code == 200


@pytest.mark.parametrize(
    "path", [LIST, "/api/v1/signals/S-0000-000000/", "/api/v1/me/", "/api/me/", "/api/v1/nothing/"]
)
def test_every_api_response_says_its_version(world: World, path: str) -> None:
    response = with_token(issue_api_token(world.users["care_coordinator"])).get(path)
    assert response["API-Version"] == "1"
    assert APIClient().get(path)["API-Version"] == "1"


def test_pages_outside_the_api_have_no_version_header(world: World, client: Client) -> None:
    assert not client.get(reverse("login")).has_header("API-Version")


def test_an_unknown_api_address_answers_404_in_the_api_error_shape(world: World) -> None:
    response = with_token(issue_api_token(world.users["care_coordinator"])).get(
        "/api/v1/signal/", headers={"Accept-Language": "nl"}
    )
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response["API-Version"] == "1"
    assert response.json() == {"errors": [{"code": "not_found", "message": "Niet gevonden."}]}


def test_pages_outside_the_api_keep_the_html_404_and_the_slash_redirect(
    world: World, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404 and missing["Content-Type"].startswith("text/html")
    redirect = client.get("/tasks")
    assert redirect.status_code == 301 and redirect["Location"] == "/tasks/"


@pytest.mark.parametrize(
    ("path", "api"), [("/api/v1/signals/", True), ("/api/me/", True), ("/tasks/", False)]
)
def test_a_server_error_in_the_api_answers_json_and_on_pages_html(path: str, api: bool) -> None:
    handler = get_resolver().resolve_error_handler(500)
    response = handler(RequestFactory().get(path))
    assert response.status_code == 500
    if api:
        assert response["Content-Type"] == "application/json"
        assert json.loads(response.content)["errors"][0]["code"] == "server_error"
    else:
        assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/signals/S-0000-000000/",
        "/api/v1/cases/999999/",
        "/api/v1/entities/999999/",
        "/api/v1/tasks/999999/",
        "/api/v1/users/999999/",
        "/api/v1/organisations/999999/",
        "/api/v1/sharing-groups/999999/",
        "/api/v1/region-contacts/999999/",
        "/api/tasks/999999/",
    ],
)
def test_not_found_says_the_same_translated_words_everywhere(world: World, path: str) -> None:
    # Never the model's name, and in the language asked for.
    response = with_token(issue_api_token(world.users["care_coordinator"])).get(
        path, headers={"Accept-Language": "nl"}
    )
    assert response.status_code == 404
    data = response.json()
    message = data["errors"][0]["message"] if "errors" in data else data["detail"]
    assert message == "Niet gevonden."


def test_the_unversioned_paths_of_before_v1_keep_working(world: World) -> None:
    client = with_token(issue_api_token(world.users["care_coordinator"]))
    assert client.get("/api/me/").json() == client.get("/api/v1/me/").json()
    assert client.get("/api/signals/").status_code == 404  # new endpoints are v1 only


def test_the_openapi_document_describes_the_signal_endpoints(world: World) -> None:
    response = with_token(issue_api_token(world.users["care_coordinator"])).get(
        "/api/v1/openapi.json"
    )
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.0")
    assert document["info"]["version"] == "1"
    paths = document["paths"]
    for path in (
        "/api/v1/signals/",
        "/api/v1/signals/{reference}/",
        "/api/v1/signals/{reference}/retriage/",
        "/api/v1/tasks/",
        "/api/v1/me/",
    ):
        assert path in paths, path
    assert all(path.startswith("/api/v1/") for path in paths)
    assert set(paths["/api/v1/signals/"]) >= {"get", "post"}
    assert set(paths["/api/v1/signals/{reference}/"]) >= {"get", "patch"}
    headers = [p["name"] for p in paths["/api/v1/signals/"]["post"].get("parameters", [])]
    assert "Idempotency-Key" in headers
    assert "tokenAuth" in document["components"]["securitySchemes"]


def test_the_docs_page_loads_without_other_hosts(world: World, signed_in: SignIn) -> None:
    response = signed_in(world.users["care_coordinator"]).get("/api/v1/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/api/v1/openapi.json" in page
    sources = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", page)
    assert sources, "the page loads its scripts and styles"
    external = [s for s in sources if s.startswith(("http:", "https:", "//"))]
    assert external == []
    assert not [s for s in sources if "cdn" in s.lower()]
    # A CDN's name in a script (cdn.jsdelivr.net, unpkg.com/...), not the letters "cdn" by
    # chance inside the page's random CSRF token (which once failed this test).
    assert not re.search(r"cdn[.\-/]|unpkg|jsdelivr|cdnjs", page.lower())


def test_the_account_page_makes_shows_once_replaces_and_revokes_a_token(
    world: World, signed_in: SignIn
) -> None:
    carla = world.users["care_coordinator"]
    client = signed_in(carla)
    assert 'data-testid="api-token"' in client.get(reverse("account")).content.decode()
    made = client.post(reverse("account"), {"action": "api_token"}).content.decode()
    key = Token.objects.get(user=carla).key
    assert f'<code data-testid="new-api-token">{key}</code>' in made
    assert key not in client.get(reverse("account")).content.decode()  # shown once
    client.post(reverse("account"), {"action": "api_token"})
    assert Token.objects.get(user=carla).key != key
    revoked = client.post(reverse("account"), {"action": "api_token_revoke"})
    assert revoked.status_code == 302 and not Token.objects.filter(user=carla).exists()


def test_a_deactivated_user_or_organisation_is_refused_at_the_next_request(world: World) -> None:
    piet = world.users["police_analyst"]
    client = with_token(issue_api_token(piet))
    assert client.get(LIST).status_code == 200
    User.objects.filter(pk=piet.pk).update(is_active=False)
    assert client.get(LIST).status_code == 401
    User.objects.filter(pk=piet.pk).update(is_active=True)
    assert client.get(LIST).status_code == 200
    world.police_a.is_active = False
    world.police_a.save()
    assert client.get(LIST).status_code == 401


def test_a_token_is_checked_with_its_user_and_organisation_in_one_query(world: World) -> None:
    carla = world.users["care_coordinator"]
    key = issue_api_token(carla)
    with CaptureQueriesContext(connection) as queries:
        user, token = UserTokenAuthentication().authenticate_credentials(key)
        # Loaded as select_related would leave them: no query for either afterwards.
        assert token.user == user == carla and token.key == key
        assert user.organisation == world.municipality_a
        assert user.organisation.is_active is True and user.is_active is True
    assert len(queries) == 1
    with pytest.raises(AuthenticationFailed):
        UserTokenAuthentication().authenticate_credentials(key[:-1] + "x")


def test_a_superuser_without_an_organisation_may_use_a_token(world: World) -> None:
    root = User.objects.create_superuser("root", "root@example.test", "not-used-here")
    user, _token = UserTokenAuthentication().authenticate_credentials(issue_api_token(root))
    assert user == root and user.organisation is None and user.is_superuser is True


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, operation


def test_the_openapi_document_lists_the_errors_every_operation_can_answer(world: World) -> None:
    document = (
        with_token(issue_api_token(world.users["care_coordinator"]))
        .get("/api/v1/openapi.json")
        .json()
    )
    errors = {"$ref": "#/components/schemas/Errors"}
    missing = []
    for path, method, operation in _operations(document):
        expected = {"401", "429"}
        if "{" in path:
            expected.add("404")
        if "requestBody" in operation:
            expected.add("415")
        responses = operation["responses"]
        missing += [f"{method} {path} {code}" for code in sorted(expected - set(responses))]
        for code in expected & set(responses):
            assert responses[code]["content"]["application/json"]["schema"] == errors
    assert missing == []
    patch = document["paths"]["/api/v1/signals/{reference}/"]["patch"]["responses"]
    assert "409" in patch
    throttled = document["paths"]["/api/v1/signals/"]["get"]["responses"]["429"]
    assert "Retry-After" in throttled["headers"]


def test_the_document_of_before_v1_names_its_errors_without_the_v1_shape(world: World) -> None:
    document = (
        with_token(issue_api_token(world.users["care_coordinator"])).get("/api/schema/?format=json")
    ).json()
    for _path, _method, operation in _operations(document):
        assert {"401", "429"} <= set(operation["responses"])
        for code, answer in operation["responses"].items():
            if code.startswith("4"):
                assert "content" not in answer, (_path, code)
