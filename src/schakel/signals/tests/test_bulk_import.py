"""Bulk import through the service: every row checked with the intake's validator before
anything is written, problems named by row and column, no duplicates on a second import, and
the same records as ``create_signal``.

The helpers at the top (rows as dicts → CSV or XLSX bytes) serve the other ``test_bulk_*``
modules too.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from schakel.audit.models import AuditEntry
from schakel.errors import NotAllowed
from schakel.signals.bulk import reading, service
from schakel.signals.bulk.rows import ImportDefaults, content_key
from schakel.signals.bulk.service import ImportOutcome, import_signals
from schakel.signals.intake import (
    AddressInput,
    CompanyInput,
    PersonInput,
    SignalInput,
    validate_signal,
)
from schakel.signals.models import Channel, IdentifierMention, Signal, TriageRecord
from schakel.signals.services import create_signal, signal_committed
from schakel.signals.tests.factories import signal_input
from schakel.signals.writer import ToWrite, signal_reference, write_signals
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 29)


@pytest.fixture(autouse=True)
def _in_english(settings: Any) -> Iterator[None]:
    # Messages are asserted in English: the Dutch catalogue may translate them any day.
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


#: The suite runs on PostgreSQL when the test database is one (``testing.plugin``); known when
#: the tests are collected, so that SQLite runs do not list the PostgreSQL-only variant.
_ON_POSTGRESQL = os.environ.get("SCHAKEL_TEST_DATABASE_URL", "").startswith("postgres")


@pytest.fixture(
    autouse=True,
    params=["after checking", "beside checking"] if _ON_POSTGRESQL else ["after checking"],
)
def _how(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test twice on PostgreSQL: with every row checked before writing (small files),
    and with worker processes checking beside the writing (large files; here every file).
    SQLite writes after checking only."""
    if request.param == "beside checking":
        assert connection.vendor == "postgresql"
        monkeypatch.setattr(service, "BESIDE_FROM_ROWS", 1)
    return str(request.param)


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    with time_machine.travel("2026-11-29 10:00", tick=True):
        yield


GOOD_ROW: dict[str, str] = {
    "external_id": "HL-1",
    "description": "Acht mensen wonen boven een nagelstudio; de baas houdt paspoorten in.",
    "observed_on": "2026-11-20",
    "municipality": "GM0758",
    "forms_of_exploitation": "labour",
    "indicator_ids": "ilo.retention_of_identity_documents;labour.lives_at_workplace",
    "tlp": "AMBER",
    "purpose": "signal_table_assessment",
    "identity_withheld": "nee",
    "victim_given_names": "Ioana",
    "victim_family_name": "Popescu",
    "victim_date_of_birth": "04-03-1999",
    "victim_gender": "female",
    "victim_nationality": "ro",
    "victim_phone": "06 1234 5678",
    "suspect_given_names": "Marius",
    "suspect_family_name": "Dragomir",
    "company_name": "Nagelstudio Glans B.V.",
    "company_kvk": "12345678",
    "address_street": "Ginnekenweg",
    "address_house_number": "12a",
    "address_postcode": "4818 ja",
    "address_city": "Breda",
    "phones": "+31612345678",
    "ibans": "NL91 ABNA 0417 1643 00",
    "plates": "12-ABC-3",
}


def row(**overrides: str) -> dict[str, str]:
    return {**GOOD_ROW, **overrides}


