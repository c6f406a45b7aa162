"""What a reader meets around the pages: error pages in their language and in the site's
layout, English dates in European order, and the entities in the navigation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from schakel.partners.models import User
from schakel.tasks.models import Task
from schakel.testing.personas import World
from schakel.web.views import server_error

pytestmark = pytest.mark.django_db
SignIn = Callable[[User], Client]


def test_a_missing_page_says_so_in_dutch_within_the_site(world: World, signed_in: SignIn) -> None:
    client = signed_in(world.users["care_coordinator"])
    response = client.get("/cases/99999/")
    page = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="nl"' in page
    assert "Pagina niet gevonden" in page and "Not Found" not in page
    assert 'aria-label="Hoofdnavigatie"' in page  # the site's own layout, with a way on
    english = client.get("/cases/99999/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 404
    assert '<html lang="en"' in english.content.decode()
    assert "Page not found" in english.content.decode()


def test_a_page_the_role_does_not_allow_says_so(world: World, signed_in: SignIn) -> None:
    # Bulk imports are for professionals, not the front desk.
    response = signed_in(world.users["front_desk"]).get(reverse("signal_import"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "Niet toegestaan" in page and "Forbidden" not in page
    assert reverse("home") in page


def test_a_server_error_is_explained_without_the_database(rf: RequestFactory) -> None:
    with translation.override("nl"):
        response = server_error(rf.get("/signals/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert '<html lang="nl">' in page and "Er ging iets mis" in page
    assert "Server Error" not in page


def test_english_dates_put_the_day_first(world: World, signed_in: SignIn) -> None:
    user = world.users["care_coordinator"]
    Task.objects.create(
        title="Call the shelter",
        owner_organisation=user.organisation,
        created_by=user,
        due_date=date(2026, 12, 8),
    )
    client = signed_in(user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("task_list")).content.decode()
    assert "Call the shelter" in page
    assert "08/12/2026" in page and "12/08/2026" not in page


def test_the_navigation_leads_to_the_entities(world: World, signed_in: SignIn) -> None:
    analyst = signed_in(world.users["police_analyst"])
    page = analyst.get(reverse("home")).content.decode()
    assert f'href="{reverse("entity_search")}"' in page
    search = analyst.get(reverse("entity_search")).content.decode()
    assert f'href="{reverse("entity_review")}"' in search  # analysts judge pairs
    front_desk = signed_in(world.users["front_desk"]).get(reverse("home")).content.decode()
    assert 'data-testid="nav-entities"' not in front_desk


def test_a_task_names_its_case_once(world: World, signed_in: SignIn) -> None:
    user = world.users["care_coordinator"]
    for title in ("Planactie Veiligheid (casus Z-00003)", "Bel de opvang"):
        Task.objects.create(
            title=title,
            reference="Z-00003",
            owner_organisation=user.organisation,
            created_by=user,
        )
    page = signed_in(user).get(reverse("task_list")).content.decode()
    assert "Planactie Veiligheid (casus Z-00003)</a>" in page
    assert page.count("(Z-00003)") == 1  # only beside the task that does not name it


def test_a_list_to_choose_from_says_so_in_the_readers_language(world: World) -> None:
    from django import forms

    from schakel.partners.models import Organisation

    class Choice(forms.Form):
        to = forms.ModelChoiceField(queryset=Organisation.objects.all())
        named = forms.ModelChoiceField(
            queryset=Organisation.objects.all(), empty_label="Nobody in particular"
        )

    with translation.override("nl"):
        html = str(Choice())
    assert '<option value="" selected>Kies…</option>' in html
    assert "Nobody in particular" in html and "---------" not in html
