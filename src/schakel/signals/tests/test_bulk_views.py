"""Import pages per persona: upload, the background job through the worker, progress (htmx),
the report of a refused file, the result, template downloads; outsiders get 404."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from schakel.imports.models import ImportJob
from schakel.partners.models import User
from schakel.signals.bulk.jobs import run_import
from schakel.signals.models import Signal
from schakel.signals.tests.test_bulk_import import GOOD_ROW, csv_file, row
from schakel.testing.personas import World, build_world, login

pytestmark = pytest.mark.django_db
SignIn = Callable[[User], Client]


@pytest.fixture(autouse=True)
def _in_english(settings: Any) -> Iterator[None]:
    # Messages are asserted in English: the Dutch catalogue may translate them any day.
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    with time_machine.travel("2026-11-29 10:00", tick=True):
        yield


def _upload(client: Client, world: World, data: bytes, name: str = "s.csv", **extra: object) -> str:
    response = client.post(
        reverse("signal_import"),
        {
            "file": SimpleUploadedFile(name, data),
            "tlp": "AMBER",
            "purpose": "signal_table_assessment",
            "sharing_groups": [world.table_a.pk],
            **extra,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return str(response["Location"])


def _job() -> ImportJob:
    return ImportJob.objects.get()


def test_the_upload_page_offers_the_template_and_the_sharing_defaults(
    world: World, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    page = client.get(reverse("signal_import")).content.decode()
    assert reverse("signal_import_template", args=["xlsx"]) in page
    assert reverse("signal_import_template", args=["csv"]) in page
    assert "Signaaltafel Zeeland-West-Brabant" in page and "victim_date_of_birth" in page
    # Who will see the signals with these defaults: the other members of the table.
    assert 'data-testid="audience"' in page and "Politie Zeeland-West-Brabant" in page


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_template_downloads_and_a_filled_template_imports(
    world: World, signed_in: SignIn, kind: str
) -> None:
    client = signed_in(world.users["care_coordinator"])
    response = client.get(reverse("signal_import_template", args=[kind]))
    assert response.status_code == 200
    assert f"schakel-import-template.{kind}" in response["Content-Disposition"]
    if kind == "xlsx":
        workbook = load_workbook(io.BytesIO(response.content))
        sheet = workbook.worksheets[0]
        names = [cell.value for cell in sheet[1]]
        sheet.append([GOOD_ROW.get(str(name), "") for name in names])
        out = io.BytesIO()
        workbook.save(out)
        filled = out.getvalue()
    else:
        text = response.content.decode("utf-8-sig")
        names = text.strip().split(";")
        out_text = io.StringIO()
        csv.writer(out_text, delimiter=";").writerow([GOOD_ROW.get(n, "") for n in names])
        filled = response.content + out_text.getvalue().encode("utf-8")
    _upload(client, world, filled, name=f"filled.{kind}")
    run_import.call(str(_job().pk))
    job = _job()
    assert job.status == "done", job.outcome
    assert Signal.objects.get().source_key == "HL-1"
    assert job.stored_name == "" and not any(job.stored_path or [])


def test_a_refused_file_shows_its_problems_by_row_and_column(
    world: World, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    data = csv_file([row(external_id="1"), row(external_id="2", observed_on="2027-01-01")])
    progress = _upload(client, world, data)
    run_import.call(str(_job().pk))
    response = client.get(progress)
    report = reverse("signal_import_report", args=[_job().pk])
    assert response.status_code == 302 and response["Location"] == report
    page = client.get(report).content.decode()
    assert "Nothing was saved" in page and "observed_on" in page and "future" in page
    assert Signal.objects.count() == 0
    download = client.get(reverse("signal_import_report_download", args=[_job().pk, "csv"]))
    lines = download.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "row;column;problem" and lines[1].startswith("3;observed_on;")


def test_the_progress_fragment_polls_and_then_sends_the_browser_on(
    world: World, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    progress = _upload(client, world, csv_file([GOOD_ROW]))
    page = client.get(progress)
    assert page.status_code == 200 and 'hx-trigger="every 1s"' in page.content.decode()
    fragment = client.get(progress, headers={"HX-Request": "true"})
    assert "import-progress" in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    run_import.call(str(_job().pk))
    done = client.get(progress, headers={"HX-Request": "true"})
    assert done["HX-Redirect"] == reverse("signal_import_result", args=[_job().pk])
    result = client.get(done["HX-Redirect"]).content.decode()
    assert Signal.objects.get().reference in result


def test_a_dry_run_from_the_page_reports_and_saves_nothing(world: World, signed_in: SignIn) -> None:
    client = signed_in(world.users["care_coordinator"])
    _upload(client, world, csv_file([GOOD_ROW]), dry_run="on")
    run_import.call(str(_job().pk))
    assert _job().status == "checked" and Signal.objects.count() == 0
    page = client.get(reverse("signal_import_report", args=[_job().pk])).content.decode()
    assert "would create 1 signal" in page


def test_wrong_or_oversized_files_are_refused_on_upload(
    world: World, signed_in: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    from schakel.signals.bulk import reading

    client = signed_in(world.users["care_coordinator"])
    response = client.post(
        reverse("signal_import"),
        {
            "file": SimpleUploadedFile("s.pdf", b"%PDF"),
            "tlp": "AMBER",
            "purpose": "signal_table_assessment",
        },
    )
    assert response.status_code == 200 and ".xlsx" in response.content.decode()
    monkeypatch.setattr(reading, "MAX_BYTES", 10)
    response = client.post(
        reverse("signal_import"),
        {
            "file": SimpleUploadedFile("s.csv", b"description\n" + b"x" * 20),
            "tlp": "AMBER",
            "purpose": "signal_table_assessment",
        },
    )
    assert "MB" in response.content.decode() and not ImportJob.objects.exists()


def test_it_checks_access(world: World, signed_in: SignIn) -> None:
    client = signed_in(world.users["care_coordinator"])
    _upload(client, world, csv_file([GOOD_ROW]))
    job = _job()
    run_import.call(str(job.pk))
    pages = [
        reverse("signal_import_progress", args=[job.pk]),
        reverse("signal_import_report", args=[job.pk]),
        reverse("signal_import_result", args=[job.pk]),
        reverse("signal_import_report_download", args=[job.pk, "xlsx"]),
    ]
    # A colleague who may import sees the organisation's import.
    colleague = signed_in(world.users["org_admin"])
    assert colleague.get(pages[2]).status_code == 200
    for persona in ("outsider", "police_analyst", "front_desk"):
        other = signed_in(world.users[persona])
        for url in pages:
            assert other.get(url).status_code == 404, (persona, url)
    front_desk = signed_in(world.users["front_desk"])
    assert front_desk.get(reverse("signal_import")).status_code == 403
    assert front_desk.get(reverse("signal_import_template", args=["csv"])).status_code == 403
    client.logout()
    assert client.get(pages[0]).status_code == 302  # to the login page


@pytest.mark.django_db(transaction=True)
def test_the_job_runs_through_the_worker() -> None:
    world = build_world()
    client = login(Client(), world.users["care_coordinator"])
    rows = [row(external_id=str(n)) for n in range(3)]
    with time_machine.travel("2026-11-29 10:00", tick=True):
        progress = _upload(client, world, csv_file(rows))
        assert _job().status == "queued" and Signal.objects.count() == 0
        call_command("schakel_worker", batch=True)
        job = _job()
        assert job.status == "done" and job.rows_done == 3
        assert run_import.get_result(job.task_id).return_value == {
            "status": "done",
            "rows": 3,
            "problems": 0,
            "skipped": 0,
            "created": 3,
            "to_create": 3,
        }
        assert Signal.objects.count() == 3
        assert client.get(progress)["Location"] == reverse("signal_import_result", args=[job.pk])


def test_a_default_sharing_group_no_group_can_have_is_refused_on_upload(
    world: World, signed_in: SignIn
) -> None:
    """An id beyond the database's range is an invalid choice beside the field, not a 500
    from the query that would look it up (SQLite refuses integers over 64 bits)."""
    client = signed_in(world.users["care_coordinator"])
    response = client.post(
        reverse("signal_import"),
        {
            "file": SimpleUploadedFile("s.csv", csv_file([row()])),
            "tlp": "AMBER",
            "purpose": "signal_table_assessment",
            "sharing_groups": [str(2**63)],
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["sharing_groups"]
    assert not ImportJob.objects.exists()


def test_red_as_the_default_label_is_refused_on_upload(world: World, signed_in: SignIn) -> None:
    client = signed_in(world.users["care_coordinator"])
    response = client.post(
        reverse("signal_import"),
        {
            "file": SimpleUploadedFile("s.csv", csv_file([row(tlp="")])),
            "tlp": "RED",
            "purpose": "signal_table_assessment",
            "sharing_groups": [world.table_a.pk],
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["tlp"] == [
        "TLP:RED goes only to named recipients, and an import cannot name them: choose "
        "another label for the rows that leave theirs empty."
    ]
    assert not ImportJob.objects.exists()


def test_the_template_lists_no_red_label_and_says_what_a_country_takes() -> None:
    from schakel.signals.bulk.template import code_rows, template_xlsx

    labels = {code for column, code, _label in code_rows("en") if column == "tlp"}
    assert labels == {"CLEAR", "GREEN", "AMBER", "AMBER+STRICT"}
    explained = {
        row[0]: str(row[1])
        for row in load_workbook(io.BytesIO(template_xlsx()))
        .worksheets[1]
        .iter_rows(min_row=2, values_only=True)
    }
    for column in ("address_country", "victim_nationality"):
        assert "ISO 3166-1" in explained[column] and "UK for GB" in explained[column], column
    assert "RED is refused" in explained["tlp"]
