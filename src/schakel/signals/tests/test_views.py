"""Signal pages per persona: hidden data never reaches the HTML; the outsider gets 404."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from schakel.audit.models import AuditEntry
from schakel.partners.models import User
from schakel.signals.models import SharingDefaults, Signal
from schakel.signals.services import overrule_band
from schakel.signals.tests.factories import SUSPECT_NAME, VICTIM_NAME, make_signal
from schakel.testing.personas import World

pytestmark = pytest.mark.django_db
SignIn = Callable[[User], Client]


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    with time_machine.travel("2026-11-29 10:00", tick=True):
        yield


@pytest.fixture
def amber(world: World) -> Signal:
    return make_signal(world.users["care_coordinator"], groups=[world.table_a])


@pytest.fixture
def green(world: World) -> Signal:
    return make_signal(world.users["care_coordinator"], groups=[world.table_a], tlp="GREEN")


def _page(client: Client, signal: Signal) -> str:
    response = client.get(reverse("signal_detail", args=[signal.reference]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_owner_sees_everything(world: World, amber: Signal, signed_in: SignIn) -> None:
    page = _page(signed_in(world.users["care_coordinator"]), amber)
    for text in (
        *VICTIM_NAME,
        *SUSPECT_NAME,
        "NL91ABNA0417164300".replace(" ", "")[:4],
        "nagelstudio",
    ):
        assert text.lower() in page.lower(), text


def test_the_police_see_the_suspect_but_not_the_victim(
    world: World, amber: Signal, signed_in: SignIn
) -> None:
    page = _page(signed_in(world.users["police_analyst"]), amber)
    assert SUSPECT_NAME[1] in page
    assert VICTIM_NAME[1] not in page and "+31612345678" not in page and "06 1234" not in page
    assert 'data-testid="hits"' in page and "Gemeente Breda" in page


def test_civil_society_sees_only_a_hit_and_a_contact(
    world: World, green: Signal, signed_in: SignIn
) -> None:
    page = _page(signed_in(world.users["ngo_worker"]), green)
    for hidden in (*VICTIM_NAME, *SUSPECT_NAME, "Ginnekenweg", "NL91", "paspoorten", "Glans"):
        assert hidden not in page, hidden
    assert 'data-testid="hits"' in page


def test_it_checks_access(world: World, amber: Signal, signed_in: SignIn) -> None:
    outsider = signed_in(world.users["outsider"])
    for name in ("signal_detail", "signal_receipt"):
        assert outsider.get(reverse(name, args=[amber.reference])).status_code == 404
    for name in ("signal_overrule", "signal_retriage"):
        response = outsider.post(
            reverse(name, args=[amber.reference]), {"band": "urgent", "reason": "x"}
        )
        assert response.status_code == 404
    assert amber.band_decisions.count() == 0
    assert amber.reference not in outsider.get(reverse("signal_list")).content.decode()


def test_showing_a_signal_writes_one_audit_entry_with_its_purpose(
    world: World, amber: Signal, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    before = AuditEntry.objects.count()
    _page(client, amber)
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.order_by("-position").first()
    assert entry is not None and entry.action == "read"
    assert entry.object_ids["signals.signal"] == [amber.pk]
    assert "signal_table_assessment" in entry.purpose


#: The full form's formsets' management fields: one row of each.
ONE_ROW_EACH = {
    f"{prefix}-{field}": value
    for prefix in ("persons", "companies", "addresses")
    for field, value in (("TOTAL_FORMS", "1"), ("INITIAL_FORMS", "0"))
}


def test_the_full_form_saves_a_signal_and_shows_problems_per_field(
    world: World, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    form = client.get(reverse("signal_create"))
    assert form.status_code == 200 and "Signaaltafel Zeeland-West-Brabant" in form.content.decode()
    base = {
        **ONE_ROW_EACH,
        "description": "Man slaapt in de bedrijfshal.",
        "tlp": "AMBER",
        "purpose": "signal_table_assessment",
        "sharing_groups": [world.table_a.pk],
        "indicator_ids": ["labour.lives_at_workplace"],
        "persons-0-role": "possible_victim",
        "persons-0-family_name": "Nowak",
        "persons-0-phone": "0612345678",
    }
    bad = client.post(
        reverse("signal_create"), {**base, "ibans": "NL00 WRONG", "persons-0-phone": "123"}
    )
    assert bad.status_code == 200 and Signal.objects.count() == 0
    assert bad.context["form"].errors["ibans"]
    assert bad.context["persons"].forms[0].errors["phone"]
    preview = client.post(reverse("signal_create"), {**base, "preview": "1"})
    assert 'data-testid="audience"' in preview.content.decode()
    assert "Politie Zeeland-West-Brabant" in preview.content.decode()
    saved = client.post(reverse("signal_create"), base)
    signal = Signal.objects.get()
    assert saved["Location"] == reverse("signal_detail", args=[signal.reference])
    assert signal.channel == "full_form" and signal.persons.get().family_name == "Nowak"


#: Values of a group or organisation field that name no row: not a number, digits that are
#: not ASCII, and numbers beyond the database's ids (SQLite raises OverflowError for them).
NOT_AN_ID = ["abc", "²", "-1", str(2**63), "99999999999999999999"]


@pytest.mark.parametrize("value", NOT_AN_ID)
def test_the_full_form_names_a_group_or_recipient_that_is_not_an_id(
    world: World, signed_in: SignIn, value: str
) -> None:
    """The form shows its error beside the field; the "who will see what" panel drawn beside
    it leaves the value out instead of failing on it."""
    client = signed_in(world.users["care_coordinator"])
    base = {
        **ONE_ROW_EACH,
        "description": "Man slaapt in de bedrijfshal.",
        "tlp": "RED",
        "purpose": "signal_table_assessment",
    }
    for field in ("sharing_groups", "recipients"):
        response = client.post(reverse("signal_create"), {**base, field: [value]})
        assert response.status_code == 200, (field, response.status_code)
        assert response.context["form"].errors[field], field
        assert 'data-testid="audience"' in response.content.decode()
    assert not Signal.objects.exists()


@pytest.mark.parametrize("value", NOT_AN_ID)
def test_the_sharing_preview_leaves_out_what_is_not_an_id(
    world: World, signed_in: SignIn, value: str
) -> None:
    client = signed_in(world.users["care_coordinator"])
    for field in ("sharing_groups", "recipients"):
        response = client.get(
            reverse("signal_sharing_preview"),
            {field: [value, str(world.table_a.pk)], "tlp": "AMBER"},
        )
        assert response.status_code == 200, (field, response.status_code)
    with_group = client.get(
        reverse("signal_sharing_preview"),
        {"sharing_groups": [value, str(world.table_a.pk)], "tlp": "AMBER"},
    )
    assert "Politie Zeeland-West-Brabant" in with_group.content.decode()


def test_the_short_form_gives_a_receipt_with_the_regions_contacts(
    world: World, signed_in: SignIn
) -> None:
    client = signed_in(world.users["front_desk"])
    page = client.get(reverse("signal_report")).content.decode()
    assert "112" in page
    # The guidance (the page is in Dutch): do not confront, do not promise.
    assert "Spreek de persoon er niet op aan" in page and "Beloof niets" in page
    # Who will see it, before it is sent: the other members of the organisation's default
    # signal table, with what each may see.
    assert 'data-testid="audience"' in page and "Wie dit signaal ziet" in page
    assert "Politie Zeeland-West-Brabant" in page
    # Reliability grades are for professionals (full form, API): the short form has none, and
    # grades sent to it anyway are not stored.
    full_form = signed_in(world.users["care_coordinator"]).get(reverse("signal_create"))
    for grade in ("source_reliability", "information_reliability"):
        assert f'name="{grade}"' in full_form.content.decode()
        assert f'name="{grade}"' not in page
    response = client.post(
        reverse("signal_report"),
        {
            "description": "Vrouw aan de balie is bang, man naast haar praat voor haar.",
            "indicator_ids": ["ilo.intimidation_and_threats"],
            "age_band": "age_18_24",
            "source_reliability": "A",
            "information_reliability": "1",
        },
    )
    signal = Signal.objects.get()
    assert response["Location"] == reverse("signal_receipt", args=[signal.reference])
    receipt = client.get(response["Location"]).content.decode()
    assert signal.reference in receipt and "Team AVIM ZWB" in receipt
    assert signal.channel == "short_form" and signal.sharing_groups.get() == world.table_a
    assert (signal.source_reliability, signal.information_reliability) == ("", "")


def test_the_short_form_names_a_bad_phone_number(world: World, signed_in: SignIn) -> None:
    client = signed_in(world.users["front_desk"])
    response = client.post(reverse("signal_report"), {"description": "x", "phone": "12"})
    assert response.status_code == 200 and response.context["form"].errors["phone"]


def test_a_person_overrules_the_band_on_the_page(
    world: World, amber: Signal, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    client.post(
        reverse("signal_overrule", args=[amber.reference]),
        {"band": "urgent", "reason": "Escalated by phone."},
    )
    amber.refresh_from_db()
    assert amber.band == "urgent"
    assert "Escalated by phone." in _page(client, amber)


def test_the_page_says_what_to_do_with_a_signal_of_its_band_in_the_readers_language(
    world: World, amber: Signal, signed_in: SignIn
) -> None:
    """The triage model's next step for the signal's band, as a person decided it where one
    did; the discuss band names the signal table as it is called ("signaaltafel")."""
    from schakel.signals.rules import triage

    client = signed_in(world.users["care_coordinator"])
    model = triage.current()

    def next_step(language: str) -> str:
        response = client.get(
            reverse("signal_detail", args=[amber.reference]), HTTP_ACCEPT_LANGUAGE=language
        )
        page = response.content.decode()
        start = page.index('data-testid="next-step"')
        return page[start : page.index("</p>", start)]

    amber.refresh_from_db()
    for language in ("nl", "en"):
        assert model.next_step(amber.band, language) in next_step(language)
    overrule_band(
        amber, "discuss", reason="Twee eerdere meldingen.", actor=world.users["care_coordinator"]
    )
    assert "eerstvolgende signaaltafel" in next_step("nl")
    assert "next signal table" in next_step("en")
    overrule_band(amber, "urgent", reason="Direct gevaar.", actor=world.users["care_coordinator"])
    assert "112" in next_step("nl") and "Volgende stap:" in next_step("nl")
    assert "Next step:" in next_step("en")


#: A reason for overruling the band as people write one: it names the person.
OVERRULE_REASON = "Ioana Popescu is pas 15 en slaapt in de studio."


def test_overrule_reason_is_not_shown_to_a_viewer_who_sees_the_signal_redacted(
    world: World, signed_in: SignIn
) -> None:
    """The reason is free text that may name people, and who decided is a person: shown only
    where the signal's general details are (the description), else only the band."""
    carla, noor = world.users["care_coordinator"], world.users["ngo_worker"]
    arie = world.users["org_admin"]  # a colleague of the submitter decides
    signal = make_signal(carla, groups=[world.table_a], tlp="GREEN")
    overrule_band(signal, "urgent", reason=OVERRULE_REASON, actor=arie)
    page = _page(signed_in(noor), signal)
    assert "paspoorten" not in page  # the description is hidden from the NGO...
    assert "Popescu" not in page  # ...and so must the overrule reason be
    assert "Arie" not in page and "Beheer" not in page  # nor who decided
    assert 'data-testid="overrule"' in page  # that a person decided, and what, is shown
    read = AuditEntry.objects.filter(action="read").order_by("-position").first()
    assert read is not None and "signals.banddecision" not in read.object_ids


