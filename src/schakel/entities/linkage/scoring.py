"""Scoring one record against candidates with a saved model, in Python, without DuckDB.

Matching right after intake cannot run a linkage job: the worker fetches candidates that share
a blocking key with the new record from the main database and scores them here. The result is
the same as Splink's own prediction for the same pair (a test holds the two to 1e-6 in match
weight): each comparison puts the pair in a level (``Comparison.level_of``, the Python twin of
the SQL), the level adds ``log2(m / u)`` bits of evidence, and the prior adds
``log2(p / (1 - p))`` with ``p`` the probability that two random records match.

Term frequencies: a level with a term-frequency adjustment (exact names, the same address
or phone number, a company's postcode; see ``settings``) weighs a shared rare value more than
a shared common one, and an address where twenty people are registered less than one where
two are. The frequency of a value is not in the model — it would be a list of every name and
address linkage has seen — so pass it with the record or candidate as ``tf_<column>`` (the
share of records with that value, as ``LinkageResult.term_frequencies`` gives it; for a
person's address the column is ``address_key``, see ``records.address_key``). Without it the
level's average weight applies, as Splink does for a value it has no frequency for.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from schakel.entities.linkage.comparisons import Comparison, Same
from schakel.entities.linkage.records import Kind, clean_record
from schakel.entities.linkage.settings import SETTINGS, KindSettings

# Splink clamps m and u at this value before taking logarithms; so does scoring, to agree.
_CLAMP: Final = 1e-300


class ModelMismatch(ValueError):
    """The model was trained on other comparisons than the ones declared now: retrain it."""


@dataclass(frozen=True, slots=True)
class ComparisonWeight:
    """What one comparison contributed: the level the pair fell in and its weight in bits."""

    comparison: str
    level: str
    match_weight: float


@dataclass(frozen=True, slots=True)
class ScoredCandidate:
    """A candidate's score: the match probability and weight (prior included), each
    comparison's part, and the part of the identifying comparisons alone (see
    ``KindSettings.identifying``)."""

    unique_id: Any
    match_probability: float
    match_weight: float
    identifying_weight: float
    comparisons: tuple[ComparisonWeight, ...]

    def links(self, threshold: float) -> bool:
        """Whether this candidate is the same at ``threshold``, by the rule linkage clusters
        with: probability at or above the threshold, and identifying evidence for it."""
        return self.match_probability >= threshold and self.identifying_weight > 0


def match_weight_to_probability(weight: float) -> float:
    # Written two ways so that neither branch overflows, as Splink's SQL does.
    if weight >= 0:
        return 1.0 / (1.0 + math.pow(2.0, -weight))
    return math.pow(2.0, weight) / (1.0 + math.pow(2.0, weight))


def probability_to_match_weight(probability: float) -> float:
    return math.log2(probability / (1.0 - probability))


def kind_of_model(model: Mapping[str, Any]) -> Kind:
    """The kind whose declared comparisons produced this model (trained on DuckDB, or on Spark
    from the same declarations); ``ModelMismatch`` if none did."""
    found = _signature(model["comparisons"])
    for (kind, _dialect), declared in _declared_signatures().items():
        if declared == found:
            return kind
    raise ModelMismatch("The model's comparisons differ from the declared ones; train a new model.")


#: The SQL dialects a model may have been trained in.
DIALECTS: Final = ("duckdb", "spark")


@functools.cache
def _declared_signatures() -> dict[tuple[Kind, str], tuple[tuple[str, ...], ...]]:
    # Splink takes tens of milliseconds to write the SQL of a kind; intake scores often.
    return {
        (kind, dialect): _signature(settings.settings_dict(dialect)["comparisons"])
        for kind, settings in SETTINGS.items()
        for dialect in DIALECTS
    }


def _signature(comparisons: Sequence[Mapping[str, Any]]) -> tuple[tuple[str, ...], ...]:
    return tuple(
        (
            comparison["output_column_name"],
            *(level["sql_condition"] for level in comparison["comparison_levels"]),
        )
        for comparison in comparisons
    )


def score(
    model: Mapping[str, Any], record: Mapping[str, Any], candidates: Sequence[Mapping[str, Any]]
) -> list[ScoredCandidate]:
    """Score each candidate against ``record``, best first.

    ``model`` is ``LinkageResult.model`` (Splink's settings with trained m and u values);
    ``record`` and each candidate map column names of the model's kind to values (missing
    keys are unknown), candidates with their ``unique_id``.
    """
    settings = SETTINGS[kind_of_model(model)]
    prior = probability_to_match_weight(model["probability_two_random_records_match"])
    left = clean_record(settings.kind, record)
    scored = []
    for candidate in candidates:
        right = clean_record(settings.kind, candidate)
        weights = compare(settings, model, left, right)
        total = prior + sum(weight.match_weight for weight in weights)
        identifying = sum(
            weight.match_weight for weight in weights if weight.comparison in settings.identifying
        )
        scored.append(
            ScoredCandidate(
                unique_id=candidate.get("unique_id"),
                match_probability=match_weight_to_probability(total),
                match_weight=total,
                identifying_weight=identifying,
                comparisons=weights,
            )
        )
    scored.sort(key=lambda candidate: candidate.match_weight, reverse=True)
    return scored


def compare(
    settings: KindSettings,
    model: Mapping[str, Any],
    left: Mapping[str, Any],
    right: Mapping[str, Any],
) -> tuple[ComparisonWeight, ...]:
    """The weight of each comparison for one pair of cleaned records."""
    weights = []
    for comparison, trained in zip(settings.comparisons, model["comparisons"], strict=True):
        index = comparison.level_of(left, right)
        levels = trained["comparison_levels"]
        weight = _level_weight(levels[index])
        weight += _term_frequency_adjustment(comparison, levels, index, left, right)
        weights.append(ComparisonWeight(comparison.name, comparison.labels[index], weight))
    return tuple(weights)


def _level_weight(level: Mapping[str, Any]) -> float:
    if level.get("is_null_level"):
        return 0.0
    m = max(_probability(level, "m_probability"), _CLAMP)
    u = max(_probability(level, "u_probability"), _CLAMP)
    return math.log2(m / u)


def _probability(level: Mapping[str, Any], key: str) -> float:
    value = level.get(key)
    if value is None:
        raise ModelMismatch(f"The model has no {key} for level {level.get('label_for_charts')}.")
    return float(value)


def _term_frequency_adjustment(
    comparison: Comparison,
    levels: Sequence[Mapping[str, Any]],
    index: int,
    left: Mapping[str, Any],
    right: Mapping[str, Any],
) -> float:
    level = levels[index]
    column = level.get("tf_adjustment_column")
    weight = float(level.get("tf_adjustment_weight", 1.0))
    if column is None or weight == 0 or level.get("is_null_level"):
        return 0.0
    # Splink takes whichever side has a frequency, the larger if both do.
    frequencies = [
        float(value)
        for value in (left.get(f"tf_{column}"), right.get(f"tf_{column}"))
        if value is not None
    ]
    if not frequencies:
        return 0.0
    frequency = max(*frequencies, float(level.get("tf_minimum_u_value", 0.0)))
    u_exact = _exact_level_u(comparison, levels, column)
    return weight * (math.log2(u_exact) - math.log2(frequency))


def _exact_level_u(
    comparison: Comparison, levels: Sequence[Mapping[str, Any]], column: str
) -> float:
    # Splink measures a term frequency against the u of the comparison's plain exact level.
    for position, declared in enumerate(comparison.levels, start=1):
        if declared.when == Same(column):
            return _probability(levels[position], "u_probability")
    raise ModelMismatch(f"No exact level on {column} to adjust term frequencies against.")
