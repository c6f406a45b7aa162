"""Building signals for tests through the real intake service."""

from __future__ import annotations

from datetime import date
from typing import Any

from schakel.partners.models import User
from schakel.signals.intake import (
    AddressInput,
    CompanyInput,
    PaymentInput,
    PersonInput,
    RelationInput,
    SignalInput,
)
from schakel.signals.models import Channel, Signal
from schakel.signals.services import create_signal

VICTIM_NAME = ("Ioana", "Popescu")
SUSPECT_NAME = ("Marius", "Dragomir")
#: The possible victim's own account, not among the signal's listed IBANs.
VICTIM_IBAN = "NL02 ABNA 0123 4567 89"
PURPOSE = "Huur voor de kamer boven de nagelstudio"


def signal_input(**overrides: Any) -> SignalInput:
    """A typical labour-exploitation signal with a victim, a suspect and identifiers."""
    values: dict[str, Any] = {
        "description": "Acht mensen wonen boven een nagelstudio; de baas houdt paspoorten in.",
        "observed_on": date(2026, 11, 20),
        "municipality": "GM0758",
        "forms_of_exploitation": ["labour"],
        "indicator_ids": ["ilo.retention_of_identity_documents", "labour.lives_at_workplace"],
        "tlp": "AMBER",
        "purpose": "signal_table_assessment",
        "persons": [
            PersonInput(
                role="possible_victim",
                given_names=VICTIM_NAME[0],
                family_name=VICTIM_NAME[1],
                date_of_birth=date(1999, 3, 4),
                gender="female",
                nationality="RO",
                phones=["06 1234 5678"],
            ),
            PersonInput(role="suspect", given_names=SUSPECT_NAME[0], family_name=SUSPECT_NAME[1]),
        ],
        "companies": [CompanyInput(name="Nagelstudio Glans B.V.", registration_number="12345678")],
        "addresses": [
            AddressInput(
                street="Ginnekenweg",
                house_number="12a",
                postcode="4818 ja",
                city="Breda",
                is_place_of_observation=True,
            )
        ],
        "ibans": ["NL91 ABNA 0417 1643 00"],
    }
    values.update(overrides)
    return SignalInput(**values)


def make_signal(
    user: User,
    *,
    groups: list[Any] | None = None,
    channel: str = Channel.FULL_FORM,
    **overrides: Any,
) -> Signal:
    data = signal_input(**overrides)
    if groups is not None:
        data.sharing_group_ids = [g.pk for g in groups]
    return create_signal(data, submitted_by=user, channel=channel)


def signal_input_with_ties(**overrides: Any) -> SignalInput:
    """``signal_input()`` (victim 0, suspect 1, company 0) where the suspect is the victim's
    partner and director of the company, she works there, pays him rent from her own account
    and is paid by the company."""
    values: dict[str, Any] = {
        "relations": [
            RelationInput(kind="family", person=0, other_person=1, relationship="partner"),
            RelationInput(kind="director", person=1, company=0),
            RelationInput(kind="employee", person=0, company=0),
        ],
        "payments": [
            PaymentInput(
                payer_iban=VICTIM_IBAN,
                beneficiary_person=1,
                amount="450,00",
                currency="eur",
                paid_on=date(2026, 11, 1),
                purpose=PURPOSE,
            ),
            PaymentInput(payer_company=0, beneficiary_person=0, amount="120"),
        ],
    }
    values.update(overrides)
    return signal_input(**values)