def test_the_owner_sees_the_overrule_reason_and_its_display_is_audited(
    world: World, signed_in: SignIn
) -> None:
    carla, arie = world.users["care_coordinator"], world.users["org_admin"]
    signal = make_signal(carla, groups=[world.table_a], tlp="GREEN")
    decision = overrule_band(signal, "urgent", reason=OVERRULE_REASON, actor=arie)
    page = _page(signed_in(carla), signal)
    assert OVERRULE_REASON in page and str(arie) in page
    read = AuditEntry.objects.filter(action="read").order_by("-position").first()
    assert read is not None
    assert read.object_ids["signals.banddecision"] == [decision.pk]
    assert read.object_ids["signals.signal"] == [signal.pk]


def test_sharing_defaults_apply_to_new_signals_and_only_coordinators_change_them(
    world: World, signed_in: SignIn
) -> None:
    carla = signed_in(world.users["care_coordinator"])
    assert carla.get(reverse("signal_sharing_defaults")).status_code == 200
    response = carla.post(
        reverse("signal_sharing_defaults"),
        {"tlp": "AMBER+STRICT", "purpose": "care_referral", "sharing_groups": []},
    )
    assert response.status_code == 302
    form = carla.get(reverse("signal_create")).context["form"]
    assert form.initial["tlp"] == "AMBER+STRICT" and form.initial["sharing_groups"] == []
    fenna = signed_in(world.users["front_desk"])
    assert fenna.get(reverse("signal_sharing_defaults")).status_code == 404
    # No group by default now: the short form says only the organisation will see it.
    page = fenna.get(reverse("signal_report")).content.decode()
    assert "Alleen uw eigen organisatie ziet dit signaal." in page
    fenna.post(reverse("signal_report"), {"description": "Iets gezien."})
    signal = Signal.objects.get()
    assert (signal.tlp, signal.purpose, signal.sharing_groups.count()) == (
        "AMBER+STRICT",
        "care_referral",
        0,
    )


