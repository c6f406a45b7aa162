"""The access matrix: a reviewed data file that decides what a viewer sees of a record.

A rule says: for this resource, when the viewer stands in this *relation* to the record
(owner organisation, member of one of its sharing groups, ...), has one of these sectors and
roles, and the record carries one of these labels and purposes, the viewer gets this level
(*full*, *redacted* or *none*) for these field categories and may perform these actions.
Levels of several matching rules combine by taking the highest per category.

The file is validated against ``matrix.schema.json`` and cross-checked against the registered
resources when Django starts (``schakel.access.checks``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import IntEnum
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

HERE = Path(__file__).resolve().parent
MATRIX_PATH = HERE / "matrix.yaml"
SCHEMA_PATH = HERE / "matrix.schema.json"

ANY = "*"


class Level(IntEnum):
    NONE = 0
    REDACTED = 1
    FULL = 2

    @classmethod
    def parse(cls, value: str) -> Level:
        return cls[value.upper()]

    @property
    def label(self) -> str:
        return self.name.lower()


class MatrixError(Exception):
    """The matrix file is malformed; the message names the place and the problem."""


@dataclass(frozen=True)
class Rule:
    resource: str
    relation: str
    actions: frozenset[str]
    sectors: frozenset[str] | None  # None: any sector
    roles: frozenset[str] | None  # None: any role
    labels: frozenset[str] | None
    purposes: frozenset[str] | None
    levels: dict[str, Level]  # field category -> level

    def applies_to_viewer(self, sector: str | None, roles: frozenset[str]) -> bool:
        if self.sectors is not None and sector not in self.sectors:
            return False
        return self.roles is None or bool(self.roles & roles)

    def applies_to_record(self, label: str | None, purpose: str | None) -> bool:
        if self.labels is not None and label not in self.labels:
            return False
        return self.purposes is None or purpose in self.purposes


@dataclass(frozen=True)
class Matrix:
    version: str
    categories: tuple[str, ...]
    rules: tuple[Rule, ...]
    legal_bases: dict[str, dict[str, str]]  # code -> {"nl": ..., "en": ...}
    sector_legal_bases: dict[str, tuple[str, ...]]

    def rules_for(self, resource: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.resource == resource)

    @property
    def resources(self) -> frozenset[str]:
        return frozenset(r.resource for r in self.rules)


def _optional_set(value: Any) -> frozenset[str] | None:
    if value is None or value == ANY or value == [ANY]:
        return None
    return frozenset(value)


def parse(document: dict[str, Any], *, source: str = "matrix") -> Matrix:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    try:
        jsonschema.validate(document, schema)
    except jsonschema.ValidationError as exc:
        place = "/".join(str(p) for p in exc.absolute_path) or "(top)"
        raise MatrixError(f"{source}: at {place}: {exc.message}") from None

    categories = tuple(document["field_categories"])
    legal_bases = document["legal_bases"]
    rules: list[Rule] = []
    for resource, entries in document["resources"].items():
        for index, entry in enumerate(entries):
            where = f"{source}: resources/{resource}/{index}"
            if "level" in entry:
                levels = dict.fromkeys(categories, Level.parse(entry["level"]))
            else:
                unknown = set(entry["categories"]) - set(categories)
                if unknown:
                    raise MatrixError(f"{where}: unknown field categories {sorted(unknown)}")
                levels = {c: Level.parse(entry["categories"].get(c, "none")) for c in categories}
            rules.append(
                Rule(
                    resource=resource,
                    relation=entry["relation"],
                    actions=frozenset(entry.get("actions", ["view"])),
                    sectors=_optional_set(entry.get("sectors")),
                    roles=_optional_set(entry.get("roles")),
                    labels=_optional_set(entry.get("labels")),
                    purposes=_optional_set(entry.get("purposes")),
                    levels=levels,
                )
            )
    sector_bases: dict[str, tuple[str, ...]] = {}
    for sector, codes in document["sector_legal_bases"].items():
        unknown = set(codes) - set(legal_bases)
        if unknown:
            raise MatrixError(f"{source}: sector_legal_bases/{sector}: unknown {sorted(unknown)}")
        sector_bases[sector] = tuple(codes)
    return Matrix(
        version=str(document["version"]),
        categories=categories,
        rules=tuple(rules),
        legal_bases=legal_bases,
        sector_legal_bases=sector_bases,
    )


def load(path: Path = MATRIX_PATH) -> Matrix:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise MatrixError(f"{path.name}: not valid YAML: {exc}") from None
    return parse(document, source=path.name)


@cache
def current() -> Matrix:
    """The installed matrix, loaded once per process."""
    return load()
