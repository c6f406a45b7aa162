"""One row of the template into the intake's ``SignalInput``.

Only conversion happens here: text into dates, lists, yes/no and sharing-group ids. Whether
the values are acceptable (known codes, dates not in the future, valid IBANs and phone
numbers, ...) is judged by ``intake.validate_signal`` alone. A cell that cannot be converted
is reported here, with its column, and left out, so that the validator still reports every
other problem of the row at once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from schakel.signals.bulk.columns import BY_NAME, COLUMNS, LIST_SEPARATOR, Kind, Place
from schakel.signals.intake import (
    MAX_ROW_ID,
    AddressInput,
    CompanyInput,
    PersonInput,
    SignalInput,
)
from schakel.signals.models import Tlp

#: A source key made from a row's content starts with this; an ``external_id`` is used as is.
CONTENT_KEY_PREFIX = "sha256:"

# A date may come with a time of day, as a date-and-time cell of a workbook is read (and as
# Excel writes one to CSV): the date is taken, as the signal holds no time of day.
_TIME = r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d{1,6})?)?)?"
_ISO_DATE = re.compile(rf"^(\d{{4}})-(\d{{1,2}})-(\d{{1,2}}){_TIME}$")
_DUTCH_DATE = re.compile(rf"^(\d{{1,2}})[-/.](\d{{1,2}})[-/.](\d{{4}}){_TIME}$")
_YES = frozenset({"ja", "j", "yes", "y", "1", "true", "waar", "x"})
_NO = frozenset({"nee", "n", "no", "0", "false", "onwaar", ""})
_TLP_SPELLINGS = {
    "AMBER STRICT": Tlp.AMBER_STRICT,
    "AMBER_STRICT": Tlp.AMBER_STRICT,
    "AMBER-STRICT": Tlp.AMBER_STRICT,
    "WHITE": Tlp.CLEAR,  # TLP 1.0's name for CLEAR
}


@dataclass(frozen=True)
class ImportDefaults:
    """What a row that leaves these columns empty gets (chosen on upload or on the command
    line)."""

    tlp: str = Tlp.AMBER
    purpose: str = "signal_table_assessment"
    sharing_group_ids: tuple[int, ...] = ()


@dataclass
class ParsedRow:
    number: int  # as the spreadsheet shows it: the header is row 1
    data: SignalInput
    source_key: str
    person_prefixes: list[str] = field(default_factory=list)
    problems: list[tuple[Place, str | Promise]] = field(default_factory=list)
    cells: dict[str, str] = field(default_factory=dict)  # the non-empty cells, trimmed

    @property
    def content_key(self) -> str:
        return content_key(self.cells)


def parse_date(text: str) -> date | None:
    """YYYY-MM-DD or DD-MM-YYYY (also with / or .), optionally with a time of day (hh:mm or
    hh:mm:ss), which is left out; None for anything else."""
    iso = _ISO_DATE.match(text)
    match = iso or _DUTCH_DATE.match(text)
    if match is None or not _is_time_of_day(match):
        return None
    year, month, day = (match[1], match[2], match[3]) if iso else (match[3], match[2], match[1])
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _is_time_of_day(match: re.Match[str]) -> bool:
    if match["hour"] is None:
        return True
    return int(match["hour"]) < 24 and int(match["minute"]) < 60 and int(match["second"] or 0) < 60


def split_list(text: str) -> list[str]:
    if not text:
        return []
    return [item.strip() for item in text.split(LIST_SEPARATOR) if item.strip()]


def parse_tlp(text: str) -> str:
    value = " ".join(text.upper().split()).removeprefix("TLP:").removeprefix("TLP ").strip()
    return _TLP_SPELLINGS.get(value, value)


def content_key(cells: Mapping[str, str]) -> str:
    """A key for a row without an ``external_id``: the SHA-256 of its non-empty cells, each
    with spacing collapsed and case folded, lists sorted and dates written one way. The order
    of the columns and columns left empty do not change it."""
    parts = []
    # The template's columns in its order, those of the row only.
    for _position, column in sorted(
        (_POSITIONS[name], BY_NAME[name]) for name, raw in cells.items() if raw and name in BY_NAME
    ):
        raw = cells[column.name]
        if column.name == "external_id":
            continue
        if column.kind is Kind.LIST:
            value = ";".join(sorted({" ".join(v.split()).casefold() for v in split_list(raw)}))
        elif column.kind is Kind.DATE:
            parsed = parse_date(raw.strip())
            value = parsed.isoformat() if parsed else " ".join(raw.split()).casefold()
        else:
            value = " ".join(raw.split()).casefold()
        if value:
            parts.append(f"{column.name}={value}")
    digest = hashlib.sha256("\x1e".join(parts).encode("utf-8")).hexdigest()
    return CONTENT_KEY_PREFIX + digest


def cells_of(columns: Sequence[str], values: Sequence[str]) -> dict[str, str]:
    """A row's non-empty cells by column name, trimmed."""
    return {name: value.strip() for name, value in zip(columns, values, strict=True) if value}


def source_key_of(cells: Mapping[str, str]) -> str:
    """The key a row is known by: its ``external_id``, else its content key."""
    return cells.get("external_id", "") or content_key(cells)


_POSITIONS = {column.name: position for position, column in enumerate(COLUMNS)}


