"""Intake: validation naming every field, normalisation, triage stored with its version."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from schakel.appendonly import AppendOnlyError
from schakel.audit.models import AuditEntry
from schakel.errors import InvalidFields
from schakel.partners.models import SharingGroupMembership
from schakel.signals.intake import PersonInput
from schakel.signals.models import IdentifierMention, Signal, TriageRecord
from schakel.signals.services import create_signal, overrule_band, retriage_signal
from schakel.signals.tests.factories import make_signal, signal_input
from schakel.testing.personas import World

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("world")]
TODAY = date(2026, 11, 29)


@pytest.fixture(autouse=True)
def _today() -> object:
    with time_machine.travel(TODAY, tick=True) as traveller:
        yield traveller


def test_a_signal_is_stored_normalised_triaged_and_audited(world: World) -> None:
    carla = world.users["care_coordinator"]
    signal = make_signal(carla, groups=[world.table_a])
    assert signal.reference.startswith("S-2026-")
    assert signal.owner_organisation == world.municipality_a
    assert signal.municipality.code == "GM0758"
    phones = IdentifierMention.objects.filter(signal=signal, kind="phone")
    assert [p.normalised for p in phones] == ["+31612345678"]
    iban = IdentifierMention.objects.get(signal=signal, kind="iban")
    assert iban.normalised == "NL91ABNA0417164300"
    assert signal.addresses.get().address_key.startswith("NL:4818JA:12")
    record = TriageRecord.objects.get(signal=signal)
    assert record.model_version and record.result["reasons"]
    assert signal.band == record.band
    assert AuditEntry.objects.filter(
        action="create", object_type="signals.signal", object_ids=[signal.pk]
    ).exists()


def test_bad_input_names_every_field_and_writes_nothing(world: World) -> None:
    data = signal_input(
        observed_on=date(2026, 12, 25),
        indicator_ids=["ilo.deception", "made.up"],
        ibans=["NL91ABNA0417164301"],
        phones=["12"],
        persons=[PersonInput(role="possible_victim", date_of_birth=date(2027, 1, 1))],
        sharing_group_ids=[world.table_b.pk],
    )
    with pytest.raises(InvalidFields) as exc:
        from schakel.signals.services import create_signal

        create_signal(data, submitted_by=world.users["care_coordinator"], channel="full_form")
    problems = exc.value.problems
    for field in (
        "observed_on",
        "indicator_ids[1]",
        "ibans[0]",
        "phones[0]",
        "persons[0].date_of_birth",
        "sharing_group_ids",
    ):
        assert field in problems, field
    assert "made.up" in str(problems["indicator_ids[1]"][0])
    assert Signal.objects.count() == 0
    assert not AuditEntry.objects.filter(object_type="signals.signal").exists()


def test_tlp_clear_is_refused_for_personal_data(world: World) -> None:
    with pytest.raises(InvalidFields) as exc:
        make_signal(world.users["care_coordinator"], tlp="CLEAR")
    assert "tlp" in exc.value.problems
    clean = make_signal(
        world.users["care_coordinator"],
        tlp="CLEAR",
        persons=[],
        companies=[],
        addresses=[],
        ibans=[],
    )
    assert clean.tlp == "CLEAR"


def test_a_person_born_after_the_observation_is_refused(world: World) -> None:
    with pytest.raises(InvalidFields) as exc:
        make_signal(
            world.users["care_coordinator"],
            observed_on=date(2020, 1, 1),
            persons=[PersonInput(role="possible_victim", date_of_birth=date(2021, 5, 1))],
        )
    assert "persons[0].date_of_birth" in exc.value.problems


def test_a_withheld_identity_refuses_names_but_still_triages(world: World) -> None:
    with pytest.raises(InvalidFields) as exc:
        make_signal(world.users["ngo_worker"], identity_withheld=True)
    assert "persons[0].given_names" in exc.value.problems
    anonymous = make_signal(
        world.users["ngo_worker"],
        identity_withheld=True,
        persons=[PersonInput(role="possible_victim", age_band="age_25_34", gender="female")],
    )
    assert anonymous.band and anonymous.persons.get().name_key == ""


def test_immediate_danger_is_urgent_and_a_minor_victim_is_discussed(world: World) -> None:
    urgent = make_signal(
        world.users["care_coordinator"], indicator_ids=["ilo.physical_and_sexual_violence"]
    )
    assert urgent.band == "urgent"
    minor = make_signal(
        world.users["care_coordinator"],
        indicator_ids=[],
        description="Een meisje wordt opgehaald door oudere mannen.",
        persons=[PersonInput(role="possible_victim", date_of_birth=date(2011, 6, 1))],
    )
    assert minor.band in {"discuss", "urgent"}


def test_overruling_is_recorded_beside_the_triage_and_can_be_withdrawn(world: World) -> None:
    carla = world.users["care_coordinator"]
    signal = make_signal(carla)
    model_band = signal.band
    overrule_band(signal, "urgent", reason="Victim called again, frightened.", actor=carla)
    signal.refresh_from_db()
    assert signal.band == "urgent"
    assert TriageRecord.objects.get(signal=signal).band == model_band
    overrule_band(signal, "", reason="Situation clarified.", actor=carla)
    signal.refresh_from_db()
    assert signal.band == model_band
    assert signal.band_decisions.count() == 2
    # The overrule was audited, and neither it nor the triage can be changed or deleted.
    assert AuditEntry.objects.filter(action="overrule_band").count() == 2
    decision = signal.band_decisions.order_by("pk").first()
    record = TriageRecord.objects.get(signal=signal)
    for stored in (decision, record):
        assert stored is not None
        with pytest.raises(AppendOnlyError):
            stored.save()
        with pytest.raises(AppendOnlyError):
            stored.delete()
    assert signal.band_decisions.count() == 2 and signal.triage_records.count() == 1


def test_retriage_adds_a_record_and_never_changes_the_old_one(world: World) -> None:
    carla = world.users["care_coordinator"]
    signal = make_signal(carla)
    first = TriageRecord.objects.get(signal=signal)
    retriage_signal(signal, actor=carla)
    records = list(TriageRecord.objects.filter(signal=signal))
    assert len(records) == 2 and records[0].result == first.result
    assert records[1].kind == "retriage" and records[1].created_by == carla
    assert AuditEntry.objects.filter(action="retriage").exists()


def test_others_cannot_overrule_or_retriage(world: World) -> None:
    from schakel.errors import NotAllowed

    signal = make_signal(world.users["care_coordinator"], groups=[world.table_a])
    with pytest.raises(NotAllowed):
        overrule_band(signal, "urgent", reason="x", actor=world.users["police_analyst"])
    with pytest.raises(NotAllowed):
        retriage_signal(signal, actor=world.users["outsider"])


def test_unknown_bands_bad_postcodes_and_overlong_names_are_named(world: World) -> None:
    from schakel.signals.intake import AddressInput

    with pytest.raises(InvalidFields) as exc:
        make_signal(
            world.users["care_coordinator"],
            persons=[
                PersonInput(role="possible_victim", age_band="ancient", family_name="x" * 201)
            ],
            addresses=[
                AddressInput(street="Kerkstraat", house_number="1", postcode="12345", city="Breda")
            ],
        )
    problems = exc.value.problems
    assert {"persons[0].age_band", "persons[0].family_name", "addresses[0].postcode"} <= set(
        problems
    )


def test_an_organisation_that_left_a_group_can_no_longer_share_with_it(world: World) -> None:
    carla = world.users["care_coordinator"]
    shared = make_signal(carla, groups=[world.table_a])
    assert list(shared.sharing_groups.all()) == [world.table_a]
    SharingGroupMembership.objects.filter(
        group=world.table_a, organisation=world.municipality_a
    ).delete()
    with pytest.raises(InvalidFields) as exc:
        make_signal(carla, groups=[world.table_a])
    assert set(exc.value.problems) == {"sharing_group_ids"}
    # A colleague organisation still in the group still can.
    assert make_signal(world.users["police_analyst"], groups=[world.table_a]).pk


def test_a_group_named_twice_is_linked_once_and_an_unknown_one_is_refused(world: World) -> None:
    carla = world.users["care_coordinator"]
    twice = make_signal(carla, groups=[world.table_a, world.table_a])
    assert list(twice.sharing_groups.all()) == [world.table_a]
    with pytest.raises(InvalidFields) as exc:
        create_signal(
            signal_input(sharing_group_ids=[world.table_a.pk, 999_999]),
            submitted_by=carla,
            channel="full_form",
        )
    assert set(exc.value.problems) == {"sharing_group_ids"}


def test_only_known_municipalities_and_active_recipients_are_accepted(world: World) -> None:
    carla = world.users["care_coordinator"]
    with pytest.raises(InvalidFields) as exc:
        # A police region's code is a region, not a municipality.
        make_signal(carla, municipality="PR-ZWB")
    assert set(exc.value.problems) == {"municipality"}
    red = make_signal(carla, tlp="RED", recipient_ids=[world.police_a.pk])
    assert list(red.recipients.all()) == [world.police_a]
    assert red.municipality is not None and red.municipality.code == "GM0758"
    world.police_a.is_active = False
    world.police_a.save()
    with pytest.raises(InvalidFields) as exc:
        make_signal(carla, tlp="RED", recipient_ids=[world.police_a.pk])
    assert set(exc.value.problems) == {"recipient_ids"}


def test_each_persons_identifiers_point_at_that_person(world: World) -> None:
    signal = make_signal(
        world.users["care_coordinator"],
        persons=[
            PersonInput(role="possible_victim", family_name="Popescu", phones=["0612345678"]),
            PersonInput(role="suspect", family_name="Dragomir", emails=["m@example.test"]),
            PersonInput(role="witness", family_name="Jansen", phones=["0687654321"]),
        ],
    )
    owners = {
        (m.normalised, m.person.family_name if m.person else None)
        for m in IdentifierMention.objects.filter(signal=signal).select_related("person")
    }
    assert owners == {
        ("+31612345678", "Popescu"),
        ("m@example.test", "Dragomir"),
        ("+31687654321", "Jansen"),
        ("NL91ABNA0417164300", None),
    }
    assert all(p.signal_id == signal.pk for p in signal.persons.all())


@pytest.mark.parametrize("too_large", [2**63, 10**20])
def test_ids_beyond_what_a_database_holds_are_unknown_groups_and_recipients(
    world: World, too_large: int
) -> None:
    """The intake is the check for every channel: an id that cannot name a stored row gets the
    message of an unknown group or recipient, and never reaches the query (SQLite refuses
    integers over 64 bits with an OverflowError)."""
    carla = world.users["care_coordinator"]
    with pytest.raises(InvalidFields) as groups:
        make_signal(carla, sharing_group_ids=[world.table_a.pk, too_large])
    assert set(groups.value.problems) == {"sharing_group_ids"}
    with pytest.raises(InvalidFields) as recipients:
        make_signal(carla, tlp="RED", recipient_ids=[world.police_a.pk, too_large, 0, -1])
    assert set(recipients.value.problems) == {"recipient_ids"}
    assert not Signal.objects.exists()


@pytest.mark.parametrize(
    "address",
    [{"house_number": "12"}, {"country": "BE"}, {"is_place_of_observation": True}, {}],
)
def test_an_address_without_street_postcode_or_city_is_refused_on_every_channel(
    world: World, address: dict[str, object]
) -> None:
    from schakel.signals.intake import AddressInput

    for channel in ("full_form", "api", "bulk"):
        with pytest.raises(InvalidFields) as exc:
            make_signal(
                world.users["care_coordinator"],
                channel=channel,
                addresses=[AddressInput(**address)],  # type: ignore[arg-type]
            )
        assert set(exc.value.problems) == {"addresses[0].street"}
    assert not Signal.objects.exists()


def test_a_stored_address_without_street_postcode_or_city_does_not_block_an_update(
    world: World,
) -> None:
    from schakel.signals.updates import update_signal

    carla = world.users["care_coordinator"]
    signal = make_signal(carla, groups=[world.table_a])
    # Stored before the rule (the API and bulk import took a house number alone).
    signal.addresses.update(street="", postcode="", city="")
    assert update_signal(signal, {"description": "Nu met meer details."}, actor=carla) == [
        "description"
    ]


@pytest.mark.parametrize("nationality", ["ÅÅ", "QQ", "ZZ"])
def test_a_nationality_must_be_a_country_code(world: World, nationality: str) -> None:
    carla = world.users["care_coordinator"]
    for channel in ("full_form", "api", "bulk"):
        with pytest.raises(InvalidFields) as exc:
            make_signal(
                carla,
                channel=channel,
                persons=[PersonInput(role="possible_victim", nationality=nationality)],
            )
        assert set(exc.value.problems) == {"persons[0].nationality"}
        assert nationality in str(exc.value.problems["persons[0].nationality"][0])
    assert not Signal.objects.exists()


def test_a_nationality_is_any_iso_country_code_or_kosovo_in_any_case(world: World) -> None:
    signal = make_signal(
        world.users["care_coordinator"],
        persons=[
            PersonInput(role="possible_victim", nationality="ro"),
            PersonInput(role="possible_victim", nationality="XK"),
        ],
    )
    assert [p.nationality for p in signal.persons.all()] == ["RO", "XK"]


def test_a_stored_nationality_that_is_no_country_does_not_block_an_update(world: World) -> None:
    from schakel.signals.updates import update_signal

    carla = world.users["care_coordinator"]
    signal = make_signal(carla, groups=[world.table_a])
    # Stored before the rule (intake took any two letters).
    signal.persons.update(nationality="QQ")
    assert update_signal(signal, {"description": "Nu met meer details."}, actor=carla) == [
        "description"
    ]


def test_red_without_named_recipients_is_refused_naming_the_recipients(world: World) -> None:
    from django.utils import translation

    carla = world.users["care_coordinator"]
    for channel in ("full_form", "api", "bulk"):
        with pytest.raises(InvalidFields) as exc:
            make_signal(carla, channel=channel, tlp="RED", groups=[world.table_a])
        assert set(exc.value.problems) == {"recipient_ids"}
        (message,) = exc.value.problems["recipient_ids"]
        with translation.override("en"):
            assert str(message) == (
                "TLP:RED goes only to named recipients: name at least one organisation."
            )
        with translation.override("nl"):
            assert "TLP:RED" in str(message) and "ontvanger" in str(message)
    assert not Signal.objects.exists()
    red = make_signal(carla, tlp="RED", recipient_ids=[world.police_a.pk])
    assert list(red.recipients.all()) == [world.police_a]


def test_an_update_cannot_leave_a_red_signal_without_recipients(world: World) -> None:
    from schakel.signals.updates import update_signal

    carla = world.users["care_coordinator"]
    signal = make_signal(carla, groups=[world.table_a])
    with pytest.raises(InvalidFields) as to_red:
        update_signal(signal, {"tlp": "RED"}, actor=carla)
    assert set(to_red.value.problems) == {"recipient_ids"}
    assert update_signal(
        signal, {"tlp": "RED", "recipient_ids": [world.police_a.pk]}, actor=carla
    ) == ["recipient_ids", "tlp"]
    with pytest.raises(InvalidFields) as emptied:
        update_signal(signal, {"recipient_ids": []}, actor=carla)
    assert set(emptied.value.problems) == {"recipient_ids"}
    signal.refresh_from_db()
    assert signal.tlp == "RED" and list(signal.recipients.all()) == [world.police_a]


@pytest.mark.parametrize(
    ("given", "stored"), [("UK", "GB"), ("uk", "GB"), ("EL", "GR"), ("el", "GR"), ("gb", "GB")]
)
def test_well_known_aliases_of_a_nationality_are_stored_as_iso_codes(
    world: World, given: str, stored: str
) -> None:
    carla = world.users["care_coordinator"]
    for channel in ("full_form", "api", "bulk"):
        signal = make_signal(
            carla,
            channel=channel,
            persons=[PersonInput(role="possible_victim", nationality=given)],
        )
        assert [p.nationality for p in signal.persons.all()] == [stored]


@pytest.mark.parametrize(
    ("given", "stored", "key"),
    [("UK", "GB", "GB:"), ("uk", "GB", "GB:"), ("el", "GR", "GR:"), ("be", "BE", "BE:")],
)
def test_an_address_country_is_stored_as_its_iso_code_and_keyed_by_it(
    world: World, given: str, stored: str, key: str
) -> None:
    from schakel.signals.intake import AddressInput

    address = AddressInput(street="Baker Street", house_number="221b", city="London")
    signal = make_signal(
        world.users["care_coordinator"],
        addresses=[AddressInput(**{**address.__dict__, "country": given})],
    )
    found = signal.addresses.get()
    assert found.country == stored
    assert found.address_key.startswith(key)


def test_an_address_without_a_country_is_in_the_netherlands(world: World) -> None:
    from schakel.signals.intake import AddressInput

    signal = make_signal(
        world.users["care_coordinator"],
        addresses=[AddressInput(street="Ginnekenweg", house_number="12", postcode="4818 ja")],
    )
    assert signal.addresses.get().country == "NL"
    blank = make_signal(
        world.users["care_coordinator"],
        addresses=[AddressInput(street="Ginnekenweg", city="Breda", country=" ")],
    )
    assert blank.addresses.get().country == "NL"


@pytest.mark.parametrize(
    ("country", "problem"),
    [
        ("QQ", "Unknown country code “QQ”"),
        ("ZZ", "Unknown country code “ZZ”"),
        ("ÅÅ", "Unknown country code “ÅÅ”"),
        ("U1", "Use a two-letter country code"),
        ("Netherlands", "Use a two-letter country code"),
    ],
)
def test_an_address_country_must_be_a_country_code(
    world: World, country: str, problem: str
) -> None:
    from django.utils import translation

    from schakel.signals.intake import AddressInput

    carla = world.users["care_coordinator"]
    for channel, language, expected in (
        ("full_form", "en", problem),
        ("api", "en", problem),
        ("bulk", "en", problem),
        ("api", "nl", "landcode"),
    ):
        with translation.override(language), pytest.raises(InvalidFields) as exc:
            make_signal(
                carla,
                channel=channel,
                addresses=[AddressInput(street="Hauptstraße", city="Berlin", country=country)],
            )
        assert set(exc.value.problems) == {"addresses[0].country"}
        (message,) = exc.value.problems["addresses[0].country"]
        with translation.override(language):
            assert expected in str(message)
    assert not Signal.objects.exists()


def test_a_stored_address_country_that_is_no_country_does_not_block_an_update(
    world: World,
) -> None:
    from schakel.signals.updates import update_signal

    carla = world.users["care_coordinator"]
    signal = make_signal(carla, groups=[world.table_a])
    # Stored before the rule (intake took any two characters).
    signal.addresses.update(country="QQ")
    assert update_signal(signal, {"description": "Nu met meer details."}, actor=carla) == [
        "description"
    ]
