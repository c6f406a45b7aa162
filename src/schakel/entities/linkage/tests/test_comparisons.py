"""The Python twin of each comparison decides as DuckDB does."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import duckdb
import pandas
import pytest
from splink import DuckDBAPI, Linker

from schakel.entities.linkage.comparisons import (
    Comparison,
    Level,
    Same,
    jaro_winkler_similarity,
    levenshtein_distance,
)
from schakel.entities.linkage.engine import prepare_records
from schakel.entities.linkage.records import Kind, clean_record
from schakel.entities.linkage.settings import SETTINGS
from schakel.entities.linkage.tests import (
    population,
    settings,  # noqa: F401 - stands in for Django's
)


@pytest.fixture
def connection() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


def _string_pairs() -> list[tuple[str, str]]:
    rng = random.Random(11)
    alphabet = "aeilnorstuvyz"
    pairs = []
    for _ in range(3000):
        left = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        right = list(left)
        for _ in range(rng.randint(0, 4)):
            roll = rng.random()
            if roll < 0.3 and right:
                right.pop(rng.randrange(len(right)))
            elif roll < 0.6:
                right.insert(rng.randint(0, len(right)), rng.choice(alphabet))
            elif right:
                right[rng.randrange(len(right))] = rng.choice(alphabet)
        pairs.append((left, "".join(right)))
    pairs += [
        ("", ""),
        ("a", ""),
        ("martha", "marhta"),
        ("dwayne", "duane"),
        ("popescu", "popescu"),
        ("şerban", "serban"),
        ("Ωμέγα", "Ωμεγα"),
        ("nguyễn", "nguyen"),
    ]
    return pairs


def test_python_string_similarity_agrees_with_duckdb(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    pairs = _string_pairs()
    connection.register("pairs", pandas.DataFrame(pairs, columns=["a", "b"]))
    rows = connection.execute(
        "SELECT a, b, jaro_winkler_similarity(a, b), levenshtein(a, b) FROM pairs"
    ).fetchall()
    assert len(rows) == len(pairs)
    for left, right, similarity, distance in rows:
        assert jaro_winkler_similarity(left, right) == pytest.approx(similarity, abs=1e-12)
        assert levenshtein_distance(left, right) == distance


def _mixed_records(kind: Kind) -> list[dict[str, Any]]:
    """Records close enough to each other to fall in every level of every comparison."""
    if kind == "person":
        return population(40, seed=3, households=2, residents=4).records
    rng = random.Random(5)
    records = []
    for number in range(1, 90):
        records.append(
            {
                "unique_id": number,
                "organisation_id": 1,
                "name": rng.choice(["jansen transport", "jansen transprt", "visser", None]),
                "registration_number": rng.choice(["12345678", "12345679", "12345699", None]),
                "street": rng.choice(["haagweg", "haagwg", "kerkstraat", None]),
                "house_number": rng.choice(["12", "12A", "13", None]),
                "postcode": rng.choice(["4811AA", "4811AB", "4812AA", None]),
                "city": rng.choice(["breda", "bred", "tilburg", None]),
                "country": rng.choice(["NL", "BE", None]),
                "phone": rng.choice(["+31612345678", "+31612345679", None]),
            }
        )
    return records


@pytest.mark.parametrize("kind", ["person", "company", "address"])
def test_python_puts_every_pair_in_the_level_duckdb_does(
    kind: Kind, connection: duckdb.DuckDBPyConnection
) -> None:
    records = _mixed_records(kind)
    settings_dict = SETTINGS[kind].settings_dict()
    settings_dict["blocking_rules_to_generate_predictions"] = [{"blocking_rule": "1=1"}]
    table = prepare_records(pandas.DataFrame(records), kind)
    linker = Linker(DuckDBAPI(connection=connection).register(table), settings_dict, log_level=None)
    predictions = linker.inference.predict(warning_mode="never")
    comparisons = SETTINGS[kind].comparisons
    gammas = ", ".join(f"gamma_{comparison.name}" for comparison in comparisons)
    rows = connection.execute(
        f"SELECT unique_id_l, unique_id_r, {gammas} FROM {predictions.physical_name}"  # noqa: S608
    ).fetchall()
    assert len(rows) == len(records) * (len(records) - 1) // 2
    cleaned = {record["unique_id"]: clean_record(kind, record) for record in records}
    seen: dict[str, set[int]] = {comparison.name: set() for comparison in comparisons}
    for left, right, *values in rows:
        for comparison, gamma in zip(comparisons, values, strict=True):
            index = comparison.level_of(cleaned[left], cleaned[right])
            assert comparison.gamma(index) == gamma, (comparison.name, left, right)
            seen[comparison.name].add(index)
    # The sample is only a test if most levels occur in it.
    assert sum(map(len, seen.values())) >= 0.8 * sum(len(c.labels) for c in comparisons)


def test_a_pair_with_a_missing_value_is_unknown_not_different() -> None:
    comparison = Comparison(
        name="family_name",
        description="",
        columns=("family_name",),
        levels=(Level("exact", Same("family_name")),),
    )
    known = {"family_name": "popescu"}
    assert comparison.labels[comparison.level_of(known, {"family_name": None})] == "unknown"
    assert comparison.labels[comparison.level_of(known, {})] == "unknown"
    assert comparison.labels[comparison.level_of(known, {"family_name": "nowak"})] == "all other"
    assert comparison.labels[comparison.level_of(known, known)] == "exact"


def test_splink_numbers_levels_downwards_from_the_strongest() -> None:
    comparison = SETTINGS["person"].comparisons[0]
    assert [comparison.gamma(index) for index in range(len(comparison.labels))] == [
        -1,
        *range(len(comparison.labels) - 2, -1, -1),
    ]


def test_a_swap_with_a_misspelt_name_is_told_from_a_name_crossed_alone(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    """Yetunde Ogunleye written family name first with a typing error is still a swap;
    Kelechi Ogunleye shares only the crossed family name. DuckDB and Python agree."""
    records = [
        {"unique_id": 1, "organisation_id": 1, "given_name": "yetunde", "family_name": "ogunleye"},
        {"unique_id": 2, "organisation_id": 1, "given_name": "ogunleye", "family_name": "yeutnde"},
        {"unique_id": 3, "organisation_id": 1, "given_name": "kelechi", "family_name": "ogunleye"},
        {"unique_id": 4, "organisation_id": 1, "given_name": "ogunleye", "family_name": None},
    ]
    settings_dict = SETTINGS["person"].settings_dict()
    settings_dict["blocking_rules_to_generate_predictions"] = [{"blocking_rule": "1=1"}]
    table = prepare_records(pandas.DataFrame(records), "person")
    linker = Linker(DuckDBAPI(connection=connection).register(table), settings_dict, log_level=None)
    predictions = linker.inference.predict(warning_mode="never")
    given = next(c for c in SETTINGS["person"].comparisons if c.name == "given_name")
    rows = connection.execute(
        f"SELECT unique_id_l, unique_id_r, gamma_given_name FROM {predictions.physical_name}"  # noqa: S608
    ).fetchall()
    cleaned = {r["unique_id"]: clean_record("person", r) for r in records}
    labels = {}
    for left, right, gamma in rows:
        index = given.level_of(cleaned[left], cleaned[right])
        assert given.gamma(index) == gamma
        labels[(left, right)] = given.labels[index]
    assert labels[(1, 2)] == "swapped with family name, one misspelt"
    assert labels[(2, 3)] == labels[(1, 4)] == "crossed with family name"
    assert labels[(1, 3)] == "all other"
