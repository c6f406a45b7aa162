"""The demo generator: deterministic, idempotent, covering every sector and persona."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from schakel.demo.generator import DEMO_PASSWORD, PERSONAS, generate
from schakel.errors import NotAllowed
from schakel.partners.models import Organisation, Region, RegionContact, SharingGroup, User
from schakel.partners.vocabulary import RegionKind, Sector
from schakel.signals.models import Signal

pytestmark = pytest.mark.django_db


def test_small_builds_the_dutch_regions_and_about_25_organisations_in_every_sector() -> None:
    result = generate("small", seed=1, signals=0)
    assert Region.objects.filter(kind=RegionKind.REGION).count() == 10
    assert Region.objects.filter(kind=RegionKind.MUNICIPALITY).count() >= 40
    assert 22 <= result.organisations <= 30
    assert set(Organisation.objects.values_list("sector", flat=True)) == set(Sector.values)
    assert SharingGroup.objects.filter(name="Signaaltafel Zeeland-West-Brabant").exists()
    for region in Region.objects.filter(code__in=["PE-ZWB", "PE-NN", "PE-AM"]):
        kinds = set(RegionContact.objects.filter(region=region).values_list("kind", flat=True))
        assert kinds == {"care_coordinator", "police"}, region


def test_every_persona_can_sign_in_with_the_demo_password() -> None:
    generate("small", seed=1, signals=0)
    for persona in PERSONAS:
        user = User.objects.get(username=persona.username)
        assert user.is_demo and user.check_password(DEMO_PASSWORD)
        assert set(persona.roles) <= user.roles
        response = Client().post(
            "/login/", {"username": persona.username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, persona.username


def test_the_same_seed_gives_the_same_people_and_a_rerun_changes_nothing() -> None:
    generate("small", seed=3, signals=0)
    first = sorted(User.objects.values_list("username", "first_name", "last_name"))
    counts = (User.objects.count(), Organisation.objects.count(), RegionContact.objects.count())
    again = generate("small", seed=3, signals=0)
    assert again.users == 0
    assert counts == (
        User.objects.count(),
        Organisation.objects.count(),
        RegionContact.objects.count(),
    )
    assert first == sorted(User.objects.values_list("username", "first_name", "last_name"))


def test_large_adds_the_requested_number_of_organisations() -> None:
    result = generate("large", seed=1, organisations=40, signals=0)
    small = len({p.organisation for p in PERSONAS})
    assert result.organisations >= 40 + small
    assert User.objects.filter(organisation__name__endswith="00040 (demo)").count() == 3


@override_settings(PRODUCTION=True)
def test_demo_data_and_demo_logins_are_refused_in_production() -> None:
    with pytest.raises(NotAllowed):
        generate("small", seed=1, signals=0)
    with override_settings(PRODUCTION=False):
        generate("small", seed=1, signals=0)
    response = Client().post("/login/", {"username": "zorgcoordinator", "password": DEMO_PASSWORD})
    assert response.status_code == 200  # the form again: refused


def test_the_command_prints_a_login_per_persona(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("schakel_demo", size="small", seed=1, signals=0)
    out = capsys.readouterr().out
    for persona in PERSONAS:
        assert persona.username in out
    assert DEMO_PASSWORD in out


def test_signals_come_from_many_partners_with_variant_spellings_and_kept_truth(
    tmp_path: object,
) -> None:
    import json
    from collections import defaultdict
    from pathlib import Path

    from schakel.demo.signals import generate_signals

    generate("small", seed=1, signals=0)
    truth_file = Path(str(tmp_path)) / "truth.jsonl"
    result = generate_signals(60, seed=1, truth_path=truth_file)
    assert result.created == 60 == Signal.objects.count()
    assert Signal.objects.values("owner_organisation").distinct().count() >= 5
    forms = {f for s in Signal.objects.all() for f in s.forms_of_exploitation}
    assert {"labour", "sexual", "criminal"} <= forms
    lines = [json.loads(line) for line in truth_file.read_text().splitlines()]
    assert len(lines) == 60
    spellings: dict[int, set[str]] = defaultdict(set)
    by_reference = {s.reference: s for s in Signal.objects.prefetch_related("persons")}
    for line in lines:
        persons = list(by_reference[line["signal"]].persons.all())
        for identity, person in zip(line["persons"], persons, strict=True):
            spellings[identity].add(f"{person.given_names} {person.family_name}")
    # The same true person, reported more than once, is spelled in more than one way.
    assert any(len(names) > 1 for names in spellings.values())


def test_signals_were_received_over_the_past_year_each_after_what_it_saw(
    tmp_path: object,
) -> None:
    from pathlib import Path

    from django.utils import timezone

    from schakel.demo.signals import generate_signals
    from schakel.signals.retention import initial_retention

    generate("small", seed=1, signals=0)
    before = timezone.now()
    generate_signals(80, seed=1, truth_path=Path(str(tmp_path)) / "truth.jsonl")
    signals = list(Signal.objects.all())
    for signal in signals:
        received = timezone.localdate(signal.received_at)
        assert signal.observed_on is not None
        assert signal.observed_on <= received, signal.reference
        assert signal.received_at < before, signal.reference
        assert signal.created_at == signal.received_at
        assert signal.reference.startswith(f"S-{signal.received_at:%Y}-"), signal.reference
        assert signal.retention_until == initial_retention(received)
    days = {timezone.localdate(s.received_at) for s in signals}
    # Spread over the year, not all on the day the demo was made.
    assert len(days) > 40
    assert (max(days) - min(days)).days > 200


def test_signals_state_family_associates_directors_and_payments_the_same_per_seed(
    tmp_path: object,
) -> None:
    from pathlib import Path

    from schakel.demo.signals import generate_signals
    from schakel.signals.models import PaymentMention, RelationMention

    generate("small", seed=1, signals=0)
    generate_signals(200, seed=2, truth_path=Path(str(tmp_path)) / "truth.jsonl")
    kinds = set(RelationMention.objects.values_list("kind", flat=True))
    assert {"family", "associate", "director"} <= kinds
    payments = list(PaymentMention.objects.all())
    assert payments and all(p.payer_iban and p.amount and p.currency == "EUR" for p in payments)
    assert all(p.beneficiary_person_id or p.beneficiary_company_id for p in payments)

    def ties() -> list[tuple[str, ...]]:
        return [
            (
                s.reference,
                *(r.kind for r in s.relations.all()),
                *(str(p.amount) for p in s.payments.all()),
            )
            for s in Signal.objects.order_by("pk").prefetch_related("relations", "payments")
        ]

    first = ties()
    Signal.objects.all().delete()
    generate_signals(200, seed=2, truth_path=Path(str(tmp_path)) / "again.jsonl")
    again = ties()
    assert [t[1:] for t in again] == [t[1:] for t in first]


def test_signals_come_from_every_reporting_sector_with_fitting_indicators_and_shared_values(
    tmp_path: object,
) -> None:
    from collections import Counter
    from pathlib import Path

    from schakel.demo.signals import generate_signals
    from schakel.partners.models import Organisation
    from schakel.signals.models import AddressMention, IdentifierMention
    from schakel.signals.rules.indicators import catalogue

    generate("small", seed=1, signals=0)
    generate_signals(400, seed=3, truth_path=Path(str(tmp_path)) / "truth.jsonl")
    # Every sector that sits at a signal table reports.
    reporting = set(
        Organisation.objects.filter(group_memberships__isnull=False).values_list(
            "sector", flat=True
        )
    )
    owners = set(Signal.objects.values_list("owner_organisation__sector", flat=True))
    assert len(reporting) >= 5 and owners == reporting
    # Indicators follow the form of exploitation (or are the ILO's signs of coercion).
    known = catalogue()
    for signal in Signal.objects.prefetch_related("indicator_set"):
        for link in signal.indicator_set.all():
            indicator = known.get(link.indicator_id)
            assert set(indicator.forms) & set(signal.forms_of_exploitation) or (
                link.indicator_id.startswith("ilo.")
            ), (signal.reference, link.indicator_id, signal.forms_of_exploitation)
    # The same phone number and the same address reach the chain through several signals,
    # typed differently.
    phones = Counter(
        normalised
        for normalised, _signal in set(
            IdentifierMention.objects.filter(kind="phone").values_list("normalised", "signal")
        )
    )
    shared_phone, count = phones.most_common(1)[0]
    assert count >= 2
    typed = set(
        IdentifierMention.objects.filter(kind="phone", normalised=shared_phone).values_list(
            "value", flat=True
        )
    )
    assert len(typed) >= 2
    places = {
        (a.postcode.replace(" ", "").upper(), a.house_number, a.signal_id)
        for a in AddressMention.objects.all()
    }
    addresses = Counter((postcode, number) for postcode, number, _signal in places)
    assert addresses.most_common(1)[0][1] >= 2


def _one_edit(variant: str, name: str) -> bool:
    """``variant`` is ``name`` with one letter dropped, doubled, or swapped with its neighbour."""
    if variant == name or abs(len(variant) - len(name)) > 1:
        return False
    if abs(len(variant) - len(name)) == 1:
        longer, shorter = (variant, name) if len(variant) > len(name) else (name, variant)
        return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))
    differ = [i for i, (a, b) in enumerate(zip(variant, name, strict=True)) if a != b]
    return len(differ) == 2 and differ[1] == differ[0] + 1 and variant[differ[0]] == name[differ[1]]


def test_partners_write_one_person_transliterated_without_accents_mistyped_or_reversed() -> None:
    import random

    from schakel.demo.signals import TruePerson, spell

    maria = TruePerson(1, "BG", "Maria", "Ivanova", date(1990, 1, 1), "612345678", None)
    lukasz = TruePerson(2, "PL", "Łukasz", "Wójcik", date(1985, 5, 5), "687654321", None)
    rng = random.Random(7)
    marias = {spell(rng, maria) for _ in range(400)}
    lukaszes = {spell(rng, lukasz) for _ in range(400)}
    assert ("Maria", "Ivanova") in marias  # as the person writes it
    assert ("Мария", "Иванова") in marias  # in Cyrillic, as a partner abroad writes it
    assert ("Ivanova", "Maria") in marias  # family name first
    assert any(_one_edit(family, "Ivanova") for given, family in marias if given == "Maria")
    assert any(_one_edit(given, "Maria") for given, family in marias if family == "Ivanova")
    assert ("Lukasz", "Wojcik") in lukaszes  # without the accents
    assert ("Łukasz", "Wójcik") in lukaszes
    # Nothing else: every spelling is one of those ways.
    for given, family in marias:
        assert {given, family} <= {"Maria", "Мария", "Ivanova", "Иванова"} or (
            _one_edit(given, "Maria")
            or _one_edit(family, "Ivanova")
            or _one_edit(given, "Ivanova")
            or _one_edit(family, "Maria")
        )