def csv_file(
    rows: Sequence[Mapping[str, str]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    columns: Sequence[str] | None = None,
) -> bytes:
    names = list(columns or dict.fromkeys(name for r in rows for name in r))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(names)
    for values in rows:
        writer.writerow([values.get(name, "") for name in names])
    return out.getvalue().encode(encoding)


def xlsx_file(rows: Sequence[Mapping[str, object]], columns: Sequence[str] | None = None) -> bytes:
    from openpyxl import Workbook

    names = list(columns or dict.fromkeys(name for r in rows for name in r))
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(names)
    for values in rows:
        sheet.append([values.get(name) for name in names])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def run_import(
    world: World,
    data: bytes,
    *,
    user: str = "care_coordinator",
    file_name: str = "signals.csv",
    dry_run: bool = False,
) -> ImportOutcome:
    return import_signals(
        data,
        file_name=file_name,
        submitted_by=world.users[user],
        defaults=ImportDefaults(sharing_group_ids=(world.table_a.pk,)),
        dry_run=dry_run,
    )


def problems_of(outcome: ImportOutcome) -> list[tuple[int, str]]:
    return [(p.row, p.column) for p in outcome.problems]


def test_it_imports_a_valid_csv_with_every_record_of_the_intake(world: World) -> None:
    outcome = run_import(world, csv_file([GOOD_ROW]))
    assert outcome.ok and outcome.status == "done"
    assert [row for row, _ref in outcome.created] == [2]
    signal = Signal.objects.get()
    assert outcome.created[0][1] == signal.reference == f"S-2026-{signal.pk:06d}"
    assert signal.channel == Channel.BULK and signal.source_key == "HL-1"
    assert signal.owner_organisation == world.municipality_a
    assert signal.submitted_by == world.users["care_coordinator"]
    assert signal.municipality is not None and signal.municipality.code == "GM0758"
    assert list(signal.sharing_groups.all()) == [world.table_a]
    assert sorted(signal.indicator_set.values_list("indicator_id", flat=True)) == [
        "ilo.retention_of_identity_documents",
        "labour.lives_at_workplace",
    ]
    victim, suspect = signal.persons.order_by("pk")
    assert (victim.role, victim.given_names, victim.date_of_birth) == (
        "possible_victim",
        "Ioana",
        date(1999, 3, 4),
    )
    assert victim.nationality == "RO" and suspect.role == "suspect"
    assert victim.identifiers.get().normalised == "+31612345678"
    assert sorted(
        IdentifierMention.objects.filter(signal=signal, person=None).values_list(
            "kind", "normalised"
        )
    ) == [("iban", "NL91ABNA0417164300"), ("phone", "+31612345678"), ("plate", "12ABC3")]
    assert signal.companies.get().registration_number == "12345678"
    assert signal.addresses.get().address_key.startswith("NL:4818JA:12")
    record = TriageRecord.objects.get(signal=signal)
    assert record.band == signal.band and record.result["reasons"]
    entry = AuditEntry.objects.get(action="create", object_type="signals.signal")
    assert entry.object_ids == [signal.pk] and entry.details["channel"] == "bulk"


def _comparable(signal: Signal) -> dict[str, Any]:
    """What a signal holds, without what differs by nature (ids, time, channel, key)."""

    def rows(queryset: Any, *exclude: str) -> list[dict[str, Any]]:
        skip = {"id", "signal", "signal_id", "person", "person_id", "created_at", *exclude}
        return [
            {k: v for k, v in row.items() if k not in skip}
            for row in queryset.order_by("pk").values()
        ]

    return {
        "signal": {
            k: v
            for k, v in Signal.objects.filter(pk=signal.pk).values().get().items()
            if k not in {"id", "reference", "channel", "received_at", "created_at", "source_key"}
        },
        "groups": sorted(signal.sharing_groups.values_list("pk", flat=True)),
        "indicators": rows(signal.indicator_set.all()),
        "triage": rows(signal.triage_records.all()),
        "persons": rows(signal.persons.all()),
        "companies": rows(signal.companies.all()),
        "addresses": rows(signal.addresses.all()),
        "identifiers": sorted(
            (r["kind"], r["value"], r["normalised"], r["person_id"] is not None)
            for r in signal.identifiers.values()
        ),
    }


def test_the_batch_writer_stores_exactly_what_create_signal_stores(world: World) -> None:
    run_import(world, csv_file([GOOD_ROW]))
    imported = Signal.objects.get()
    data = SignalInput(
        description=GOOD_ROW["description"],
        observed_on=date(2026, 11, 20),
        municipality="GM0758",
        forms_of_exploitation=["labour"],
        indicator_ids=["ilo.retention_of_identity_documents", "labour.lives_at_workplace"],
        tlp="AMBER",
        purpose="signal_table_assessment",
        sharing_group_ids=[world.table_a.pk],
        persons=[
            PersonInput(
                role="possible_victim",
                given_names="Ioana",
                family_name="Popescu",
                date_of_birth=date(1999, 3, 4),
                gender="female",
                nationality="RO",
                phones=["06 1234 5678"],
            ),
            PersonInput(role="suspect", given_names="Marius", family_name="Dragomir"),
        ],
        companies=[CompanyInput(name="Nagelstudio Glans B.V.", registration_number="12345678")],
        addresses=[
            AddressInput(
                street="Ginnekenweg",
                house_number="12a",
                postcode="4818 ja",
                city="Breda",
                is_place_of_observation=True,
            )
        ],
        phones=["+31612345678"],
        ibans=["NL91 ABNA 0417 1643 00"],
        plates=["12-ABC-3"],
    )
    single = create_signal(data, submitted_by=world.users["care_coordinator"], channel="bulk")
    assert _comparable(imported) == _comparable(single)


def test_it_imports_an_xlsx_file_with_typed_cells(world: World) -> None:
    typed: dict[str, object] = {
        **GOOD_ROW,
        "observed_on": datetime(2026, 11, 20),
        "victim_date_of_birth": datetime(1999, 3, 4),
        "company_kvk": 12345678,
    }
    outcome = run_import(world, xlsx_file([typed]), file_name="signals.xlsx")
    assert outcome.ok, outcome.problems
    assert outcome.kind == "xlsx"
    signal = Signal.objects.get()
    assert signal.observed_on == date(2026, 11, 20)
    assert signal.companies.get().registration_number == "12345678"


def test_a_file_with_one_bad_row_writes_nothing_and_names_row_and_column(world: World) -> None:
    rows = [
        row(external_id="1"),
        row(external_id="2", ibans="NL91ABNA0417164301"),
        row(external_id="3"),
    ]
    outcome = run_import(world, csv_file(rows))
    assert outcome.status == "refused"
    assert problems_of(outcome) == [(3, "ibans")]
    assert "IBAN" in outcome.problems[0].message
    assert Signal.objects.count() == 0
    assert not AuditEntry.objects.filter(object_type="signals.signal").exists()


def test_it_refuses_unknown_columns_naming_them(world: World) -> None:
    data = csv_file([{**GOOD_ROW, "naam slachtoffer": "x", "Colour": "red"}])
    outcome = run_import(world, data)
    assert outcome.status == "refused" and Signal.objects.count() == 0
    (message,) = outcome.file_problems
    assert "naam_slachtoffer" in message and "colour" in message


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("cp1252", ";"), ("utf-8-sig", ","), ("utf-8-sig", ";"), ("utf-8", "\t"), ("utf-16", ";")],
)
def test_it_reads_windows_1252_and_utf_8_with_a_byte_order_mark(
    world: World, encoding: str, delimiter: str
) -> None:
    description = "Café aan de Haagweg: € 5 per uur, “geen contract”; Zoë heeft geen paspoort."
    data = csv_file([row(description=description)], delimiter=delimiter, encoding=encoding)
    outcome = run_import(world, data)
    assert outcome.ok, (outcome.file_problems, outcome.problems)
    assert outcome.delimiter == delimiter
    assert Signal.objects.get().description == description


