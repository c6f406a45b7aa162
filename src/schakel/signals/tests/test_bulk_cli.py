"""``schakel import``: a dry run, a real import with a progress bar, problems and the report."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from schakel.cli import build_parser
from schakel.signals.models import Signal
from schakel.signals.tests.test_bulk_import import GOOD_ROW, csv_file, row
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    with time_machine.travel("2026-11-29 10:00", tick=True):
        yield


def _import(path: Path, *args: str, **options: object) -> str:
    out = io.StringIO()
    call_command(
        "schakel_import",
        str(path),
        *args,
        organisation="Gemeente Breda",
        user="carla",
        language="en",
        stdout=out,
        **options,
    )
    return out.getvalue()


def test_a_dry_run_checks_the_file_and_saves_nothing(world: World, tmp_path: Path) -> None:
    path = tmp_path / "signals.csv"
    path.write_bytes(csv_file([row(external_id="1"), row(external_id="2")]))
    output = _import(path, "--dry-run")
    assert "would create 2 signal(s)" in output and "Nothing was saved" in output
    assert "Checking every row" in output
    assert Signal.objects.count() == 0


def test_it_imports_with_a_progress_bar_and_skips_what_it_imported_before(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "signals.csv"
    path.write_bytes(csv_file([GOOD_ROW]))
    output = _import(path, "--sharing-group", "Signaaltafel Zeeland-West-Brabant")
    signal = Signal.objects.get()
    assert "created 1 signal(s)" in output and signal.reference in output
    assert "Saving the signals" in output
    assert list(signal.sharing_groups.all()) == [world.table_a]
    assert "created 0 signal(s), skipped 1" in _import(path)
    assert Signal.objects.count() == 1


def test_problems_are_printed_and_written_and_nothing_is_saved(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "signals.csv"
    path.write_bytes(csv_file([row(external_id="1"), row(external_id="2", ibans="NL00")]))
    report = tmp_path / "problems.xlsx"
    out = io.StringIO()
    with pytest.raises(CommandError, match="nothing was saved"):
        call_command(
            "schakel_import",
            str(path),
            organisation="Gemeente Breda",
            user="carla",
            language="en",
            report=str(report),
            stdout=out,
        )
    assert "ibans" in out.getvalue() and Signal.objects.count() == 0
    sheet = load_workbook(report).active
    assert sheet is not None
    assert [c.value for c in sheet[2]][:2] == ["3", "ibans"]


def test_it_refuses_someone_outside_the_organisation_or_the_front_desk(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "signals.csv"
    path.write_bytes(csv_file([GOOD_ROW]))
    with pytest.raises(CommandError, match="no user"):
        call_command("schakel_import", str(path), organisation="Gemeente Breda", user="otto")
    with pytest.raises(CommandError, match="may not import"):
        call_command("schakel_import", str(path), organisation="Gemeente Breda", user="fenna")
    with pytest.raises(CommandError, match="not a member"):
        _import(path, "--sharing-group", "Signaaltafel Noord-Nederland")


def test_the_command_line_knows_the_import_command() -> None:
    args = build_parser().parse_args(
        ["import", "f.csv", "--organisation", "X", "--user", "u", "--dry-run"]
    )
    assert (args.command, args.file, args.dry_run) == ("import", "f.csv", True)
    result = subprocess.run(
        [sys.executable, "-m", "schakel.cli", "import", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and "--dry-run" in result.stdout


def test_schakel_import_passes_its_options_to_the_command(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from schakel.cli import main

    path = tmp_path / "signals.csv"
    path.write_bytes(csv_file([GOOD_ROW]))
    common = ["import", str(path), "--organisation", "Gemeente Breda", "--user", "carla"]
    assert main([*common, "--dry-run", "--language", "en", "--tlp", "GREEN"]) == 0
    assert Signal.objects.count() == 0
    assert main([*common, "--sharing-group", "Signaaltafel Zeeland-West-Brabant"]) == 0
    assert Signal.objects.get().tlp == "AMBER"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_file([row(external_id="HL-2", observed_on="2030-01-01")]))
    assert main(["import", str(bad), "--organisation", "Gemeente Breda", "--user", "carla"]) == 1
    assert "nothing was saved" in capsys.readouterr().err


def test_red_is_no_default_label_for_an_import(world: World, tmp_path: Path) -> None:
    from schakel.signals.models import SharingDefaults

    path = tmp_path / "signals.csv"
    path.write_bytes(csv_file([row(tlp="")]))
    with pytest.raises(CommandError, match="invalid choice: 'RED'"):
        _import(path, "--tlp", "RED")
    SharingDefaults.objects.create(
        organisation=world.municipality_a, tlp="RED", purpose="signal_table_assessment"
    )
    with pytest.raises(CommandError, match="TLP:RED, which goes only to named recipients"):
        _import(path)
    assert "1" in _import(path, "--tlp", "AMBER")
    assert Signal.objects.get().tlp == "AMBER"
