"""What a signal says about how the people, companies and bank accounts it mentions are tied:
relations (family, associate, director, owner, employee) and payments. Part of the intake
input (``intake.SignalInput.relations`` and ``.payments``); validated here, with every problem
named by its path (``relations[0].other_person``), as the rest of intake does.

A relation or payment refers to the signal's persons and companies by their position in the
signal's lists (``persons[1]`` is ``person: 1``), so that one request, form or file states
the people and the ties between them at once. A payment's bank accounts are IBANs; an IBAN
that is not among the signal's accounts yet becomes one of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from schakel.normalise import NormalisationError, normalise_iban
from schakel.signals.models import PERSON_TO_PERSON, RelationKind
from schakel.signals.rules.vocabulary import current as vocabularies

#: The largest amount a payment may state (the column holds 12 digits before the point).
MAX_AMOUNT = Decimal("999999999999.99")
MAX_PURPOSE = 300
#: Digits, with a decimal point or comma and at most two decimals; no thousands separators,
#: which mean the opposite in Dutch and English ("1.500").
_AMOUNT = re.compile(r"^[0-9]{1,12}([.,][0-9]{1,2})?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")

Report = Callable[[str, "str | Promise"], None]


@dataclass
class RelationInput:
    """``person`` (an index into the signal's persons) is tied to ``other_person`` (family,
    associate) or to ``company`` (director, owner, employee: an index into its companies).
    ``relationship``, for family only, says what the other person is to the person
    (``family_relationships``: partner, parent, child, sibling, other_family)."""

    kind: str
    person: int | None = None
    other_person: int | None = None
    company: int | None = None
    relationship: str = ""


@dataclass
class PaymentInput:
    """A payment from one party to another. Each side is exactly one of: a person (index), a
    company (index) or a bank account (IBAN). ``amount`` as written ("1500", "1500,50")."""

    payer_person: int | None = None
    payer_company: int | None = None
    payer_iban: str = ""
    beneficiary_person: int | None = None
    beneficiary_company: int | None = None
    beneficiary_iban: str = ""
    amount: str = ""
    currency: str = "EUR"
    paid_on: date | None = None
    purpose: str = ""


@dataclass
class CleanPayment:
    source: PaymentInput
    payer_iban: str  # normalised, or ""
    beneficiary_iban: str
    amount: Decimal | None
    currency: str


def parse_amount(raw: str) -> Decimal:
    """An amount as people type it ("1500", "1500.5", "1500,50"); ValueError otherwise."""
    text = raw.strip().replace(" ", "")
    if not _AMOUNT.match(text):
        raise ValueError(raw)
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise ValueError(raw) from exc


def validate_relations(
    report: Report, relations: Sequence[RelationInput], *, persons: int, companies: int
) -> None:
    """Check each relation against the numbers of persons and companies in the signal."""
    if not relations:
        return
    kinds = RelationKind.values
    relationships = vocabularies().codes("family_relationships")
    for index, relation in enumerate(relations):
        path = f"relations[{index}]"
        if relation.kind not in kinds:
            report(
                f"{path}.kind",
                _("Unknown relation “%(kind)s”. Use one of: %(kinds)s.")
                % {"kind": relation.kind, "kinds": ", ".join(kinds)},
            )
            continue
        _check_index(report, f"{path}.person", relation.person, persons, required=True)
        if relation.kind in PERSON_TO_PERSON:
            _check_index(
                report, f"{path}.other_person", relation.other_person, persons, required=True
            )
            if relation.other_person is not None and relation.other_person == relation.person:
                report(f"{path}.other_person", _("Choose two different people."))
            if relation.company is not None:
                report(f"{path}.company", _("This relation ties two people, not a company."))
        else:
            _check_index(report, f"{path}.company", relation.company, companies, required=True)
            if relation.other_person is not None:
                report(
                    f"{path}.other_person",
                    _("This relation ties a person to a company, not to another person."),
                )
        if relation.relationship:
            if relation.kind != RelationKind.FAMILY:
                report(f"{path}.relationship", _("Only a family relation has a relationship."))
            elif relation.relationship not in relationships:
                report(
                    f"{path}.relationship",
                    _("Unknown value “%(code)s”.") % {"code": relation.relationship},
                )


def validate_payments(
    report: Report,
    payments: Sequence[PaymentInput],
    *,
    persons: int,
    companies: int,
    today: date,
) -> list[CleanPayment]:
    clean: list[CleanPayment] = []
    for index, payment in enumerate(payments):
        path = f"payments[{index}]"
        payer_iban = _side(
            report,
            path,
            "payer",
            payment.payer_person,
            payment.payer_company,
            payment.payer_iban,
            persons=persons,
            companies=companies,
        )
        beneficiary_iban = _side(
            report,
            path,
            "beneficiary",
            payment.beneficiary_person,
            payment.beneficiary_company,
            payment.beneficiary_iban,
            persons=persons,
            companies=companies,
        )
        if (
            (payment.payer_person is not None)
            and payment.payer_person == payment.beneficiary_person
        ) or (
            (payment.payer_company is not None)
            and payment.payer_company == payment.beneficiary_company
        ):
            report(f"{path}.beneficiary_person", _("Payer and beneficiary are the same."))
        amount: Decimal | None = None
        if payment.amount.strip():
            try:
                amount = parse_amount(payment.amount)
            except ValueError:
                report(
                    f"{path}.amount",
                    _("Write the amount in digits, with at most two decimals: 1500 or 1500,50."),
                )
            else:
                if amount <= 0:
                    report(f"{path}.amount", _("The amount must be more than zero."))
                elif amount > MAX_AMOUNT:
                    report(f"{path}.amount", _("This amount is too large."))
        currency = payment.currency.strip().upper()
        if amount is not None and not currency:
            report(f"{path}.currency", _("Give the currency of the amount, e.g. EUR."))
        elif currency and not _CURRENCY.match(currency):
            report(f"{path}.currency", _("Use a three-letter currency code (ISO 4217), e.g. EUR."))
        if payment.paid_on is not None and payment.paid_on > today:
            report(f"{path}.paid_on", _("The date of the payment lies in the future."))
        if len(payment.purpose.strip()) > MAX_PURPOSE:
            report(f"{path}.purpose", _("Use at most %(n)d characters.") % {"n": MAX_PURPOSE})
        clean.append(
            CleanPayment(payment, payer_iban, beneficiary_iban, amount, currency if amount else "")
        )
    return clean


def _check_index(
    report: Report, path: str, index: int | None, count: int, *, required: bool
) -> None:
    """``index`` points at one of ``count`` persons (paths ending in ``person``) or
    companies of the signal."""
    company = path.endswith("company")
    if index is None:
        if required:
            report(path, _("Choose a company.") if company else _("Choose a person."))
        return
    if not 0 <= index < count:
        report(
            path,
            (
                _("This signal has no company number %(index)d.")
                if company
                else _("This signal has no person number %(index)d.")
            )
            % {"index": index},
        )


def _side(
    report: Report,
    path: str,
    side: str,
    person: int | None,
    company: int | None,
    iban: str,
    *,
    persons: int,
    companies: int,
) -> str:
    """Check one side of a payment; returns its normalised IBAN, or ""."""
    given = [person is not None, company is not None, bool(iban.strip())]
    if sum(given) != 1:
        report(
            f"{path}.{side}_person",
            _("Give exactly one of: a person, a company or a bank account (IBAN)."),
        )
    _check_index(report, f"{path}.{side}_person", person, persons, required=False)
    _check_index(report, f"{path}.{side}_company", company, companies, required=False)
    if not iban.strip():
        return ""
    try:
        return str(normalise_iban(iban))
    except NormalisationError as exc:
        report(f"{path}.{side}_iban", exc.message)
        return ""