def test_importing_the_same_file_twice_creates_no_duplicates(world: World) -> None:
    rows = [row(external_id="A-1"), row(external_id="", description="Zonder eigen nummer.")]
    first = run_import(world, csv_file(rows))
    assert len(first.created) == 2
    second = run_import(world, csv_file(rows))
    assert second.ok and second.created == []
    references = dict(first.created)
    assert [(s.row, s.reference) for s in second.skipped] == [
        (2, references[2]),
        (3, references[3]),
    ]
    assert Signal.objects.count() == 2


def test_a_row_key_ignores_column_order_case_spacing_and_date_style() -> None:
    one = {"description": "Iemand  op de Markt", "observed_on": "2026-11-20", "phones": "1;2"}
    other = {"phones": "2; 1", "observed_on": "20-11-2026", "description": "iemand op de markt"}
    assert content_key(one) == content_key(other)
    assert content_key(one) != content_key({**one, "description": "Iemand op het Plein"})


def test_repeated_rows_are_written_once_and_a_reused_own_id_is_refused(world: World) -> None:
    outcome = run_import(world, csv_file([row(external_id="X"), row(external_id="X")]))
    assert len(outcome.created) == 1
    assert [(s.row, s.same_as_row) for s in outcome.skipped] == [(3, 2)]
    clash = run_import(
        world, csv_file([row(external_id="Y"), row(external_id="Y", description="Iets anders.")])
    )
    assert problems_of(clash) == [(3, "external_id")]


