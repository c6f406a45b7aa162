"""The reviewed rules of the one plan: its domains (``plan_domains.yaml``, mapped to HTCDS
v2.0 ``spl_Type`` and to the access matrix's field categories) and its deadlines
(``plan_deadlines.yaml``: due dates per priority, review intervals, escalation levels).

Both files are read with the signals context's strict reader (a key given twice is refused),
validated against the JSON schema beside them, and must carry a changelog entry for their
version; a malformed file stops the program at start-up with the place named.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from schakel.signals.rules.document import Text, changelog_is_current, place, read_yaml
from schakel.signals.rules.errors import RulesError, RulesFileError

HERE = Path(__file__).resolve().parent
DOMAINS_PATH = HERE / "plan_domains.yaml"
DEADLINES_PATH = HERE / "plan_deadlines.yaml"

#: The plan's fields that are general details whatever their domain: the matrix's rules for
#: ``cases.plan`` grant the general category to everyone who may see a plan.
GENERAL_FIELDS = (
    "status",
    "next_review_on",
    "domains",
    "action.domain",
    "action.owner_organisation",
    "action.due_date",
    "action.priority",
    "action.status",
    "escalations",
    "request.kind",
    "request.recipient",
    "request.status",
)
#: Care details whatever the domain: who the plan is for, the reviews' notes and what a
#: request carries about the person.
CARE_FIELDS = ("person", "review.summary", "request.content")


def validate(document: Any, schema_name: str, *, source: str) -> None:
    schema = json.loads((HERE / schema_name).read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        raise RulesFileError(
            f"{source}: at {place(document, list(error.absolute_path))}: {error.message}"
        )


@dataclass(frozen=True)
class Domain:
    code: str
    label: Text
    htcds: str
    category: str
    deprecated: bool = False


@dataclass(frozen=True)
class Domains:
    version: str
    domains: dict[str, Domain]

    def get(self, code: str) -> Domain:
        try:
            return self.domains[code]
        except KeyError:
            raise RulesError(f"plan_domains.yaml has no domain {code!r}") from None

    def choices(self, language: str | None = None) -> list[tuple[str, str]]:
        return [(d.code, d.label.get(language)) for d in self.domains.values() if not d.deprecated]

    def category(self, code: str) -> str:
        return self.get(code).category


def load_domains(path: Path = DOMAINS_PATH, document: Any = None) -> Domains:
    document = read_yaml(path) if document is None else document
    validate(document, "plan_domains.schema.json", source=path.name)
    changelog_is_current(document, source=path.name)
    domains: dict[str, Domain] = {}
    for index, entry in enumerate(document["domains"]):
        if entry["code"] in domains:
            raise RulesFileError(
                f"{path.name}: at domains/{index} ({entry['code']}): the code is given twice"
            )
        domains[entry["code"]] = Domain(
            entry["code"],
            Text.parse(entry["label"]),
            entry["htcds"],
            entry["category"],
            entry.get("deprecated", False),
        )
    return Domains(str(document["version"]), domains)


@dataclass(frozen=True)
class EscalationLevel:
    level: int
    after_days: int
    notify: str


@dataclass(frozen=True)
class Deadlines:
    version: str
    due_days: dict[str, int]
    review_days: int
    minor_review_days: int
    escalation: tuple[EscalationLevel, ...]

    def due_on(self, priority: str, today: date) -> date:
        try:
            return today + timedelta(days=self.due_days[priority])
        except KeyError:
            raise RulesError(f"plan_deadlines.yaml has no priority {priority!r}") from None

    def next_review(self, since: date, *, minor: bool) -> date:
        return since + timedelta(days=self.minor_review_days if minor else self.review_days)


def load_deadlines(path: Path = DEADLINES_PATH, document: Any = None) -> Deadlines:
    document = read_yaml(path) if document is None else document
    validate(document, "plan_deadlines.schema.json", source=path.name)
    changelog_is_current(document, source=path.name)
    levels = [
        EscalationLevel(e["level"], e["after_days"], e["notify"]) for e in document["escalation"]
    ]
    for index, (before, after) in enumerate(itertools.pairwise(levels), start=1):
        if after.level != before.level + 1 or after.after_days <= before.after_days:
            raise RulesFileError(
                f"{path.name}: at escalation/{index}: levels count up from 1 and each comes "
                "later than the one before"
            )
    if levels[0].level != 1:
        raise RulesFileError(f"{path.name}: at escalation/0: the first level is 1")
    return Deadlines(
        str(document["version"]),
        dict(document["due_days"]),
        document["review_days"],
        document["minor_review_days"],
        tuple(levels),
    )


@cache
def domains() -> Domains:
    return load_domains()


@cache
def deadlines() -> Deadlines:
    return load_deadlines()