class RowParser:
    """Turns the rows of one file into ``ParsedRow``s. ``groups_by_name`` maps a sharing
    group's name, case folded, to its id (names are resolved once per file);
    ``unreadable``: the file's cells without a value to read (``Table.unreadable``), each a
    problem of its row."""

    def __init__(
        self,
        columns: Sequence[str],
        defaults: ImportDefaults,
        groups_by_name: Mapping[str, int],
        unreadable: Mapping[int, Mapping[str, str | Promise]] | None = None,
    ) -> None:
        self.columns = list(columns)
        self.defaults = defaults
        self.groups_by_name = groups_by_name
        self.unreadable = unreadable or {}
        self.lengths = {c.name: c.max_length for c in COLUMNS if c.max_length}

    def parse(self, number: int, values: Sequence[str]) -> ParsedRow:
        cells = cells_of(self.columns, values)
        problems: list[tuple[Place, str | Promise]] = [
            (Place(name), message) for name, message in self.unreadable.get(number, {}).items()
        ]
        for name, value in cells.items():
            limit = self.lengths.get(name)
            if limit is not None and len(value) > limit:
                problems.append((Place(name), _("Use at most %(n)d characters.") % {"n": limit}))
        get = cells.get

        def a_date(name: str) -> date | None:
            text = get(name, "")
            if not text:
                return None
            parsed = parse_date(text)
            if parsed is None:
                problems.append(
                    (Place(name), _("Write the date as YYYY-MM-DD or DD-MM-YYYY, e.g. 2026-11-29."))
                )
            return parsed

        def a_code(name: str) -> str:
            return get(name, "").lower()

        persons: list[PersonInput] = []
        prefixes: list[str] = []
        # What comes before each column name's first "_", with it: "victim_", "address_", ...
        groups = {name[: name.find("_") + 1] for name in cells}
        if "victim_" in groups:
            persons.append(
                PersonInput(
                    role="possible_victim",
                    given_names=get("victim_given_names", ""),
                    family_name=get("victim_family_name", ""),
                    date_of_birth=a_date("victim_date_of_birth"),
                    age_band=a_code("victim_age_band"),
                    gender=a_code("victim_gender"),
                    nationality=get("victim_nationality", "").upper(),
                    migration_status=a_code("victim_migration_status"),
                    phones=[get("victim_phone", "")] if get("victim_phone") else [],
                    emails=[get("victim_email", "")] if get("victim_email") else [],
                    identity_numbers=[
                        (
                            a_code("victim_identity_kind") or "other",
                            get("victim_identity_number", ""),
                        )
                    ]
                    if get("victim_identity_number")
                    else [],
                )
            )
            prefixes.append("victim")
        if "suspect_" in groups:
            persons.append(
                PersonInput(
                    role="suspect",
                    given_names=get("suspect_given_names", ""),
                    family_name=get("suspect_family_name", ""),
                    date_of_birth=a_date("suspect_date_of_birth"),
                )
            )
            prefixes.append("suspect")

        withheld_text = get("identity_withheld", "").lower()
        if withheld_text not in _YES and withheld_text not in _NO:
            problems.append((Place("identity_withheld"), _("Write ja or nee (yes or no, 1 or 0).")))
        group_ids = list(self.defaults.sharing_group_ids)
        if "sharing_groups" in cells:
            group_ids = []
            for item in split_list(cells["sharing_groups"]):
                # A number is a group's id (ASCII digits only: "²".isdigit() is true, and int()
                # fails on it); one no row can have is an unknown group, as an unknown name is.
                group_id: int | None
                if item.isascii() and item.isdecimal():
                    group_id = int(item) if 0 < int(item) <= MAX_ROW_ID else None
                else:
                    group_id = self.groups_by_name.get(item.casefold())
                if group_id is None:
                    problems.append(
                        (
                            Place("sharing_groups"),
                            _("Unknown sharing group “%(name)s”.") % {"name": item},
                        )
                    )
                elif group_id not in group_ids:
                    group_ids.append(group_id)

        data = SignalInput(
            description=get("description", ""),
            observed_on=a_date("observed_on"),
            municipality=get("municipality", "").upper(),
            forms_of_exploitation=[v.lower() for v in split_list(get("forms_of_exploitation", ""))],
            indicator_ids=[v.lower() for v in split_list(get("indicator_ids", ""))],
            tags=[v.lower() for v in split_list(get("tags", ""))],
            tlp=parse_tlp(cells["tlp"]) if "tlp" in cells else self.defaults.tlp,
            purpose=a_code("purpose") or self.defaults.purpose,
            sharing_group_ids=group_ids,
            source_reliability=get("source_reliability", "").upper(),
            information_reliability=get("information_reliability", ""),
            identity_withheld=withheld_text in _YES,
            persons=persons,
            companies=[CompanyInput(get("company_name", ""), get("company_kvk", ""))]
            if "company_name" in cells or "company_kvk" in cells
            else [],
            addresses=[
                AddressInput(
                    street=get("address_street", ""),
                    house_number=get("address_house_number", ""),
                    postcode=get("address_postcode", ""),
                    city=get("address_city", ""),
                    country=get("address_country", "").upper() or "NL",
                    is_place_of_observation=True,
                )
            ]
            if "address_" in groups
            else [],
            phones=split_list(get("phones", "")),
            emails=split_list(get("emails", "")),
            ibans=split_list(get("ibans", "")),
            plates=split_list(get("plates", "")),
            websites=split_list(get("websites", "")),
        )
        key = source_key_of(cells)
        return ParsedRow(number, data, key, prefixes, problems, cells)
