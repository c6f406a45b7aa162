"""The indicator catalogue: what a partner may have seen that points to human trafficking.

A reviewed data file (``indicators.yaml``), validated against ``indicators.schema.json`` and
cross-checked here: unique ids that carry their group's prefix, forms that exist in the
vocabulary, sources that are listed, and exactly one indicator per HTCDS v2.0 method of
control in the ``htcds_method_of_control`` group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from schakel.signals.rules import vocabulary
from schakel.signals.rules.document import HERE, Text, changelog_is_current, read_yaml, validate
from schakel.signals.rules.errors import RulesError, RulesFileError
from schakel.signals.rules.htcds import METHODS_OF_CONTROL, PICKLISTS

CATALOGUE_PATH = HERE / "indicators.yaml"
SCHEMA_NAME = "indicators.schema.json"
HTCDS_GROUP = "htcds_method_of_control"
FORMS = "forms_of_exploitation"


@dataclass(frozen=True)
class Group:
    code: str
    prefix: str
    label: Text
    description: Text | None


@dataclass(frozen=True)
class Indicator:
    id: str
    group: str
    label: Text
    explanation: Text
    forms: tuple[str, ...]
    weight: float
    immediate_danger: bool
    htcds: str | None
    sources: tuple[str, ...]
    deprecated: bool = False


@dataclass(frozen=True)
class Catalogue:
    version: str
    groups: Mapping[str, Group]
    sources: Mapping[str, str]
    indicators: Mapping[str, Indicator]  # id -> indicator, in file order

    def get(self, indicator_id: str) -> Indicator:
        try:
            return self.indicators[indicator_id]
        except KeyError:
            raise RulesError(
                f"Unknown indicator {indicator_id!r} (catalogue version {self.version})."
            ) from None

    def all(self) -> tuple[Indicator, ...]:
        """Every indicator in file order, retired ones included (old signals carry them)."""
        return tuple(self.indicators.values())

    def active(self) -> tuple[Indicator, ...]:
        """The indicators a form offers: every one not retired."""
        return tuple(i for i in self.indicators.values() if not i.deprecated)

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(self.indicators)

    def by_group(self) -> dict[str, tuple[Indicator, ...]]:
        """Group code -> its indicators, groups in file order (also groups without any)."""
        return {
            code: tuple(i for i in self.indicators.values() if i.group == code)
            for code in self.groups
        }

    def for_form(self, form: str) -> tuple[Indicator, ...]:
        """Indicators that point to a form of exploitation (a ``forms_of_exploitation`` code)."""
        vocabulary.current().term(FORMS, form)
        return tuple(i for i in self.indicators.values() if form in i.forms)


def _indicator(entry: dict[str, Any]) -> Indicator:
    return Indicator(
        id=entry["id"],
        group=entry["group"],
        label=Text.parse(entry["label"]),
        explanation=Text.parse(entry["explanation"]),
        forms=tuple(entry["forms"]),
        weight=float(entry["weight"]),
        immediate_danger=entry["immediate_danger"],
        htcds=entry.get("htcds"),
        sources=tuple(entry["source"]),
        deprecated=entry.get("deprecated", False),
    )


def _check(catalogue: Catalogue, forms: frozenset[str], *, source: str) -> None:
    prefixes: dict[str, str] = {}
    for group in catalogue.groups.values():
        if group.prefix in prefixes:
            raise RulesFileError(
                f"{source}: at groups/{group.code}/prefix: {group.prefix!r} is also the "
                f"prefix of {prefixes[group.prefix]}"
            )
        prefixes[group.prefix] = group.code
    if HTCDS_GROUP not in catalogue.groups:
        raise RulesFileError(f"{source}: at groups: missing {HTCDS_GROUP}")
    methods = PICKLISTS[METHODS_OF_CONTROL]
    for indicator in catalogue.indicators.values():
        where = f"{source}: at indicators ({indicator.id})"
        if indicator.group not in catalogue.groups:
            raise RulesFileError(f"{where}/group: unknown group {indicator.group!r}")
        group = catalogue.groups[indicator.group]
        if not indicator.id.startswith(f"{group.prefix}."):
            raise RulesFileError(
                f"{where}: the id should start with {group.prefix + '.'!r}, "
                f"the prefix of group {group.code}"
            )
        unknown_forms = [f for f in indicator.forms if f not in forms]
        if unknown_forms:
            raise RulesFileError(
                f"{where}/forms: {', '.join(unknown_forms)} not in vocabulary {FORMS}"
            )
        unknown_sources = [s for s in indicator.sources if s not in catalogue.sources]
        if unknown_sources:
            raise RulesFileError(
                f"{where}/source: {', '.join(unknown_sources)} not listed under sources"
            )
        if indicator.htcds is not None and indicator.htcds not in methods:
            raise RulesFileError(
                f"{where}/htcds: {indicator.htcds!r} is not an HTCDS v2.0 method of control"
            )
        if indicator.group == HTCDS_GROUP and indicator.htcds is None:
            raise RulesFileError(f"{where}: an HTCDS method of control needs its htcds value")
    covered = [i.htcds for i in catalogue.indicators.values() if i.group == HTCDS_GROUP and i.htcds]
    twice = sorted({m for m in covered if covered.count(m) > 1})
    missing = [m for m in methods if m not in covered]
    if twice or missing:
        raise RulesFileError(
            f"{source}: at indicators: the {HTCDS_GROUP} group needs exactly one indicator per "
            f"HTCDS method of control (twice: {', '.join(twice) or '-'}; "
            f"missing: {', '.join(missing) or '-'})"
        )


def parse(
    document: Any,
    *,
    source: str = "indicators.yaml",
    vocabularies: vocabulary.Vocabularies | None = None,
) -> Catalogue:
    """Validate and build the catalogue; ``RulesFileError`` names the place of a problem."""
    validate(document, SCHEMA_NAME, source=source)
    changelog_is_current(document, source=source)
    vocabularies = vocabularies or vocabulary.current()
    groups = {
        code: Group(
            code=code,
            prefix=entry["prefix"],
            label=Text.parse(entry["label"]),
            description=Text.optional(entry.get("description")),
        )
        for code, entry in document["groups"].items()
    }
    indicators: dict[str, Indicator] = {}
    for index, entry in enumerate(document["indicators"]):
        if entry["id"] in indicators:
            raise RulesFileError(
                f"{source}: at indicators/{index} ({entry['id']}): this id appears twice"
            )
        indicators[entry["id"]] = _indicator(entry)
    catalogue = Catalogue(
        version=str(document["version"]),
        groups=groups,
        sources=dict(document["sources"]),
        indicators=indicators,
    )
    _check(catalogue, vocabularies.codes(FORMS), source=source)
    return catalogue


def load_catalogue(
    path: Path = CATALOGUE_PATH, *, vocabularies: vocabulary.Vocabularies | None = None
) -> Catalogue:
    return parse(read_yaml(path), source=path.name, vocabularies=vocabularies)


@cache
def catalogue() -> Catalogue:
    """The installed catalogue, loaded once per process."""
    return load_catalogue()
