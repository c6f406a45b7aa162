"""From a signal's rows to mentions: each person, company, address, bank account and vehicle
the signal names becomes a ``Mention`` with its values as given, the same values as
FollowTheMoney properties (cleaned by FollowTheMoney's own property types), the blocking keys
that matching after intake looks up, and the links between them within the signal.

Values that are not valid for their type (a date that cannot be, a phone number that cannot
be parsed) are kept as given, with a flag; they are never dropped and never fail the
projection. So are names (of people and companies) and streets and cities with a word in
more than one script ("Ioana" typed with Cyrillic letters for "ana"), a sign of a typing or
transliteration slip that also hides the name from matching on its spelling.

Links made from one signal (documented in docs/linkage.md):

- a person and the bank account or vehicle given with them: ``Ownership`` (owner, asset);
- a company in the role of employer and each possible victim: ``Employment``;
- a suspect (or recruiter, facilitator, landlord) and each possible victim: ``UnknownLink``
  with the two roles;
- each possible victim and the address where the signal was observed: the person's
  ``addressEntity`` (FollowTheMoney ties legal entities to addresses by that property).

Links the signal states itself (``signals.RelationMention`` and ``PaymentMention``):

- family and associate: ``Family`` (person, relative, with the ``relationship``) and
  ``Associate`` (person, associate);
- director, owner and employee of one of its companies: ``Directorship`` (director,
  organization), ``Ownership`` (owner, asset) and ``Employment`` (employer, employee);
- a payment: ``Payment`` from the payer to the beneficiary — a person or company as
  ``payer``/``beneficiary``, a bank account as ``payerAccount``/``beneficiaryAccount`` —
  with ``amount``, ``currency``, ``date`` and ``purpose``.

A stated link that a derived one already makes (the employer's ``Employment``) is made once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from followthemoney import model as ftm_model
from rigour.text.scripts import text_scripts

from schakel.entities.linkage.records import normalise_name_part
from schakel.entities.models import (
    OBSERVED_AT,
    BlockingKey,
    Mention,
    Relation,
    RelationSchema,
    Schema,
)
from schakel.normalise.names import company_key, name_key
from schakel.signals.access import category_of_role
from schakel.signals.models import (
    AddressMention,
    CompanyMention,
    IdentifierKind,
    IdentifierMention,
    PaymentMention,
    PersonMention,
    RelationKind,
    RelationMention,
    Signal,
)

#: Roles on the other side of a possible victim.
ACTOR_ROLES = frozenset({"suspect", "recruiter", "facilitator", "landlord"})
VICTIM_ROLE = "possible_victim"
EMPLOYER_ROLES = frozenset({"employer"})
#: Our gender codes in FollowTheMoney's gender type (``unknown`` is left out).
GENDERS = {"female": "female", "male": "male", "other": "other"}
#: Identifiers that are properties of the person or company they belong to.
PROPERTY_OF_IDENTIFIER = {
    IdentifierKind.PHONE: "phone",
    IdentifierKind.EMAIL: "email",
    IdentifierKind.WEBSITE: "website",
    IdentifierKind.IDENTITY: "idNumber",
}


#: The link schema of each relation a signal states, and whether the person is its source
#: (else the company is: an employer is the source of an ``Employment``).
STATED_LINKS = {
    RelationKind.FAMILY: (RelationSchema.FAMILY, True),
    RelationKind.ASSOCIATE: (RelationSchema.ASSOCIATE, True),
    RelationKind.DIRECTOR: (RelationSchema.DIRECTORSHIP, True),
    RelationKind.OWNER: (RelationSchema.OWNERSHIP, True),
    RelationKind.EMPLOYEE: (RelationSchema.EMPLOYMENT, False),
}


@dataclass
class Link:
    schema: str
    source: int  # index of the mention
    target: int
    role: str = ""
    properties: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class ProjectedSignal:
    mentions: list[Mention] = field(default_factory=list)
    keys: list[list[tuple[str, str]]] = field(default_factory=list)  # per mention
    relations: list[Link] = field(default_factory=list)

    def add(self, mention: Mention, keys: list[tuple[str, str]]) -> int:
        self.mentions.append(mention)
        self.keys.append(keys)
        return len(self.mentions) - 1

    def link(
        self,
        schema: str,
        source: int,
        target: int,
        role: str = "",
        properties: dict[str, list[str]] | None = None,
    ) -> None:
        """A link between two mentions; once per schema and pair, except payments (a signal
        may report several between the same two)."""
        if schema != RelationSchema.PAYMENT and any(
            (r.schema, r.source, r.target) == (schema, source, target) for r in self.relations
        ):
            return
        self.relations.append(Link(schema, source, target, role, properties or {}))

    def blocking_keys(self) -> list[BlockingKey]:
        return [
            BlockingKey(mention=mention, kind=kind, value=value[:300])
            for mention, keys in zip(self.mentions, self.keys, strict=True)
            for kind, value in sorted(set(keys))
        ]

    def relation_rows(self, signal: Signal) -> list[Relation]:
        return [
            Relation(
                schema=link.schema,
                source=self.mentions[link.source],
                target=self.mentions[link.target],
                role=link.role,
                properties=link.properties,
                signal=signal,
            )
            for link in self.relations
        ]


#: Scripts that are written together within one word by design: Japanese mixes Han with
#: Hiragana and Katakana, Korean Hangul with Han. Counted as one for "mixed scripts".
EAST_ASIAN_SCRIPTS = frozenset({"Han", "Hiragana", "Katakana", "Hangul"})
MIXED_SCRIPTS = "mixed scripts"


def has_mixed_scripts(text: str) -> bool:
    """Whether a word of ``text`` has letters of more than one script. Digits, punctuation
    and combining marks belong to no script ("O'Brien", "12a", "Ștefan" are Latin); words in
    different scripts side by side ("Іван Petrov") are not mixed."""
    for word in text.split():
        scripts = text_scripts(word)
        if len(scripts) > 1 and not scripts <= EAST_ASIAN_SCRIPTS:
            return True
    return False


class _Properties:
    """FollowTheMoney properties of one mention, cleaned by their types, with flags for the
    values their type refuses (kept as given in the mention's ``original``) and for names
    in mixed scripts (kept, and flagged)."""

    def __init__(self, schema: str) -> None:
        found = ftm_model.get(schema)
        assert found is not None, schema
        self.schema = found
        self.values: dict[str, list[str]] = {}
        self.flags: list[dict[str, str]] = []

    def add(self, name: str, raw: Any, *, check_scripts: bool = False) -> str | None:
        """Add a value; ``check_scripts`` for a name, street or city given as typed."""
        if raw in (None, ""):
            return None
        prop = self.schema.get(name)
        assert prop is not None, f"{self.schema.name}.{name}"
        cleaned = prop.type.clean(raw, proxy=None)
        if cleaned is None:
            self.flags.append(
                {"property": name, "value": str(raw), "problem": f"not a valid {prop.type.name}"}
            )
            return None
        if check_scripts and has_mixed_scripts(str(raw)):
            self.flags.append({"property": name, "value": str(raw), "problem": MIXED_SCRIPTS})
        if cleaned not in self.values.setdefault(name, []):
            self.values[name].append(cleaned)
        return str(cleaned)


def _mention(
    signal: Signal, schema: str, source: str, source_id: int, role: str, original: dict[str, Any]
) -> tuple[Mention, _Properties]:
    return (
        Mention(
            schema=schema,
            signal=signal,
            organisation_id=signal.owner_organisation_id,
            stated_at=signal.received_at,
            source=source,
            source_id=source_id,
            role=role,
            original={k: v for k, v in original.items() if v not in (None, "", [])},
        ),
        _Properties(schema),
    )


def _finish(mention: Mention, properties: _Properties, caption: str) -> Mention:
    mention.properties = properties.values
    mention.flags = properties.flags
    mention.caption = caption[:300]
    return mention


def name_part_keys(given_names: str, family_name: str, born: date) -> list[tuple[str, str]]:
    """A dated person's keys by one name with the date of birth: a typing error in the other
    name then still finds the candidate right after intake (the batch run blocks on one name
    with the year, docs/linkage.md; the whole date keeps these keys as selective as a full
    name)."""
    keys = []
    for kind, part in (("family_dob", family_name), ("given_dob", given_names)):
        normalised = normalise_name_part(part)
        if normalised:
            keys.append((kind, f"{normalised}|{born.isoformat()}"))
    return keys


def _person(
    signal: Signal, person: PersonMention, identifiers: list[IdentifierMention]
) -> tuple[Mention, list[tuple[str, str]]]:
    full = " ".join(p for p in (person.given_names.strip(), person.family_name.strip()) if p)
    born = person.date_of_birth.isoformat() if person.date_of_birth else ""
    mention, props = _mention(
        signal,
        Schema.PERSON,
        Mention.Source.PERSON,
        person.pk,
        person.role,
        {
            "given_names": person.given_names,
            "family_name": person.family_name,
            "alias": person.alias,
            "date_of_birth": born,
            "age_band": person.age_band,
            "gender": person.gender,
            "nationality": person.nationality,
            "languages": list(person.languages),
        },
    )
    mention.category = category_of_role(person.role)
    # The full name is flagged through its parts, not twice.
    props.add("name", full)
    props.add("firstName", person.given_names.strip(), check_scripts=True)
    props.add("lastName", person.family_name.strip(), check_scripts=True)
    props.add("alias", person.alias.strip(), check_scripts=True)
    props.add("birthDate", born)
    props.add("gender", GENDERS.get(person.gender))
    props.add("nationality", person.nationality)
    keys: list[tuple[str, str]] = []
    key = name_key(full) if full else ""
    if key:
        keys.append(("name", key))
        if person.date_of_birth:
            keys.append(("name_born", f"{key}|{person.date_of_birth.year}"))
    if person.date_of_birth:
        keys.append(("born", born))
        keys += name_part_keys(person.given_names, person.family_name, person.date_of_birth)
    for identifier in identifiers:
        prop = PROPERTY_OF_IDENTIFIER.get(IdentifierKind(identifier.kind))
        if prop is None:
            continue
        mention.original.setdefault(identifier.kind, []).append(identifier.value)
        props.add(prop, identifier.normalised or identifier.value)
        if identifier.normalised:
            keys.append((identifier.kind, identifier.normalised))
    caption = full or person.alias.strip() or ""
    return _finish(mention, props, caption), keys


def _company(
    signal: Signal, company: CompanyMention, identifiers: list[IdentifierMention]
) -> tuple[Mention, list[tuple[str, str]]]:
    mention, props = _mention(
        signal,
        Schema.COMPANY,
        Mention.Source.COMPANY,
        company.pk,
        company.role,
        {"name": company.name, "registration_number": company.registration_number},
    )
    props.add("name", company.name.strip(), check_scripts=True)
    props.add("registrationNumber", company.registration_number.strip())
    keys: list[tuple[str, str]] = []
    key = company_key(company.name)
    if key:
        keys.append(("company", key))
    if company.registration_number.strip():
        keys.append(("kvk", company.registration_number.strip()))
    for identifier in identifiers:
        prop = PROPERTY_OF_IDENTIFIER.get(IdentifierKind(identifier.kind))
        if prop is None or prop == "idNumber":
            continue
        mention.original.setdefault(identifier.kind, []).append(identifier.value)
        props.add(prop, identifier.normalised or identifier.value)
        if identifier.normalised:
            keys.append((identifier.kind, identifier.normalised))
    return _finish(mention, props, company.name.strip()), keys


def _address(signal: Signal, address: AddressMention) -> tuple[Mention, list[tuple[str, str]]]:
    street = " ".join(p for p in (address.street.strip(), address.house_number.strip()) if p)
    place = " ".join(p for p in (address.postcode.strip(), address.city.strip()) if p)
    full = ", ".join(p for p in (street, place) if p)
    mention, props = _mention(
        signal,
        Schema.ADDRESS,
        Mention.Source.ADDRESS,
        address.pk,
        OBSERVED_AT if address.is_place_of_observation else "",
        {
            "street": address.street,
            "house_number": address.house_number,
            "postcode": address.postcode,
            "city": address.city,
            "country": address.country,
        },
    )
    props.add("full", full)
    props.add("street", street, check_scripts=True)
    props.add("postalCode", address.postcode.strip())
    props.add("city", address.city.strip(), check_scripts=True)
    props.add("country", address.country)
    keys = [("address", address.address_key)] if address.address_key else []
    return _finish(mention, props, full), keys


def _asset(signal: Signal, identifier: IdentifierMention) -> tuple[Mention, list[tuple[str, str]]]:
    iban = identifier.kind == IdentifierKind.IBAN
    mention, props = _mention(
        signal,
        Schema.BANK_ACCOUNT if iban else Schema.VEHICLE,
        Mention.Source.IDENTIFIER,
        identifier.pk,
        "",
        {identifier.kind: identifier.value},
    )
    value = identifier.normalised or identifier.value
    props.add("iban" if iban else "registrationNumber", value)
    keys = [(identifier.kind, identifier.normalised)] if identifier.normalised else []
    return _finish(mention, props, value), keys


def project(signal: Signal) -> ProjectedSignal:
    """The mentions, blocking keys and links of one signal (not yet saved)."""
    persons = list(signal.persons.all())
    companies = list(signal.companies.all())
    addresses = list(signal.addresses.all())
    identifiers = list(signal.identifiers.all())
    projected = ProjectedSignal()
    index_of_person: dict[int, int] = {}
    index_of_company: dict[int, int] = {}
    index_of_iban: dict[str, int] = {}
    for person in persons:
        own = [i for i in identifiers if i.person_id == person.pk]
        index_of_person[person.pk] = projected.add(*_person(signal, person, own))
    for company in companies:
        own = [i for i in identifiers if i.company_id == company.pk]
        index_of_company[company.pk] = projected.add(*_company(signal, company, own))
    observed: list[int] = []
    for address in addresses:
        position = projected.add(*_address(signal, address))
        if address.is_place_of_observation:
            observed.append(position)
    for identifier in identifiers:
        if identifier.kind not in (IdentifierKind.IBAN, IdentifierKind.PLATE):
            continue
        asset, keys = _asset(signal, identifier)
        owner = index_of_person.get(identifier.person_id or 0)
        if owner is not None:
            asset.category = projected.mentions[owner].category
        else:
            owner = index_of_company.get(identifier.company_id or 0)
        index = projected.add(asset, keys)
        if identifier.kind == IdentifierKind.IBAN and identifier.normalised:
            index_of_iban.setdefault(identifier.normalised, index)
        if owner is not None:
            projected.link(RelationSchema.OWNERSHIP, owner, index)

    victims = [index_of_person[p.pk] for p in persons if p.role == VICTIM_ROLE]
    for person in persons:
        if person.role in ACTOR_ROLES:
            for victim in victims:
                projected.link(
                    RelationSchema.UNKNOWN_LINK,
                    index_of_person[person.pk],
                    victim,
                    f"{person.role} / {VICTIM_ROLE}",
                )
    for company in companies:
        if company.role in EMPLOYER_ROLES:
            for victim in victims:
                projected.link(RelationSchema.EMPLOYMENT, index_of_company[company.pk], victim)
    for victim in victims:
        for place in observed:
            projected.link(RelationSchema.ADDRESS, victim, place)
    _stated_links(
        projected,
        list(signal.relations.all()),
        list(signal.payments.all()),
        index_of_person,
        index_of_company,
        index_of_iban,
    )
    return projected


def _stated_links(
    projected: ProjectedSignal,
    relations: list[RelationMention],
    payments: list[PaymentMention],
    index_of_person: dict[int, int],
    index_of_company: dict[int, int],
    index_of_iban: dict[str, int],
) -> None:
    """The relations and payments the signal states, between its mentions."""
    for relation in relations:
        schema, person_first = STATED_LINKS[RelationKind(relation.kind)]
        person = index_of_person[relation.person_id]
        other = (
            index_of_person[relation.other_person_id]
            if relation.other_person_id is not None
            else index_of_company[relation.company_id or 0]
        )
        source, target = (person, other) if person_first else (other, person)
        properties = _Properties(schema)
        properties.add("relationship", relation.relationship)
        projected.link(schema, source, target, relation.relationship, properties.values)

    def party(person: int | None, company: int | None, iban: str) -> int | None:
        if person is not None:
            return index_of_person.get(person)
        if company is not None:
            return index_of_company.get(company)
        return index_of_iban.get(iban)

    for payment in payments:
        payer = party(payment.payer_person_id, payment.payer_company_id, payment.payer_iban)
        beneficiary = party(
            payment.beneficiary_person_id,
            payment.beneficiary_company_id,
            payment.beneficiary_iban,
        )
        if payer is None or beneficiary is None:  # pragma: no cover - intake ensures both
            continue
        properties = _Properties(RelationSchema.PAYMENT)
        if payment.amount is not None:
            properties.add("amount", str(payment.amount))
            properties.add("currency", payment.currency)
        properties.add("date", payment.paid_on.isoformat() if payment.paid_on else "")
        properties.add("purpose", payment.purpose)
        projected.link(RelationSchema.PAYMENT, payer, beneficiary, properties=properties.values)