def test_a_default_sharing_group_no_group_can_have_is_refused(
    world: World, signed_in: SignIn
) -> None:
    carla = signed_in(world.users["care_coordinator"])
    response = carla.post(
        reverse("signal_sharing_defaults"),
        {"tlp": "AMBER", "purpose": "care_referral", "sharing_groups": [str(2**63)]},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["sharing_groups"]


def test_red_cannot_be_the_default_label_and_the_default_stays_as_it_was(
    world: World, signed_in: SignIn, settings: Any
) -> None:
    settings.LANGUAGE_CODE = "en"
    carla = signed_in(world.users["care_coordinator"])
    response = carla.post(
        reverse("signal_sharing_defaults"),
        {"tlp": "RED", "purpose": "care_referral", "sharing_groups": [world.table_a.pk]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "TLP:RED cannot be a default" in " ".join(response.context["form"].errors["tlp"])
    user = world.users["care_coordinator"]
    assert SharingDefaults.objects.get(organisation=user.organisation).tlp != "RED"


def test_the_guidance_page_shows_the_regions_contacts(world: World, signed_in: SignIn) -> None:
    page = signed_in(world.users["front_desk"]).get(reverse("signal_guidance")).content.decode()
    assert "112" in page and "Team AVIM ZWB" in page and "Carla Zorg" in page


def test_html_in_free_text_is_escaped(world: World, signed_in: SignIn) -> None:
    signal = make_signal(
        world.users["care_coordinator"], description='<script>alert("x")</script> <b>vet</b>'
    )
    page = _page(signed_in(world.users["care_coordinator"]), signal)
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_the_signal_list_links_to_import_for_those_who_may(world: World, signed_in: SignIn) -> None:
    page = signed_in(world.users["care_coordinator"]).get(reverse("signal_list"))
    assert reverse("signal_import") in page.content.decode()
    fenna = signed_in(world.users["front_desk"]).get(reverse("signal_list"))
    assert reverse("signal_import") not in fenna.content.decode()


def test_the_full_form_takes_every_field_of_a_signal(world: World, signed_in: SignIn) -> None:
    client = signed_in(world.users["care_coordinator"])
    every = {
        **ONE_ROW_EACH,
        "description": "Vrouw werkt dag en nacht in een nagelstudio en slaapt er ook.",
        "observed_on": "2026-11-20",
        "municipality": "GM0758",
        "forms_of_exploitation": ["labour"],
        "indicator_ids": ["labour.lives_at_workplace"],
        "tags": ["sexual_violence_and_dependency"],
        "phones": "06 1234 5678",
        "emails": "baas@nagelstudio.example",
        "ibans": "NL91 ABNA 0417 1643 00",
        "plates": "12-ABC-3",
        "websites": "https://advertenties.example/nagels/4711",
        "tlp": "AMBER",
        "purpose": "signal_table_assessment",
        "sharing_groups": [world.table_a.pk],
        "source_reliability": "B",
        "information_reliability": "2",
        "reporter_withheld": "on",
        "persons-0-role": "possible_victim",
        "persons-0-given_names": "Linh",
        "persons-0-family_name": "Nguyen",
        "persons-0-alias": "Lin",
        "persons-0-date_of_birth": "1998-07-14",
        "persons-0-gender": "female",
        "persons-0-nationality": "VN",
        "persons-0-migration_status": "eu_citizen",
        "persons-0-languages": "vi\nen",
        "persons-0-identity_kind": "passport",
        "persons-0-identity_number": "C1234567",
        "persons-0-phone": "+31 6 8765 4321",
        "persons-0-email": "linh@example.com",
        "companies-0-name": "Nagelstudio Glans B.V.",
        "companies-0-registration_number": "12345678",
        "companies-0-role": "employer",
        "addresses-0-street": "Ginnekenweg",
        "addresses-0-house_number": "12a",
        "addresses-0-postcode": "4818 JA",
        "addresses-0-city": "Breda",
        "addresses-0-is_place_of_observation": "on",
    }
    saved = client.post(reverse("signal_create"), every)
    assert saved.status_code == 302, saved.context and [
        f.errors for f in (saved.context["form"], *saved.context["persons"].forms)
    ]
    signal = Signal.objects.get()
    assert (signal.municipality.code, signal.observed_on.isoformat()) == ("GM0758", "2026-11-20")
    assert signal.forms_of_exploitation == ["labour"] and signal.tags == [
        "sexual_violence_and_dependency"
    ]
    assert (signal.source_reliability, signal.information_reliability) == ("B", "2")
    assert signal.reporter_withheld and signal.channel == "full_form"
    person = signal.persons.get()
    assert (person.given_names, person.family_name, person.alias) == ("Linh", "Nguyen", "Lin")
    assert (person.gender, person.nationality, person.migration_status) == (
        "female",
        "VN",
        "eu_citizen",
    )
    assert person.languages == ["vi", "en"] and person.date_of_birth.isoformat() == "1998-07-14"
    kinds = sorted(signal.identifiers.values_list("kind", flat=True))
    assert kinds == ["email", "email", "iban", "identity", "phone", "phone", "plate", "website"]
    company = signal.companies.get()
    assert (company.name, company.registration_number) == ("Nagelstudio Glans B.V.", "12345678")
    address = signal.addresses.get()
    assert (
        address.street,
        address.house_number,
        address.is_place_of_observation,
        address.country,
    ) == ("Ginnekenweg", "12a", True, "NL")


#: A valid full form with one empty row of persons, companies and addresses.
VALID_FULL_FORM = {
    **ONE_ROW_EACH,
    "description": "Man slaapt in de bedrijfshal.",
    "tlp": "AMBER",
    "purpose": "signal_table_assessment",
    "indicator_ids": ["labour.lives_at_workplace"],
}


@pytest.mark.parametrize(
    ("typed", "formset", "field", "message"),
    [
        ({"addresses-0-house_number": "12"}, "addresses", "street", "street, postcode or city"),
        ({"addresses-0-is_place_of_observation": "on"}, "addresses", "street", "street"),
        ({"persons-0-nationality": "RO"}, "persons", "role", "role"),
        ({"persons-0-gender": "female"}, "persons", "role", "role"),
        ({"persons-0-languages": "ro"}, "persons", "role", "role"),
        ({"persons-0-migration_status": "eu_citizen"}, "persons", "role", "role"),
        ({"persons-0-identity_kind": "passport"}, "persons", "role", "role"),
        (
            {"persons-0-role": "possible_victim", "persons-0-identity_kind": "passport"},
            "persons",
            "identity_number",
            "passport number",
        ),
        ({"companies-0-registration_number": "12345678"}, "companies", "name", "name"),
        ({"companies-0-role": "employer"}, "companies", "name", "name"),
    ],
)
def test_the_full_form_refuses_a_partly_filled_row_on_its_field_instead_of_dropping_it(
    world: World,
    signed_in: SignIn,
    settings: Any,
    typed: dict[str, str],
    formset: str,
    field: str,
    message: str,
) -> None:
    settings.LANGUAGE_CODE = "en"
    client = signed_in(world.users["care_coordinator"])
    response = client.post(
        reverse("signal_create"), {**VALID_FULL_FORM, **typed}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200 and Signal.objects.count() == 0
    errors = response.context[formset].forms[0].errors
    assert message in " ".join(errors.get(field, [])), dict(errors)


def test_the_full_form_keeps_a_person_with_only_a_role_and_gender(
    world: World, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    typed = {"persons-0-role": "possible_victim", "persons-0-gender": "female"}
    saved = client.post(reverse("signal_create"), {**VALID_FULL_FORM, **typed})
    assert saved.status_code == 302
    person = Signal.objects.get().persons.get()
    assert (person.role, person.gender) == ("possible_victim", "female")


def test_problems_land_on_the_row_the_user_filled_after_an_empty_row(
    world: World, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    typed = {
        **{f"{prefix}-TOTAL_FORMS": "2" for prefix in ("persons", "companies", "addresses")},
        "persons-1-role": "possible_victim",
        "persons-1-phone": "123",
        "companies-1-name": "Nagelstudio Glans B.V.",
        "companies-1-registration_number": "1234",
        "addresses-1-street": "Ginnekenweg",
        "addresses-1-house_number": "12a",
        "addresses-1-postcode": "4818 J",
        "addresses-1-city": "Breda",
    }
    response = client.post(reverse("signal_create"), {**VALID_FULL_FORM, **typed})
    assert response.status_code == 200 and Signal.objects.count() == 0
    for formset, field in (
        ("persons", "phone"),
        ("companies", "registration_number"),
        ("addresses", "postcode"),
    ):
        first, second = response.context[formset].forms
        assert not first.errors, (formset, dict(first.errors))
        assert second.errors.get(field), (formset, dict(second.errors))


def test_the_full_form_refuses_red_without_recipients_beside_the_recipients_field(
    world: World, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    red = {
        **ONE_ROW_EACH,
        "description": "Man slaapt in de bedrijfshal.",
        "tlp": "RED",
        "purpose": "signal_table_assessment",
    }
    refused = client.post(reverse("signal_create"), red)
    assert refused.status_code == 200 and not Signal.objects.exists()
    form = refused.context["form"]
    assert form.errors["recipients"] == [
        "TLP:RED gaat alleen naar genoemde ontvangers: noem ten minste één organisatie."
    ]
    assert not form.non_field_errors()
    assert "noem ten minste één organisatie" in refused.content.decode()
    saved = client.post(reverse("signal_create"), {**red, "recipients": [world.police_a.pk]})
    assert saved.status_code == 302
    assert list(Signal.objects.get().recipients.all()) == [world.police_a]


def test_the_full_form_stores_a_nationality_given_as_uk_as_gb(
    world: World, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    base = {
        **ONE_ROW_EACH,
        "description": "Man slaapt in de bedrijfshal.",
        "tlp": "AMBER",
        "purpose": "signal_table_assessment",
        "persons-0-role": "possible_victim",
        "persons-0-family_name": "Smith",
    }
    bad = client.post(reverse("signal_create"), {**base, "persons-0-nationality": "QQ"})
    assert bad.status_code == 200 and not Signal.objects.exists()
    assert bad.context["persons"].forms[0].errors["nationality"] == [
        "Onbekende landcode “QQ”: gebruik een code van twee letters, zoals RO of NG."
    ]
    saved = client.post(reverse("signal_create"), {**base, "persons-0-nationality": "uk"})
    assert saved.status_code == 302
    assert Signal.objects.get().persons.get().nationality == "GB"


def test_the_full_form_takes_an_address_abroad_and_names_a_bad_country_on_its_field(
    world: World, signed_in: SignIn
) -> None:
    client = signed_in(world.users["care_coordinator"])
    base = {
        **VALID_FULL_FORM,
        "addresses-0-street": "Strada Lalelelor",
        "addresses-0-house_number": "7",
        "addresses-0-city": "Craiova",
    }
    bad = client.post(reverse("signal_create"), {**base, "addresses-0-country": "QQ"})
    assert bad.status_code == 200 and not Signal.objects.exists()
    assert bad.context["addresses"].forms[0].errors["country"] == [
        "Onbekende landcode “QQ”: gebruik een code van twee letters, zoals RO of NG."
    ]
    saved = client.post(reverse("signal_create"), {**base, "addresses-0-country": "ro"})
    assert saved.status_code == 302
    signal = Signal.objects.get()
    address = signal.addresses.get()
    assert (address.city, address.country, str(address)) == (
        "Craiova",
        "RO",
        "Strada Lalelelor 7, Craiova, RO",
    )
    # The page names the country of an address abroad (and not of one in the Netherlands).
    page = client.get(reverse("signal_detail", args=[signal.reference]))
    assert "Strada Lalelelor 7, Craiova, RO" in page.content.decode()


def test_the_short_form_says_why_a_red_default_cannot_be_used_there(
    world: World, signed_in: SignIn
) -> None:
    """The short form names no recipients; with TLP:RED as the organisation's default it
    would make a signal no one outside the organisation receives."""
    from schakel.signals.models import SharingDefaults

    SharingDefaults.objects.create(
        organisation=world.municipality_a, tlp="RED", purpose="signal_table_assessment"
    )
    client = signed_in(world.users["front_desk"])
    response = client.post(
        reverse("signal_report"), {"description": "Vrouw aan de balie is bang.", "phone": "12"}
    )
    assert response.status_code == 200 and not Signal.objects.exists()
    form = response.context["form"]
    (problem,) = form.non_field_errors()
    assert "TLP:RED" in problem and "volledige formulier" in problem
    assert form.errors["phone"]  # the other problems are still named
    assert problem in response.content.decode()
