"""The retention policy: how long a signal is kept per outcome, and what happens then."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

from schakel.signals.rules.document import (
    HERE,
    Text,
    changelog_is_current,
    read_yaml,
    validate,
)
from schakel.signals.rules.errors import RulesError

POLICY_PATH = HERE / "retention.yaml"


@dataclass(frozen=True)
class Outcome:
    code: str
    label: Text
    months: int
    action: Literal["delete", "anonymise"]


@dataclass(frozen=True)
class RetentionPolicy:
    version: str
    outcomes: dict[str, Outcome]

    def outcome(self, code: str) -> Outcome:
        try:
            return self.outcomes[code]
        except KeyError:
            raise RulesError(f"retention.yaml has no outcome {code!r}") from None

    def keep_until(self, code: str, since: date) -> date:
        return add_months(since, self.outcome(code).months)


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def load(path: Path = POLICY_PATH) -> RetentionPolicy:
    document = read_yaml(path)
    validate(document, "retention.schema.json", source=path.name)
    changelog_is_current(document, source=path.name)
    return RetentionPolicy(
        version=str(document["version"]),
        outcomes={
            code: Outcome(code, Text.parse(entry["label"]), entry["months"], entry["action"])
            for code, entry in document["outcomes"].items()
        },
    )


@cache
def current() -> RetentionPolicy:
    return load()
