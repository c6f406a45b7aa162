"""The vocabularies partners choose from: forms of exploitation, person roles, age bands ...

A reviewed data file (``vocabulary.yaml``), validated against ``vocabulary.schema.json`` and
cross-checked here (unique codes, HTCDS values that exist, age bands without gaps). Codes are
stable: a code that has been used is deprecated, never removed, so stored signals keep their
meaning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from schakel.signals.rules.document import (
    HERE,
    Text,
    changelog_is_current,
    read_yaml,
    resolve_language,
    validate,
)
from schakel.signals.rules.errors import RulesError, RulesFileError
from schakel.signals.rules.htcds import PICKLISTS

VOCABULARY_PATH = HERE / "vocabulary.yaml"
SCHEMA_NAME = "vocabulary.schema.json"

#: Vocabularies the rest of Schakel relies on by name; the file must define each of them.
REQUIRED = (
    "forms_of_exploitation",
    "person_roles",
    "migration_status",
    "gender",
    "age_bands",
    "tags",
    "purposes",
    "reliability_source",
    "reliability_information",
    "channels",
    "family_relationships",
)
AGE_BANDS = "age_bands"
ADULT_AGE = 18


@dataclass(frozen=True)
class Term:
    code: str
    label: Text
    description: Text | None = None
    htcds: str | None = None
    minor: bool = False
    min_age: int | None = None
    max_age: int | None = None
    deprecated: bool = False


@dataclass(frozen=True)
class Vocabulary:
    name: str
    label: Text
    description: Text | None
    htcds_field: str | None
    terms: tuple[Term, ...]

    @cached_property
    def codes(self) -> frozenset[str]:
        """Every code, deprecated ones included (computed once: checked for every row of an
        import)."""
        return frozenset(term.code for term in self.terms)

    def term(self, code: str) -> Term:
        for term in self.terms:
            if term.code == code:
                return term
        known = ", ".join(t.code for t in self.terms)
        raise RulesError(f"Unknown code {code!r} in vocabulary {self.name!r} (known: {known}).")


@dataclass(frozen=True)
class Vocabularies:
    version: str
    vocabularies: Mapping[str, Vocabulary]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.vocabularies)

    def vocabulary(self, name: str) -> Vocabulary:
        try:
            return self.vocabularies[name]
        except KeyError:
            known = ", ".join(self.vocabularies)
            raise RulesError(f"Unknown vocabulary {name!r} (known: {known}).") from None

    def terms(self, name: str) -> tuple[Term, ...]:
        """Every term, deprecated ones included (old signals still carry them)."""
        return self.vocabulary(name).terms

    def term(self, name: str, code: str) -> Term:
        return self.vocabulary(name).term(code)

    def codes(self, name: str) -> frozenset[str]:
        """Every code, deprecated ones included: what a stored value may be."""
        return self.vocabulary(name).codes

    def label(self, name: str, code: str, language: str | None = None) -> str:
        return self.term(name, code).label.get(language)

    def choices(self, name: str, language: str | None = None) -> list[tuple[str, str]]:
        """``(code, label)`` pairs for a form, in file order, without deprecated terms.

        ``language`` None: Django's active language, falling back to Dutch.
        """
        lang = resolve_language(language)
        return [(t.code, t.label.get(lang)) for t in self.terms(name) if not t.deprecated]

    def htcds(self, name: str, code: str) -> str | None:
        """The HTCDS v2.0 value name ``code`` maps to, or None where HTCDS has none."""
        return self.term(name, code).htcds

    def is_minor_age_band(self, code: str) -> bool:
        return self.term(AGE_BANDS, code).minor

    def age_band_for(self, age: int) -> str:
        """The band of an age in whole years (e.g. from a date of birth)."""
        for term in self.terms(AGE_BANDS):
            if term.min_age is None or term.deprecated or age < term.min_age:
                continue
            if term.max_age is None or age <= term.max_age:
                return term.code
        raise RulesError(f"No age band covers the age {age}.")


def _check_vocabulary(name: str, vocabulary: Vocabulary, *, source: str) -> None:
    where = f"{source}: at vocabularies/{name}"
    seen: set[str] = set()
    for term in vocabulary.terms:
        if term.code in seen:
            raise RulesFileError(f"{where}: the code {term.code!r} appears twice")
        seen.add(term.code)
    if vocabulary.htcds_field is not None and vocabulary.htcds_field not in PICKLISTS:
        raise RulesFileError(
            f"{where}/htcds_field: {vocabulary.htcds_field!r} is not an HTCDS picklist we map "
            f"to (known: {', '.join(PICKLISTS)})"
        )
    for term in vocabulary.terms:
        if term.htcds is None:
            continue
        if vocabulary.htcds_field is None:
            raise RulesFileError(
                f"{where}/{term.code}: has an htcds value but the vocabulary has no htcds_field"
            )
        if term.htcds not in PICKLISTS[vocabulary.htcds_field]:
            raise RulesFileError(
                f"{where}/{term.code}: {term.htcds!r} is not a value of HTCDS field "
                f"{vocabulary.htcds_field}"
            )
    if name != AGE_BANDS:
        for term in vocabulary.terms:
            if term.minor or term.min_age is not None or term.max_age is not None:
                raise RulesFileError(
                    f"{where}/{term.code}: minor, min_age and max_age belong to age bands only"
                )
        return
    _check_age_bands(vocabulary, where=where)


def _check_age_bands(vocabulary: Vocabulary, *, where: str) -> None:
    """Bands with ages start at 0, follow each other without gap or overlap, the last one is
    open-ended, and ``minor`` is true exactly for the bands below 18."""
    expected_start = 0
    open_ended = False
    for term in vocabulary.terms:
        if term.deprecated:
            continue
        if term.min_age is None:
            if term.max_age is not None or term.minor:
                raise RulesFileError(f"{where}/{term.code}: a band without min_age is unknown")
            continue
        if open_ended or term.min_age != expected_start:
            raise RulesFileError(
                f"{where}/{term.code}: should start at {expected_start} years "
                "(bands follow each other without gap or overlap)"
            )
        if term.max_age is None:
            open_ended = True
        elif term.max_age < term.min_age:
            raise RulesFileError(f"{where}/{term.code}: max_age lies below min_age")
        else:
            expected_start = term.max_age + 1
        is_minor = term.max_age is not None and term.max_age < ADULT_AGE
        if term.minor != is_minor:
            raise RulesFileError(
                f"{where}/{term.code}: minor should be {str(is_minor).lower()} "
                f"for a band from {term.min_age} to {term.max_age} years"
            )
    if not open_ended:
        raise RulesFileError(f"{where}: the last band should have no max_age")


def _term(entry: dict[str, Any]) -> Term:
    return Term(
        code=entry["code"],
        label=Text.parse(entry["label"]),
        description=Text.optional(entry.get("description")),
        htcds=entry.get("htcds"),
        minor=entry.get("minor", False),
        min_age=entry.get("min_age"),
        max_age=entry.get("max_age"),
        deprecated=entry.get("deprecated", False),
    )


def parse(document: Any, *, source: str = "vocabulary.yaml") -> Vocabularies:
    """Validate and build the vocabularies; ``RulesFileError`` names the place of a problem."""
    validate(document, SCHEMA_NAME, source=source)
    changelog_is_current(document, source=source)
    missing = [name for name in REQUIRED if name not in document["vocabularies"]]
    if missing:
        raise RulesFileError(f"{source}: at vocabularies: missing {', '.join(missing)}")
    vocabularies: dict[str, Vocabulary] = {}
    for name, entry in document["vocabularies"].items():
        vocabulary = Vocabulary(
            name=name,
            label=Text.parse(entry["label"]),
            description=Text.optional(entry.get("description")),
            htcds_field=entry.get("htcds_field"),
            terms=tuple(_term(t) for t in entry["terms"]),
        )
        _check_vocabulary(name, vocabulary, source=source)
        vocabularies[name] = vocabulary
    return Vocabularies(version=str(document["version"]), vocabularies=vocabularies)


def load_vocabularies(path: Path = VOCABULARY_PATH) -> Vocabularies:
    return parse(read_yaml(path), source=path.name)


@cache
def current() -> Vocabularies:
    """The installed vocabularies, loaded once per process."""
    return load_vocabularies()
