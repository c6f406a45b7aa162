"""What a partner hands in: the input of every intake channel (forms, API, bulk), and its
validation. Every problem is collected with the path of its field, so that a form, an API
response and an import report can all name each one; nothing is written while any remains.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from django.db.models import Model
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from schakel.access.policy import legal_bases_for
from schakel.errors import InvalidFields
from schakel.normalise import (
    NormalisationError,
    address_key,
    company_key,
    country_code,
    name_key,
    normalise_email,
    normalise_iban,
    normalise_identity_number,
    normalise_phone,
    normalise_plate,
    postcode_key,
    website_key,
)
from schakel.partners.models import Organisation, Region, SharingGroup, SharingGroupMembership
from schakel.partners.vocabulary import RegionKind
from schakel.rows import Select, fetch_together
from schakel.signals.models import AddressMention, Channel, CompanyMention, PersonMention, Tlp
from schakel.signals.relations import CleanPayment, validate_payments, validate_relations
from schakel.signals.relations import PaymentInput as PaymentInput  # part of the input
from schakel.signals.relations import RelationInput as RelationInput
from schakel.signals.rules.indicators import catalogue
from schakel.signals.rules.triage import TriageFacts
from schakel.signals.rules.vocabulary import current as vocabularies

MAX_DESCRIPTION = 20_000
#: The largest id a stored row can have: a signed 64-bit integer, the range of Django's
#: ``BigAutoField`` (``web.api_input.MAX_ROW_ID`` says the same for the API's input). A larger
#: number names no row, and a database driver may refuse it in a query (SQLite raises
#: OverflowError) instead of finding nothing.
MAX_ROW_ID = 2**63 - 1


def row_ids(values: Iterable[object]) -> list[int]:
    """The values that can be ids of stored rows, as ints, in their order: ints and texts of
    ASCII digits from 1 to ``MAX_ROW_ID``. Anything else names no row and is left out, so
    that a lookup by these ids finds nothing for it rather than failing (``"²".isdigit()`` is
    true and ``int("٣")`` is 3: only ASCII digits are taken)."""
    found = []
    for value in values:
        if isinstance(value, str) and value.isascii() and value.isdecimal():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ROW_ID:
            found.append(value)
    return found


@dataclass
class PersonInput:
    role: str
    given_names: str = ""
    family_name: str = ""
    alias: str = ""
    date_of_birth: date | None = None
    age_band: str = ""
    gender: str = ""
    nationality: str = ""
    migration_status: str = ""
    languages: list[str] = field(default_factory=list)
    identity_numbers: list[tuple[str, str]] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)

    @property
    def named(self) -> bool:
        return bool(self.given_names.strip() or self.family_name.strip() or self.alias.strip())


@dataclass
class CompanyInput:
    name: str
    registration_number: str = ""
    role: str = ""


@dataclass
class AddressInput:
    street: str = ""
    house_number: str = ""
    postcode: str = ""
    city: str = ""
    country: str = "NL"
    is_place_of_observation: bool = False


@dataclass
class SignalInput:
    description: str = ""
    observed_on: date | None = None
    municipality: str = ""  # CBS code, e.g. GM0758
    forms_of_exploitation: list[str] = field(default_factory=list)
    indicator_ids: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    tlp: str = Tlp.AMBER
    purpose: str = "signal_table_assessment"
    legal_basis: str = ""
    sharing_group_ids: list[int] = field(default_factory=list)
    recipient_ids: list[int] = field(default_factory=list)
    source_reliability: str = ""
    information_reliability: str = ""
    identity_withheld: bool = False
    reporter_withheld: bool = False
    persons: list[PersonInput] = field(default_factory=list)
    companies: list[CompanyInput] = field(default_factory=list)
    addresses: list[AddressInput] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    ibans: list[str] = field(default_factory=list)
    plates: list[str] = field(default_factory=list)
    websites: list[str] = field(default_factory=list)
    # How the persons and companies above are tied, and payments between them or accounts.
    relations: list[RelationInput] = field(default_factory=list)
    payments: list[PaymentInput] = field(default_factory=list)

    def holds_personal_data(self) -> bool:
        return bool(
            any(
                p.named or p.date_of_birth or p.identity_numbers or p.phones or p.emails
                for p in self.persons
            )
            or self.phones
            or self.emails
            or self.ibans
            or self.plates
            or any(a.street or a.postcode for a in self.addresses)
            or any(p.payer_iban or p.beneficiary_iban for p in self.payments)
        )


@dataclass
class CleanPerson:
    source: PersonInput
    name_key: str
    identifiers: list[tuple[str, str, str, str]]  # kind, subkind, value, normalised
    is_minor: bool
    nationality: str  # the ISO code ("GB" for "uk"), or "" when none was given


@dataclass
class CleanSignal:
    """The validated input with normalised keys, ready to be written."""

    data: SignalInput
    municipality: Region | None
    groups: list[SharingGroup]
    recipients: list[Organisation]
    persons: list[CleanPerson]
    company_keys: list[str]
    address_keys: list[str | None]
    identifiers: list[tuple[str, str, str, str]]
    payments: list[CleanPayment] = field(default_factory=list)
    # Per address, its country as the ISO code ("GB" for "uk"; "NL" when none was given).
    address_countries: list[str] = field(default_factory=list)


class _Problems:
    def __init__(self) -> None:
        self.found: dict[str, list[str | Promise]] = {}

    def add(self, path: str, message: str | Promise) -> None:
        self.found.setdefault(path, []).append(message)

    def raise_if_any(self) -> None:
        if self.found:
            raise InvalidFields(self.found)


def _normalised(problems: _Problems, path: str, function: Any, raw: str) -> str | None:
    try:
        return str(function(raw))
    except NormalisationError as exc:
        problems.add(path, exc.message)
        return None


def _check_lengths(problems: _Problems, path: str, model: type[Model], values: object) -> None:
    """Every text no longer than its column: PostgreSQL would refuse it half-way."""
    for name in (
        "given_names",
        "family_name",
        "alias",
        "name",
        "registration_number",
        "role",
        "street",
        "house_number",
        "postcode",
        "city",
    ):
        value = getattr(values, name, None)
        if not isinstance(value, str):
            continue
        limit = getattr(model._meta.get_field(name), "max_length", None)
        if limit is not None and len(value.strip()) > limit:
            problems.add(f"{path}.{name}", _("Use at most %(n)d characters.") % {"n": limit})


def _country(problems: _Problems, path: str, raw: str, *, stored: bool) -> str:
    """The ISO 3166-1 alpha-2 code of a nationality or an address's country (``uk`` gives
    ``GB``, ``EL`` gives ``GR``), or ``raw`` in upper case with a problem under ``path``.

    A stored value is not refused for being unknown: any two letters were accepted as a
    nationality before ("ÅÅ", "QQ"), and one must not stop an update that cannot change it
    (see ``stored`` in validate_signal)."""
    text = raw.strip()
    if not text:
        return ""
    if len(text) != 2 or not text.isalpha():
        problems.add(path, _("Use a two-letter country code, e.g. RO or NG."))
        return text.upper()
    code = country_code(text)
    if code is None:
        if not stored:
            problems.add(
                path,
                _("Unknown country code “%(code)s”: use a two-letter code such as RO or NG.")
                % {"code": text},
            )
        return text.upper()
    return code


def _check_code(problems: _Problems, path: str, vocabulary: str, code: str) -> None:
    if code and code not in vocabularies().codes(vocabulary):
        problems.add(path, _("Unknown value “%(code)s”.") % {"code": code})


# The lookups of every intake, in SQL written once (rows.Select): the ORM would compile each
# queryset again per signal. They go to the database together (one round trip), and each
# asks it every time, so a group the organisation has left, or a recipient deactivated
# since, is refused at once.
_MUNICIPALITY_KIND = RegionKind.MUNICIPALITY.value
# Django builds a choices class's ``values`` list anew on each use; the check runs per row.
_CHANNELS = frozenset(Channel.values)
_TLPS = frozenset(Tlp.values)
_MUNICIPALITY = Select((Region,), "FROM {Region} WHERE {Region.code} = %s AND {Region.kind} = %s")
_GROUPS_OF_MEMBER = Select(
    (SharingGroup,),
    "FROM {SharingGroup} WHERE {SharingGroup.id} IN %s AND {SharingGroup.id} IN ("
    "SELECT {SharingGroupMembership.group} FROM {SharingGroupMembership} "
    "WHERE {SharingGroupMembership.organisation} = %s) ORDER BY {SharingGroup.name}",
    joined=(SharingGroupMembership,),
)
_ACTIVE_ORGANISATIONS = Select(
    (Organisation,),
    "FROM {Organisation} WHERE {Organisation.id} IN %s AND {Organisation.is_active} = %s "
    "ORDER BY {Organisation.name}",
)

M = TypeVar("M", bound=Model)


def _each(rows: list[tuple[Model | None, ...]], model: type[M]) -> list[M]:
    return [row for (row,) in rows if isinstance(row, model)]


def _first(rows: list[tuple[Model | None, ...]], model: type[M]) -> M | None:
    found = _each(rows, model)
    return found[0] if found else None


def validate_signal(
    data: SignalInput,
    *,
    owner: Organisation,
    channel: str,
    today: date | None = None,
    stored: bool = False,
) -> CleanSignal:
    """Check everything; raise InvalidFields naming every wrong field, or return the clean
    signal with its normalised keys.

    ``stored``: the persons, companies and addresses are those of a stored signal, checked
    again for an update that cannot change them. Rules added for them since (an address
    needs a street, postcode or city; a nationality and an address's country are known
    country codes) then do not apply: a signal stored before a rule must not become
    impossible to update for something its editor cannot change. The rules of what an
    update can change (the label and named recipients among them) apply as at intake."""
    today = today or timezone.localdate()
    problems = _Problems()
    if channel not in _CHANNELS:
        problems.add("channel", _("Unknown channel."))

    if len(data.description) > MAX_DESCRIPTION:
        problems.add(
            "description",
            _("Use at most %(n)d characters for the description.") % {"n": MAX_DESCRIPTION},
        )
    if not data.description.strip() and not data.indicator_ids:
        problems.add("description", _("Describe what you saw, or choose at least one indicator."))
    if data.observed_on and data.observed_on > today:
        problems.add("observed_on", _("The date of observation lies in the future."))

    # No query for empty lists: bulk import validates many rows without groups or recipients.
    # Ids no row can have are not looked up: they count as not found, and are named below.
    group_ids, recipient_ids = tuple(set(data.sharing_group_ids)), tuple(set(data.recipient_ids))
    known_group_ids = tuple(row_ids(group_ids))
    known_recipient_ids = tuple(row_ids(recipient_ids))
    found_municipality, found_groups, found_recipients = fetch_together(
        (_MUNICIPALITY, [data.municipality, _MUNICIPALITY_KIND]) if data.municipality else None,
        (_GROUPS_OF_MEMBER, [known_group_ids, owner.pk]) if known_group_ids else None,
        (_ACTIVE_ORGANISATIONS, [known_recipient_ids, True]) if known_recipient_ids else None,
    )
    municipality = _first(found_municipality, Region)
    groups = _each(found_groups, SharingGroup)
    recipients = _each(found_recipients, Organisation)

    if data.municipality and municipality is None:
        problems.add(
            "municipality",
            _("Unknown municipality code “%(code)s”.") % {"code": data.municipality},
        )

    for index, code in enumerate(data.forms_of_exploitation):
        _check_code(problems, f"forms_of_exploitation[{index}]", "forms_of_exploitation", code)
    for index, code in enumerate(data.tags):
        _check_code(problems, f"tags[{index}]", "tags", code)
    known_indicators = catalogue().ids
    for index, indicator in enumerate(data.indicator_ids):
        if indicator not in known_indicators:
            problems.add(
                f"indicator_ids[{index}]", _("Unknown indicator “%(id)s”.") % {"id": indicator}
            )

    if data.tlp not in _TLPS:
        problems.add(
            "tlp", _("Choose a sharing label: TLP:CLEAR, GREEN, AMBER, AMBER+STRICT or RED.")
        )
    elif data.tlp == Tlp.CLEAR and data.holds_personal_data():
        problems.add(
            "tlp",
            _(
                "TLP:CLEAR is for information without personal data; this signal "
                "holds personal data. Choose another label."
            ),
        )
    _check_code(problems, "purpose", "purposes", data.purpose)
    if not data.purpose:
        problems.add("purpose", _("Choose the purpose of sharing."))
    if data.legal_basis and data.legal_basis not in legal_bases_for(owner.sector):
        problems.add("legal_basis", _("Your organisation cannot invoke this legal basis."))
    _check_code(problems, "source_reliability", "reliability_source", data.source_reliability)
    _check_code(
        problems, "information_reliability", "reliability_information", data.information_reliability
    )

    if len(groups) != len(group_ids):
        problems.add(
            "sharing_group_ids", _("You can share only with groups your organisation belongs to.")
        )
    if len(recipients) != len(recipient_ids):
        problems.add("recipient_ids", _("Unknown recipient organisation."))
    if data.recipient_ids and data.tlp != Tlp.RED:
        problems.add(
            "recipient_ids",
            _("Named recipients are for TLP:RED; other labels go to sharing groups."),
        )
    if data.tlp == Tlp.RED and not data.recipient_ids:
        # RED is shared with no group (sharing.who_will_see, the access matrix): without a
        # named recipient it would reach no one outside the owner, never what was meant.
        problems.add(
            "recipient_ids",
            _("TLP:RED goes only to named recipients: name at least one organisation."),
        )

    persons = [
        _clean_person(problems, f"persons[{i}]", p, data, today, stored=stored)
        for i, p in enumerate(data.persons)
    ]

    company_keys = []
    for index, company in enumerate(data.companies):
        _check_lengths(problems, f"companies[{index}]", CompanyMention, company)
        if not company.name.strip():
            problems.add(f"companies[{index}].name", _("A company needs a name."))
        if company.registration_number:
            _normalised(
                problems,
                f"companies[{index}].registration_number",
                lambda raw: normalise_identity_number("kvk", raw),
                company.registration_number,
            )
        company_keys.append(company_key(company.name) if company.name.strip() else "")

    address_keys: list[str | None] = []
    address_countries: list[str] = []
    for index, address in enumerate(data.addresses):
        _check_lengths(problems, f"addresses[{index}]", AddressMention, address)
        # An address's country was not checked before at all: a stored one is taken as it is.
        country = (
            address.country.strip().upper()
            if stored
            else _country(problems, f"addresses[{index}].country", address.country, stored=False)
        ) or "NL"
        address_countries.append(country)
        if not stored and not (
            address.street.strip() or address.postcode.strip() or address.city.strip()
        ):
            # A house number alone (or a country, or "this is where it was seen") names no
            # place: refused, so that the submitter completes or removes it.
            problems.add(
                f"addresses[{index}].street", _("An address needs a street, postcode or city.")
            )
        if address.postcode.strip() and country == "NL":
            # address_key falls back to street and city for a bad postcode; a typed postcode
            # that is not one is still an error the submitter should see.
            try:
                postcode_key(address.postcode)
            except NormalisationError as exc:
                problems.add(f"addresses[{index}].postcode", exc.message)
        try:
            address_keys.append(
                address_key(
                    street=address.street,
                    house_number=address.house_number,
                    postcode=address.postcode,
                    city=address.city,
                    country=country,
                )
            )
        except NormalisationError as exc:
            part = "house_number" if exc.kind == "house_number" else "postcode"
            problems.add(f"addresses[{index}].{part}", exc.message)
            address_keys.append(None)

    identifiers: list[tuple[str, str, str, str]] = []
    for kind, values, function in (
        ("phone", data.phones, normalise_phone),
        ("email", data.emails, normalise_email),
        ("iban", data.ibans, normalise_iban),
        ("plate", data.plates, normalise_plate),
    ):
        for index, raw in enumerate(values):
            value = _normalised(problems, f"{kind}s[{index}]", function, raw)
            if value:
                identifiers.append((kind, "", raw.strip(), value))
    for index, raw in enumerate(data.websites):
        website = raw.strip()
        if not website:
            continue
        if len(website) > 500:
            problems.add(f"websites[{index}]", _("This address is too long."))
        else:
            identifiers.append(("website", "", website, website_key(website)))

    validate_relations(
        problems.add, data.relations, persons=len(data.persons), companies=len(data.companies)
    )
    payments = validate_payments(
        problems.add,
        data.payments,
        persons=len(data.persons),
        companies=len(data.companies),
        today=today,
    )
    # A payment's account is one of the signal's accounts, listed or not.
    known_ibans = {value for kind, _sub, _raw, value in identifiers if kind == "iban"}
    for payment in payments:
        for raw, iban in (
            (payment.source.payer_iban, payment.payer_iban),
            (payment.source.beneficiary_iban, payment.beneficiary_iban),
        ):
            if iban and iban not in known_ibans:
                known_ibans.add(iban)
                identifiers.append(("iban", "", raw.strip(), iban))

    problems.raise_if_any()
    return CleanSignal(
        data,
        municipality,
        groups,
        recipients,
        persons,
        company_keys,
        address_keys,
        identifiers,
        payments,
        address_countries,
    )


def _clean_person(
    problems: _Problems,
    path: str,
    person: PersonInput,
    data: SignalInput,
    today: date,
    *,
    stored: bool = False,
) -> CleanPerson:
    _check_lengths(problems, path, PersonMention, person)
    _check_code(problems, f"{path}.role", "person_roles", person.role)
    if not person.role:
        problems.add(f"{path}.role", _("Choose the person's role."))
    _check_code(problems, f"{path}.age_band", "age_bands", person.age_band)
    _check_code(problems, f"{path}.gender", "gender", person.gender)
    _check_code(problems, f"{path}.migration_status", "migration_status", person.migration_status)
    nationality = _country(problems, f"{path}.nationality", person.nationality, stored=stored)
    if data.identity_withheld and (
        person.named
        or person.date_of_birth
        or person.identity_numbers
        or person.phones
        or person.emails
    ):
        problems.add(
            f"{path}.given_names",
            _(
                "The identity is withheld: leave out names, date of "
                "birth, identity numbers and contact details."
            ),
        )
    born = person.date_of_birth
    if born is not None:
        if born > today:
            problems.add(f"{path}.date_of_birth", _("The date of birth lies in the future."))
        elif data.observed_on and born > data.observed_on:
            problems.add(
                f"{path}.date_of_birth", _("The person was born after the date of observation.")
            )
    identifiers: list[tuple[str, str, str, str]] = []
    for index, (kind, raw) in enumerate(person.identity_numbers):
        value = _normalised(
            problems,
            f"{path}.identity_numbers[{index}]",
            lambda r, k=kind: normalise_identity_number(k, r),
            raw,
        )
        if value:
            identifiers.append(("identity", kind, raw.strip(), value))
    for index, raw in enumerate(person.phones):
        value = _normalised(problems, f"{path}.phones[{index}]", normalise_phone, raw)
        if value:
            identifiers.append(("phone", "", raw.strip(), value))
    for index, raw in enumerate(person.emails):
        value = _normalised(problems, f"{path}.emails[{index}]", normalise_email, raw)
        if value:
            identifiers.append(("email", "", raw.strip(), value))
    is_minor = person_is_minor(born, person.age_band, data.observed_on or today)
    full_name = " ".join(p for p in (person.given_names, person.family_name) if p.strip())
    return CleanPerson(
        person, name_key(full_name) if full_name else "", identifiers, is_minor, nationality
    )


VICTIM_ROLES = frozenset({"possible_victim"})


def person_is_minor(born: date | None, age_band: str, on: date) -> bool:
    """Under 18 on the day of observation, by date of birth or by age band."""
    if (
        born is not None
        and on.year - born.year - ((on.month, on.day) < (born.month, born.day)) < 18
    ):
        return True
    # An unknown band is reported by validation; here it simply says nothing about age.
    return age_band in vocabularies().codes("age_bands") and vocabularies().is_minor_age_band(
        age_band
    )


def triage_facts(clean: CleanSignal) -> TriageFacts:
    """What the triage model needs to know of a validated signal."""
    data = clean.data
    victims = [p for p in clean.persons if p.source.role in VICTIM_ROLES]
    return TriageFacts(
        indicator_ids=frozenset(data.indicator_ids),
        forms=frozenset(data.forms_of_exploitation),
        minor_victim=any(p.is_minor for p in victims),
        victim_count=len(victims),
        source_reliability=data.source_reliability or None,
        information_reliability=data.information_reliability or None,
    )
