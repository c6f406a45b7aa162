"""The import template: one row per signal, one column per field.

This list is the single description of the template: the downloadable files, the column
table on the upload page, the reader (which refuses any other column) and the mapping of a
validation problem back to its column are all made from it. ``docs/import.md`` explains the
same columns to people; ``test_bulk_template`` keeps the two in step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Kind(Enum):
    TEXT = "text"
    DATE = "date"
    CODE = "code"  # one code of a vocabulary
    LIST = "list"  # values separated by ";"
    YES_NO = "yes_no"


#: What separates the values of a list column.
LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    label: str | Promise
    example: str
    # The vocabulary whose codes the column takes (codes and lists of codes), for the help.
    vocabulary: str = ""
    # The longest value the database keeps; longer values are refused by the reader.
    max_length: int | None = None


COLUMNS: tuple[Column, ...] = (
    Column(
        "external_id",
        Kind.TEXT,
        _("Your own id of the signal (optional). A row whose id was imported before is skipped."),
        "HL-2026-0042",
        max_length=128,
    ),
    Column(
        "description",
        Kind.TEXT,
        _("What was seen, in your own words. Needed unless the row names an indicator."),
        "Acht mensen wonen boven een nagelstudio; de baas houdt paspoorten in.",
    ),
    Column(
        "observed_on",
        Kind.DATE,
        _("Date of the observation: YYYY-MM-DD or DD-MM-YYYY."),
        "2026-11-20",
    ),
    Column("municipality", Kind.TEXT, _("CBS code of the municipality, e.g. GM0758."), "GM0758"),
    Column(
        "forms_of_exploitation",
        Kind.LIST,
        _("Forms of exploitation: codes separated by ;"),
        "labour",
        vocabulary="forms_of_exploitation",
    ),
    Column(
        "indicator_ids",
        Kind.LIST,
        _("Indicators from the catalogue: ids separated by ;"),
        "ilo.retention_of_identity_documents;labour.lives_at_workplace",
        vocabulary="indicators",
    ),
    Column(
        "tags",
        Kind.LIST,
        _("Related programmes: codes separated by ;"),
        "",
        vocabulary="tags",
    ),
    Column(
        "tlp",
        Kind.CODE,
        _(
            "Sharing label: CLEAR, GREEN, AMBER or AMBER+STRICT. Empty: the import's default. "
            "RED is refused: it goes only to named recipients, which an import cannot name."
        ),
        "AMBER",
        vocabulary="tlp",
    ),
    Column(
        "purpose",
        Kind.CODE,
        _("Purpose of sharing (code). Empty: the import's default."),
        "signal_table_assessment",
        vocabulary="purposes",
    ),
    Column(
        "sharing_groups",
        Kind.LIST,
        _("Sharing groups by name or number, separated by ;. Empty: the import's default."),
        "Signaaltafel Zeeland-West-Brabant",
    ),
    Column(
        "source_reliability",
        Kind.CODE,
        _("Reliability of the source: A, B, C or X."),
        "B",
        vocabulary="reliability_source",
    ),
    Column(
        "information_reliability",
        Kind.CODE,
        _("Reliability of the information: 1, 2, 3 or 4."),
        "2",
        vocabulary="reliability_information",
    ),
    Column(
        "identity_withheld",
        Kind.YES_NO,
        _("The person's identity is withheld: ja/nee, yes/no or 1/0. Empty: no."),
        "nee",
    ),
    Column(
        "victim_given_names",
        Kind.TEXT,
        _("Possible victim: given names."),
        "Ioana",
        max_length=200,
    ),
    Column(
        "victim_family_name",
        Kind.TEXT,
        _("Possible victim: family name."),
        "Popescu",
        max_length=200,
    ),
    Column(
        "victim_date_of_birth",
        Kind.DATE,
        _("Possible victim: date of birth, YYYY-MM-DD or DD-MM-YYYY."),
        "1999-03-04",
    ),
    Column(
        "victim_age_band",
        Kind.CODE,
        _("Possible victim: estimated age (code)."),
        "age_25_34",
        vocabulary="age_bands",
    ),
    Column(
        "victim_gender",
        Kind.CODE,
        _("Possible victim: gender (code)."),
        "female",
        vocabulary="gender",
    ),
    Column(
        "victim_nationality",
        Kind.TEXT,
        _(
            "Possible victim: nationality, two-letter country code (ISO 3166-1, e.g. RO; "
            "also UK for GB and EL for GR)."
        ),
        "RO",
        max_length=2,
    ),
    Column(
        "victim_migration_status",
        Kind.CODE,
        _("Possible victim: migration status (code)."),
        "eu_citizen",
        vocabulary="migration_status",
    ),
    Column(
        "victim_phone",
        Kind.TEXT,
        _("Possible victim: phone number."),
        "+31612345678",
        max_length=500,
    ),
    Column(
        "victim_email",
        Kind.TEXT,
        _("Possible victim: e-mail address."),
        "",
        max_length=500,
    ),
    Column(
        "victim_identity_number",
        Kind.TEXT,
        _("Possible victim: number of an identity document."),
        "",
        max_length=40,
    ),
    Column(
        "victim_identity_kind",
        Kind.TEXT,
        _(
            "Possible victim: kind of that document: passport, id_card, residence_permit, bsn "
            "or other. Empty: other."
        ),
        "",
        max_length=20,
    ),
    Column(
        "suspect_given_names",
        Kind.TEXT,
        _("Suspect: given names."),
        "Marius",
        max_length=200,
    ),
    Column(
        "suspect_family_name",
        Kind.TEXT,
        _("Suspect: family name."),
        "Dragomir",
        max_length=200,
    ),
    Column(
        "suspect_date_of_birth",
        Kind.DATE,
        _("Suspect: date of birth, YYYY-MM-DD or DD-MM-YYYY."),
        "",
    ),
    Column(
        "company_name",
        Kind.TEXT,
        _("Company involved: name."),
        "Nagelstudio Glans B.V.",
        max_length=300,
    ),
    Column(
        "company_kvk",
        Kind.TEXT,
        _("Company involved: KvK number (eight digits)."),
        "12345678",
        max_length=16,
    ),
    Column(
        "address_street",
        Kind.TEXT,
        _("Address where it was seen: street."),
        "Ginnekenweg",
        max_length=200,
    ),
    Column(
        "address_house_number",
        Kind.TEXT,
        _("Address: house number with any addition."),
        "12a",
        max_length=16,
    ),
    Column("address_postcode", Kind.TEXT, _("Address: postcode."), "4818 JA", max_length=16),
    Column("address_city", Kind.TEXT, _("Address: place."), "Breda", max_length=120),
    Column(
        "address_country",
        Kind.TEXT,
        _(
            "Address: two-letter country code (ISO 3166-1, e.g. BE; also UK for GB and EL for "
            "GR). Empty: NL."
        ),
        "",
        max_length=2,
    ),
    Column(
        "phones",
        Kind.LIST,
        _("Other phone numbers, separated by ;"),
        "06 1234 5678",
    ),
    Column("emails", Kind.LIST, _("E-mail addresses, separated by ;"), ""),
    Column("ibans", Kind.LIST, _("Bank accounts (IBAN), separated by ;"), "NL91ABNA0417164300"),
    Column("plates", Kind.LIST, _("Vehicle plates, separated by ;"), ""),
    Column(
        "websites",
        Kind.LIST,
        _("Websites or advertisements (addresses), separated by ;"),
        "",
    ),
)

BY_NAME: dict[str, Column] = {column.name: column for column in COLUMNS}
NAMES: tuple[str, ...] = tuple(BY_NAME)

#: The person columns of the template: prefix → role, and the person fields each may fill.
PERSON_PREFIXES: dict[str, str] = {"victim": "possible_victim", "suspect": "suspect"}
PERSON_FIELDS: dict[str, tuple[str, ...]] = {
    "victim": (
        "given_names",
        "family_name",
        "date_of_birth",
        "age_band",
        "gender",
        "nationality",
        "migration_status",
        "phone",
        "email",
        "identity_number",
    ),
    "suspect": ("given_names", "family_name", "date_of_birth"),
}

# A field path of validate_signal, e.g. "persons[1].phones[0]" or "ibans[2]".
_PATH = re.compile(r"^(?P<head>[a-z_]+)(?:\[(?P<index>\d+)\])?(?:\.(?P<rest>.+))?$")
_SIMPLE_PATHS = {
    "description": "description",
    "observed_on": "observed_on",
    "municipality": "municipality",
    "forms_of_exploitation": "forms_of_exploitation",
    "indicator_ids": "indicator_ids",
    "tags": "tags",
    "tlp": "tlp",
    "purpose": "purpose",
    "sharing_group_ids": "sharing_groups",
    "source_reliability": "source_reliability",
    "information_reliability": "information_reliability",
    "phones": "phones",
    "emails": "emails",
    "ibans": "ibans",
    "plates": "plates",
    "websites": "websites",
}
_COMPANY_FIELDS = {"name": "company_name", "registration_number": "company_kvk"}
_ADDRESS_FIELDS = {
    "street": "address_street",
    "house_number": "address_house_number",
    "postcode": "address_postcode",
    "city": "address_city",
    "country": "address_country",
}


@dataclass(frozen=True)
class Place:
    """Where in a row a problem lies: the column, and for a list the position of the value."""

    column: str  # "" when the problem concerns the row as a whole
    item: int | None = None


def place_of(path: str, person_prefixes: list[str]) -> Place:
    """The column of a problem that validate_signal reported under ``path``.

    ``person_prefixes`` says which template person became ``persons[i]`` for this row.
    """
    match = _PATH.match(path)
    if match is None:
        return Place("")
    head, index, rest = match["head"], match["index"], match["rest"]
    if head in _SIMPLE_PATHS and rest is None:
        return Place(_SIMPLE_PATHS[head], int(index) if index is not None else None)
    if head == "persons" and index is not None and rest:
        position = int(index)
        if position >= len(person_prefixes):
            return Place("")
        prefix = person_prefixes[position]
        field = rest.split("[", 1)[0]
        field = {"phones": "phone", "emails": "email", "identity_numbers": "identity_number"}.get(
            field, field
        )
        if field in PERSON_FIELDS[prefix]:
            return Place(f"{prefix}_{field}")
        return Place("")
    if head == "companies" and rest in _COMPANY_FIELDS:
        return Place(_COMPANY_FIELDS[rest])
    if head == "addresses" and rest in _ADDRESS_FIELDS:
        return Place(_ADDRESS_FIELDS[rest])
    return Place("")