@pytest.mark.parametrize(
    ("overrides", "column", "fragment"),
    [
        ({"observed_on": "2026-12-25"}, "observed_on", "future"),
        ({"observed_on": "31-02-2026"}, "observed_on", "YYYY-MM-DD"),
        ({"victim_date_of_birth": "2026-11-25"}, "victim_date_of_birth", "born after"),
        ({"ibans": "NL91ABNA0417164300;NL91ABNA0417164301"}, "ibans", "Value 2"),
        ({"victim_phone": "12"}, "victim_phone", "phone number"),
        ({"phones": "+31 6 12"}, "phones", "phone number"),
        ({"indicator_ids": "ilo.deception;made.up"}, "indicator_ids", "made.up"),
        ({"forms_of_exploitation": "gardening"}, "forms_of_exploitation", "gardening"),
        ({"municipality": "GM9999"}, "municipality", "GM9999"),
        ({"tlp": "CLEAR"}, "tlp", "TLP:CLEAR"),
        ({"tlp": "PURPLE"}, "tlp", "TLP"),
        ({"tlp": "RED"}, "tlp", "TLP:RED goes only to named recipients"),
        ({"tlp": "tlp:red"}, "tlp", "an import cannot name them"),
        ({"address_country": "QQ"}, "address_country", "Unknown country code “QQ”"),
        ({"address_country": "1A"}, "address_country", "two-letter"),
        ({"victim_nationality": "QQ"}, "victim_nationality", "Unknown country code “QQ”"),
        ({"sharing_groups": "Signaaltafel Noord-Nederland"}, "sharing_groups", "groups"),
        ({"sharing_groups": "Geen Tafel"}, "sharing_groups", "Geen Tafel"),
        ({"victim_age_band": "18_24"}, "victim_age_band", "18_24"),
        ({"victim_nationality": "Roemeens"}, "victim_nationality", "two-letter"),
        ({"company_kvk": "1234"}, "company_kvk", "KvK"),
        ({"victim_email": "geen-adres"}, "victim_email", "e-mail"),
        ({"identity_withheld": "misschien"}, "identity_withheld", "ja"),
        ({"identity_withheld": "ja"}, "victim_given_names", "withheld"),
        ({"victim_family_name": "x" * 201}, "victim_family_name", "200"),
        ({"description": "", "indicator_ids": ""}, "description", "Describe"),
    ],
)
def test_bad_values_are_named_by_row_and_column(
    world: World, overrides: dict[str, str], column: str, fragment: str
) -> None:
    outcome = run_import(world, csv_file([row(external_id="1"), row(**overrides)]))
    assert outcome.status == "refused"
    found = [p for p in outcome.problems if p.column == column]
    assert found and all(p.row == 3 for p in outcome.problems), outcome.problems
    assert any(fragment in p.message for p in found), found
    assert Signal.objects.count() == 0


def test_row_problems_are_in_the_language_of_the_one_importing(world: World) -> None:
    from django.utils import translation

    bad = row(
        external_id="2",
        observed_on="2026-12-25",
        victim_phone="12",
        ibans="NL91ABNA0417164300;NL91ABNA0417164301",
    )
    data = csv_file([row(external_id="1"), bad])
    found = {}
    for language in ("en", "nl"):
        with translation.override(language):
            outcome = run_import(world, data)
        assert outcome.status == "refused"
        found[language] = {(p.row, p.column): p.message for p in outcome.problems}
    places = {(3, "observed_on"), (3, "victim_phone"), (3, "ibans")}
    assert places <= set(found["en"]) and set(found["en"]) == set(found["nl"])
    for place in places:
        assert found["nl"][place] != found["en"][place], (place, found["nl"][place])
    assert found["nl"][(3, "ibans")].startswith("Waarde 2")
    assert Signal.objects.count() == 0


def test_sharing_groups_may_be_named_or_numbered(world: World) -> None:
    rows = [
        row(external_id="1", sharing_groups="signaaltafel zeeland-west-brabant"),
        row(external_id="2", sharing_groups=str(world.table_a.pk)),
        row(external_id="3", tlp="tlp:green", sharing_groups=""),
    ]
    outcome = run_import(world, csv_file(rows))
    assert outcome.ok, outcome.problems
    for signal in Signal.objects.all():
        assert list(signal.sharing_groups.all()) == [world.table_a]
    assert sorted(Signal.objects.values_list("tlp", flat=True)) == ["AMBER", "AMBER", "GREEN"]


