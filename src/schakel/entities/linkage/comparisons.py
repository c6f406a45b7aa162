"""How two records are compared: each comparison declared once, read by Splink and by Python.

A ``Comparison`` is a list of ``Level``s, from the strongest agreement to the weakest; a pair
falls in the first level whose condition holds, in "unknown" when the comparison's columns are
missing, and in "all other" when nothing holds. From one declaration come:

* the Splink comparison (``Comparison.to_splink``), whose SQL DuckDB runs during linkage, and
* ``Comparison.level_of``, the same decision in Python, which scoring after intake uses.

Conditions are combined with ``AllOf`` and ``AnyOf`` only, never negated: SQL treats a
comparison with NULL as unknown and a CASE WHEN skips it, which is exactly "false" as long as
nothing is negated, so Python can read a missing value as "does not hold". String similarity
in Python comes from rigour, whose Jaro-Winkler and Levenshtein give the same numbers as
DuckDB's ``jaro_winkler_similarity`` and ``levenshtein`` (a test asks DuckDB to be sure).

The comparisons, blocking rules and training plan of each kind are in ``settings``; their
reasons are in docs/linkage.md.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import splink.comparison_level_library as cll
from rigour.text.distance import jaro_winkler, levenshtein
from splink import ColumnExpression
from splink.comparison_library import CustomComparison
from splink.internals.comparison_level_creator import ComparisonLevelCreator

Pair = tuple[Mapping[str, Any], Mapping[str, Any]]

# rigour truncates long strings unless told otherwise; DuckDB never does.
_NO_TRUNCATION: Final = 1_000_000
_SECONDS_PER_DAY: Final = 86_400


def jaro_winkler_similarity(left: str, right: str) -> float:
    """Jaro-Winkler similarity as DuckDB computes it (two empty strings score 0, not 1)."""
    if not left and not right:
        return 0.0
    return float(jaro_winkler(left, right, max_length=_NO_TRUNCATION, cutoff=0.0))


def levenshtein_distance(left: str, right: str) -> int:
    """Levenshtein distance as DuckDB computes it."""
    return int(levenshtein(left, right, max_length=_NO_TRUNCATION))


class Condition(abc.ABC):
    """Something a pair of records may satisfy, in SQL (through Splink) and in Python."""

    @abc.abstractmethod
    def holds(self, left: Mapping[str, Any], right: Mapping[str, Any]) -> bool: ...

    @abc.abstractmethod
    def to_splink(self) -> ComparisonLevelCreator: ...


@dataclass(frozen=True)
class Same(Condition):
    """Equal values; with ``prefix``, equal first characters (a postcode's area)."""

    column: str
    prefix: int | None = None

    def holds(self, left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
        a, b = left.get(self.column), right.get(self.column)
        if a is None or b is None:
            return False
        if self.prefix is not None:
            return bool(a[: self.prefix] == b[: self.prefix])
        return bool(a == b)

    def to_splink(self) -> ComparisonLevelCreator:
        if self.prefix is None:
            return cll.ExactMatchLevel(self.column)
        return cll.ExactMatchLevel(ColumnExpression(self.column).substr(1, self.prefix))


@dataclass(frozen=True)
class Crossed(Condition):
    """One record's ``column`` equals the other's ``other`` (given and family name crossed),
    either way round: a full swap, or a name written in the wrong field on one side only."""

    column: str
    other: str

    def holds(self, left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
        return _equal(left.get(self.column), right.get(self.other)) or _equal(
            left.get(self.other), right.get(self.column)
        )

    def to_splink(self) -> ComparisonLevelCreator:
        return cll.Or(
            cll.ColumnsReversedLevel(self.column, self.other),
            cll.ColumnsReversedLevel(self.other, self.column),
        )


@dataclass(frozen=True)
class Swapped(Condition):
    """Both names swapped: one record's ``column`` is the other's ``other`` and the other way
    round (a partner who writes the family name first). Stronger evidence than ``Crossed``,
    where one name alone sits in the other field."""

    column: str
    other: str

    def holds(self, left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
        return _equal(left.get(self.column), right.get(self.other)) and _equal(
            left.get(self.other), right.get(self.column)
        )

    def to_splink(self) -> ComparisonLevelCreator:
        return cll.ColumnsReversedLevel(self.column, self.other, symmetrical=True)


@dataclass(frozen=True)
class SwappedNear(Condition):
    """Both names swapped, one of them misspelt: one record's ``column`` is the other's
    ``other`` (or the reverse) and the two remaining names are at least ``threshold`` alike
    (Jaro-Winkler). A swap with a typing error is still a swap; a name crossed while the other
    names differ entirely is not (``Crossed``)."""

    column: str
    other: str
    threshold: float

    def holds(self, left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
        return self._one_way(left, right, self.column, self.other) or self._one_way(
            left, right, self.other, self.column
        )

    def _one_way(
        self, left: Mapping[str, Any], right: Mapping[str, Any], column: str, other: str
    ) -> bool:
        rest_left, rest_right = left.get(other), right.get(column)
        return (
            _equal(left.get(column), right.get(other))
            and rest_left is not None
            and rest_right is not None
            and jaro_winkler_similarity(rest_left, rest_right) >= self.threshold
        )

    def to_splink(self) -> ComparisonLevelCreator:
        c, o, t = self.column, self.other, self.threshold
        return cll.CustomLevel(
            f'(("{c}_l" = "{o}_r" AND jaro_winkler_similarity("{o}_l", "{c}_r") >= {t}) OR '
            f'("{o}_l" = "{c}_r" AND jaro_winkler_similarity("{c}_l", "{o}_r") >= {t}))',
            label_for_charts=f"{c} and {o} swapped, one misspelt",
        )


def _equal(a: str | None, b: str | None) -> bool:
    return a is not None and a == b


@dataclass(frozen=True)
class JaroWinklerAtLeast(Condition):
    column: str
    threshold: float

    def holds(self, left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
        a, b = left.get(self.column), right.get(self.column)
        if a is None or b is None:
            return False
        return jaro_winkler_similarity(a, b) >= self.threshold

    def to_splink(self) -> ComparisonLevelCreator:
        return cll.JaroWinklerLevel(self.column, self.threshold)


@dataclass(frozen=True)
class LevenshteinAtMost(Condition):
    column: str
    edits: int

    def holds(self, left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
        a, b = left.get(self.column), right.get(self.column)
        if a is None or b is None:
            return False
        return levenshtein_distance(a, b) <= self.edits

    def to_splink(self) -> ComparisonLevelCreator:
        return cll.LevenshteinLevel(self.column, self.edits)


@dataclass(frozen=True)
class DaysApartAtMost(Condition):
    """Two ISO dates at most ``days`` apart (records hold only valid ISO dates)."""

    column: str
    days: int

    def holds(self, left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
        a, b = left.get(self.column), right.get(self.column)
        if a is None or b is None:
            return False
        apart = abs((date.fromisoformat(a) - date.fromisoformat(b)).total_seconds())
        return apart <= self.days * _SECONDS_PER_DAY

    def to_splink(self) -> ComparisonLevelCreator:
        return cll.AbsoluteDateDifferenceLevel(
            self.column, input_is_string=True, threshold=self.days, metric="day"
        )


@dataclass(frozen=True)
class AllOf(Condition):
    conditions: tuple[Condition, ...]

    def holds(self, left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
        return all(condition.holds(left, right) for condition in self.conditions)

    def to_splink(self) -> ComparisonLevelCreator:
        return cll.And(*(condition.to_splink() for condition in self.conditions))


@dataclass(frozen=True)
class AnyOf(Condition):
    conditions: tuple[Condition, ...]

    def holds(self, left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
        return any(condition.holds(left, right) for condition in self.conditions)

    def to_splink(self) -> ComparisonLevelCreator:
        return cll.Or(*(condition.to_splink() for condition in self.conditions))


@dataclass(frozen=True)
class Level:
    """One level of agreement.

    ``term_frequencies`` names the column whose value's frequency adjusts this level's weight
    (a shared rare surname says more than a shared common one). ``neutral`` levels have their
    m and u fixed equal, so they weigh nothing: used where another comparison already counts
    the same evidence.
    """

    label: str
    when: Condition
    term_frequencies: str | None = None
    neutral: bool = False

    def to_splink(self) -> ComparisonLevelCreator:
        level = self.when.to_splink().configure(label_for_charts=self.label)
        if self.term_frequencies is not None:
            level = level.configure(tf_adjustment_column=self.term_frequencies)
        if self.neutral:
            level = level.configure(
                m_probability=0.5,
                u_probability=0.5,
                fix_m_probability=True,
                fix_u_probability=True,
            )
        return level


UNKNOWN_LABEL: Final = "unknown"
ELSE_LABEL: Final = "all other"


@dataclass(frozen=True)
class Comparison:
    """A comparison: unknown when any of ``columns`` is missing on either side (or, with
    ``unknown_when_all``, when all of them are), then ``levels`` in order, then all other."""

    name: str
    description: str
    columns: tuple[str, ...]
    levels: tuple[Level, ...]
    unknown_when_all: bool = False

    @property
    def labels(self) -> tuple[str, ...]:
        """Labels of every level as Splink numbers them: unknown, the levels, all other."""
        return (UNKNOWN_LABEL, *(level.label for level in self.levels), ELSE_LABEL)

    def gamma(self, index: int) -> int:
        """Splink's comparison vector value for the level at ``index`` of ``labels``: -1 for
        unknown, then counting down so that "all other" is 0."""
        return -1 if index == 0 else len(self.labels) - 1 - index

    def is_unknown(self, left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
        def missing(record: Mapping[str, Any]) -> bool:
            values = [record.get(column) is None for column in self.columns]
            return all(values) if self.unknown_when_all else any(values)

        return missing(left) or missing(right)

    def level_of(self, left: Mapping[str, Any], right: Mapping[str, Any]) -> int:
        """The index into ``labels`` of the level this pair falls in."""
        if self.is_unknown(left, right):
            return 0
        for index, level in enumerate(self.levels, start=1):
            if level.when.holds(left, right):
                return index
        return len(self.levels) + 1

    def to_splink(self) -> CustomComparison:
        return CustomComparison(
            comparison_levels=[
                self._unknown_level(),
                *(level.to_splink() for level in self.levels),
                cll.ElseLevel().configure(label_for_charts=ELSE_LABEL),
            ],
            output_column_name=self.name,
            comparison_description=self.description,
        )

    def _unknown_level(self) -> ComparisonLevelCreator:
        level: ComparisonLevelCreator
        if len(self.columns) == 1:
            level = cll.NullLevel(self.columns[0])
        else:
            joiner = " AND " if self.unknown_when_all else " OR "
            sides = [
                "(" + joiner.join(f'"{column}_{side}" IS NULL' for column in self.columns) + ")"
                for side in ("l", "r")
            ]
            level = cll.CustomLevel(" OR ".join(sides), base_dialect_str="duckdb")
        return level.configure(is_null_level=True, label_for_charts=UNKNOWN_LABEL)