def test_a_dry_run_checks_every_row_and_writes_nothing(world: World) -> None:
    outcome = run_import(
        world, csv_file([row(external_id="1"), row(external_id="2")]), dry_run=True
    )
    assert outcome.status == "checked" and outcome.to_create == 2
    assert Signal.objects.count() == 0


def test_only_those_who_may_change_their_organisations_signals_may_import(world: World) -> None:
    with pytest.raises(NotAllowed):
        run_import(world, csv_file([GOOD_ROW]), user="front_desk")
    assert Signal.objects.count() == 0


def test_too_large_files_and_too_many_rows_are_refused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reading, "MAX_ROWS", 2)
    outcome = run_import(world, csv_file([row(external_id=str(n)) for n in range(3)]))
    assert "more than 2 rows" in outcome.file_problems[0]
    monkeypatch.setattr(reading, "MAX_BYTES", 100)
    outcome = run_import(world, csv_file([GOOD_ROW]))
    assert "MB" in outcome.file_problems[0] and Signal.objects.count() == 0


def test_each_new_signal_is_announced_after_the_commit(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    heard: list[int] = []

    def listen(sender: object, record: Signal, **kwargs: object) -> None:
        heard.append(record.pk)

    signal_committed.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            outcome = run_import(world, csv_file([row(external_id=str(n)) for n in range(3)]))
    finally:
        signal_committed.disconnect(listen)
    assert sorted(heard) == sorted(Signal.objects.values_list("pk", flat=True))
    assert len(outcome.created) == 3


def test_writing_takes_a_few_statements_per_batch_not_per_signal(world: World) -> None:
    few = csv_file([row(external_id=str(n)) for n in range(5)])
    many = csv_file([row(external_id=str(n)) for n in range(5, 65)])
    counts = []
    for data in (few, many):
        with CaptureQueriesContext(connection) as queries:
            assert run_import(world, data).ok
        counts.append(len(queries))
    # Sixty signals cost about as many statements as five (SQLite splits long inserts).
    assert counts[1] < counts[0] + 20, counts


def test_written_signals_carry_the_reference_of_their_own_number(world: World) -> None:
    # PostgreSQL reserves the numbers before the INSERT; SQLite numbers first and updates.
    clean = [
        validate_signal(
            signal_input(description=f"Melding {n}"), owner=world.municipality_a, channel="bulk"
        )
        for n in range(3)
    ]
    with transaction.atomic():
        written = write_signals(
            [ToWrite(c) for c in clean],
            submitted_by=world.users["care_coordinator"],
            channel="bulk",
        )
    stored = dict(Signal.objects.values_list("pk", "reference"))
    assert len(stored) == 3
    for signal in written:
        assert (
            stored[signal.pk] == signal.reference == signal_reference(signal.received_at, signal.pk)
        )
    assert signal_reference(datetime(2026, 1, 1), 7) == "S-2026-000007"
    assert signal_reference(datetime(2026, 1, 1), 1_234_567) == "S-2026-1234567"


def test_an_identity_document_and_a_foreign_address_are_imported(world: World) -> None:
    data = csv_file(
        [
            row(
                victim_identity_number="NP1234567",
                victim_identity_kind="passport",
                address_street="Rue Haute",
                address_house_number="7",
                address_postcode="1000",
                address_city="Brussel",
                address_country="be",
            )
        ]
    )
    outcome = run_import(world, data)
    assert outcome.ok, outcome.problems
    signal = Signal.objects.get()
    identity = IdentifierMention.objects.get(signal=signal, kind="identity")
    assert (identity.subkind, identity.normalised) == ("passport", "NP1234567")
    assert identity.person is not None and identity.person.role == "possible_victim"
    address = signal.addresses.get()
    assert (address.country, address.postcode) == ("BE", "1000")


def test_a_wrong_identity_number_is_named_by_its_column(world: World) -> None:
    data = csv_file([row(victim_identity_number="123456789", victim_identity_kind="bsn")])
    outcome = run_import(world, data)
    assert not outcome.ok and Signal.objects.count() == 0
    assert [p.column for p in outcome.problems] == ["victim_identity_number"]


def test_a_row_imported_before_is_skipped_unchecked_even_if_it_changed(world: World) -> None:
    first = run_import(world, csv_file([row(external_id="A-1")]))
    changed = run_import(
        world, csv_file([row(external_id="A-1", observed_on="2026-12-25"), row(external_id="A-2")])
    )
    assert changed.ok, changed.problems
    assert [(s.row, s.reference) for s in changed.skipped] == [(2, first.created[0][1])]
    assert [row for row, _reference in changed.created] == [3]


@pytest.mark.parametrize("cell", ["²", "٣", "99999999999999999999", str(2**63), "0"])
def test_a_sharing_group_number_no_group_can_have_is_named_as_unknown(
    world: World, cell: str
) -> None:
    """A cell of digits is a group's id only in ASCII digits and within the database's range
    of ids: "²" is a digit to ``str.isdigit`` but not to ``int``, and an id over 64 bits cannot
    be looked up (SQLite raises OverflowError). Either is an unknown group on its column."""
    outcome = run_import(world, csv_file([row(sharing_groups=cell)]))
    assert outcome.status == "refused"
    assert problems_of(outcome) == [(2, "sharing_groups")]
    assert not Signal.objects.exists()


def _with_cached_values(
    data: bytes, values: Mapping[str, str], types: Mapping[str, str] | None = None
) -> bytes:
    """The workbook ``data`` with a cached value stored for the formula cell at each
    coordinate, as Excel stores one (openpyxl stores none), of type "str" or as in ``types``
    (e.g. "e" for an error value)."""
    import re
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = content.decode("utf-8")
                for coordinate, value in values.items():
                    kind = (types or {}).get(coordinate, "str")
                    text = re.sub(
                        rf'<c r="{coordinate}"([^>]*)><f>(.*?)</f><v\s*/>',
                        rf'<c r="{coordinate}"\1 t="{kind}"><f>\2</f><v>{value}</v>',
                        text,
                    )
                content = text.encode("utf-8")
            target.writestr(item, content)
    return out.getvalue()


def test_a_date_cell_with_a_time_of_day_is_read_as_its_date(world: World) -> None:
    typed: dict[str, object] = {
        **GOOD_ROW,
        "observed_on": datetime(2026, 11, 20, 14, 30),
        "victim_date_of_birth": datetime(1999, 3, 4, 0, 0, 1),
    }
    outcome = run_import(world, xlsx_file([typed]), file_name="signals.xlsx")
    assert outcome.ok, outcome.problems
    signal = Signal.objects.get()
    assert signal.observed_on == date(2026, 11, 20)
    assert signal.persons.get(role="possible_victim").date_of_birth == date(1999, 3, 4)
    # A CSV saved from such a cell holds the same date and time: read the same way.
    again = run_import(world, csv_file([row(external_id="HL-2", observed_on="20-11-2026 14:30")]))
    assert again.ok, again.problems
    assert Signal.objects.get(source_key="HL-2").observed_on == date(2026, 11, 20)
    bad = run_import(world, csv_file([row(external_id="HL-3", observed_on="2026-11-20 25:00")]))
    assert problems_of(bad) == [(2, "observed_on")]


def test_a_formula_without_a_stored_value_is_a_problem_of_its_row_and_column(
    world: World,
) -> None:
    rows: list[dict[str, object]] = [
        {**GOOD_ROW, "external_id": "HL-1"},
        {**GOOD_ROW, "external_id": "HL-2", "victim_family_name": '=UPPER("popescu")'},
        {**GOOD_ROW, "external_id": "HL-3", "description": '=IF(TRUE,"Acht mensen","")'},
    ]
    lone = {"external_id": '=A2&"-bis"'}  # nothing else on its row: not an empty row
    outcome = run_import(world, xlsx_file([*rows, lone]), file_name="signals.xlsx")
    assert outcome.status == "refused" and Signal.objects.count() == 0
    formulas = [(p.row, p.column) for p in outcome.problems if "formula" in p.message]
    assert formulas == [(3, "victim_family_name"), (4, "description"), (5, "external_id")]
    # With the values Excel stores beside its formulas, the file is imported: the stored
    # value is read, the formula never evaluated.
    names = list(GOOD_ROW)
    letter = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    computed = _with_cached_values(
        xlsx_file(rows),
        {
            f"{letter[names.index('victim_family_name')]}3": "POPESCU",
            f"{letter[names.index('description')]}4": "Acht mensen",
        },
    )
    imported = run_import(world, computed, file_name="signals.xlsx")
    assert imported.ok, imported.problems
    victim = Signal.objects.get(source_key="HL-2").persons.get(role="possible_victim")
    assert victim.family_name == "POPESCU"
    assert Signal.objects.get(source_key="HL-3").description == "Acht mensen"


def test_a_number_typed_in_a_text_column_reads_as_its_digits(world: World) -> None:
    typed: list[dict[str, object]] = [
        {**GOOD_ROW, "external_id": 12345.0},
        # Excel holds 15 significant digits: 1234567890123456789 typed as a number is
        # stored as 1.23456789012345E+18 and shown as 1234567890123450000.
        {**GOOD_ROW, "external_id": 1.23456789012345e18, "description": "Tweede."},
    ]
    outcome = run_import(world, xlsx_file(typed), file_name="signals.xlsx")
    assert outcome.ok, outcome.problems
    assert sorted(Signal.objects.values_list("source_key", flat=True)) == [
        "12345",
        "1234567890123450000",
    ]
    again = run_import(world, xlsx_file(typed), file_name="signals.xlsx")
    assert again.ok and not again.created and len(again.skipped) == 2


def test_a_formula_with_an_empty_text_value_is_empty_and_an_error_value_is_a_problem() -> None:
    data = xlsx_file([{"external_id": "HL-1", "description": '=IF(TRUE,"","x")', "tags": "=NA()"}])
    stored = _with_cached_values(data, {"B2": "", "C2": "#N/A"}, {"C2": "e"})
    table = reading.read_table(stored)
    assert table.rows == [(2, ["HL-1", "", ""])]
    assert list(table.unreadable) == [2] and list(table.unreadable[2]) == ["tags"]
    assert "#N/A" in str(table.unreadable[2]["tags"])


def test_a_red_row_or_default_is_refused_at_the_tlp_column_as_a_row_names_no_recipients(
    world: World,
) -> None:
    data = csv_file([row(external_id="1", tlp="RED"), row(external_id="2", tlp="")])
    outcome = import_signals(
        data,
        file_name="signals.csv",
        submitted_by=world.users["care_coordinator"],
        defaults=ImportDefaults(tlp="RED", sharing_group_ids=(world.table_a.pk,)),
    )
    assert outcome.status == "refused" and Signal.objects.count() == 0
    assert [(p.row, p.column) for p in outcome.problems] == [(2, "tlp"), (3, "tlp")]
    assert {p.message for p in outcome.problems} == {
        "TLP:RED goes only to named recipients, and an import cannot name them: choose "
        "another label for this row (its tlp column, or the import's default), or enter the "
        "signal with the full form or the API."
    }
    with translation.override("nl"):
        dutch = run_import(world, csv_file([row(tlp="RED")]))
    assert [p.column for p in dutch.problems] == ["tlp"]
    assert dutch.problems[0].message.startswith("TLP:RED gaat alleen naar genoemde ontvangers")


def test_uk_and_el_are_imported_as_gb_and_gr(world: World) -> None:
    data = csv_file(
        [
            row(
                external_id="1",
                victim_nationality="uk",
                address_street="Baker Street",
                address_house_number="221b",
                address_postcode="NW1 6XE",
                address_city="London",
                address_country="UK",
            ),
            row(
                external_id="2",
                victim_nationality="EL",
                address_street="Odos Ermou",
                address_house_number="10",
                address_postcode="105 63",
                address_city="Athina",
                address_country="el",
            ),
        ]
    )
    outcome = run_import(world, data)
    assert outcome.ok, outcome.problems
    signals = Signal.objects.order_by("source_key")
    victims = [s.persons.get(role="possible_victim").nationality for s in signals]
    assert victims == ["GB", "GR"]
    addresses = [s.addresses.get() for s in signals]
    assert [(a.country, a.address_key[:3]) for a in addresses] == [("GB", "GB:"), ("GR", "GR:")]
