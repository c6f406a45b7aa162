"""Scoring in Python gives what Splink predicts, from the saved model alone."""

from __future__ import annotations

import copy
import json

import duckdb
import pandas
import pytest
from splink import DuckDBAPI, Linker

from schakel.entities.linkage import ModelMismatch, score
from schakel.entities.linkage.engine import prepare_records
from schakel.entities.linkage.records import Kind
from schakel.entities.linkage.scoring import (
    kind_of_model,
    match_weight_to_probability,
    probability_to_match_weight,
)
from schakel.entities.linkage.settings import SETTINGS
from schakel.entities.linkage.tests import (
    linked_population,
    settings,  # noqa: F401 - stands in for Django's
    with_frequencies,
)


def test_it_scores_every_blocked_pair_as_splink_predicts_it() -> None:
    people, result = linked_population()
    # A fresh linker loaded from the saved model, scoring every blocked pair, not only the
    # ones the run kept: all levels, weak and strong, are compared.
    connection = duckdb.connect()
    try:
        table = prepare_records(pandas.DataFrame(people.records), "person")
        records = DuckDBAPI(connection=connection).register(table)
        linker = Linker(records, copy.deepcopy(result.model), log_level=None)
        predictions = linker.inference.predict()
        splink = connection.execute(f"SELECT * FROM {predictions.physical_name}").fetch_df()  # noqa: S608
    finally:
        connection.close()
    assert len(splink) > 2 * len(result.pairs)
    by_id = {
        record["unique_id"]: with_frequencies(record, result.term_frequencies)
        for record in people.records
    }
    names = [comparison["output_column_name"] for comparison in result.model["comparisons"]]
    for row in splink.itertuples():
        (scored,) = score(result.model, by_id[row.unique_id_l], [by_id[row.unique_id_r]])
        assert scored.match_weight == pytest.approx(row.match_weight, abs=1e-6)
        assert scored.match_probability == pytest.approx(row.match_probability, abs=1e-9)
        for name, weight in zip(names, scored.comparisons, strict=True):
            splink_weight = getattr(row, f"mw_{name}") + getattr(row, f"mw_tf_adj_{name}", 0.0)
            assert weight.match_weight == pytest.approx(splink_weight, abs=1e-6), name


def test_a_shared_rare_name_weighs_more_than_a_shared_common_one() -> None:
    _, result = linked_population()
    record = {"unique_id": 1, "family_name": "popescu"}
    common = score(result.model, {**record, "tf_family_name": 0.05}, [{**record, "unique_id": 2}])
    rare = score(result.model, {**record, "tf_family_name": 0.0005}, [{**record, "unique_id": 2}])
    assert rare[0].match_weight > common[0].match_weight + 6  # log2(100) bits apart


def test_a_record_with_nothing_known_scores_the_prior() -> None:
    _, result = linked_population()
    (scored,) = score(result.model, {}, [{"unique_id": 9, "given_name": None}])
    prior = probability_to_match_weight(result.model["probability_two_random_records_match"])
    assert scored.match_weight == pytest.approx(prior)
    assert {weight.level for weight in scored.comparisons} == {"unknown"}


def test_it_returns_the_best_candidate_first_with_an_explanation() -> None:
    _, result = linked_population()
    record = {"given_name": "olena", "family_name": "shevchenko", "date_of_birth": "1990-03-04"}
    candidates = [
        {"unique_id": 1, "given_name": "olena", "family_name": "kovalenko"},
        {"unique_id": 2, **record},
        {"unique_id": 3, **record, "date_of_birth": "1990-03-05"},
    ]
    scored = score(result.model, record, candidates)
    assert [candidate.unique_id for candidate in scored] == [2, 3, 1]
    best = {weight.comparison: weight for weight in scored[0].comparisons}
    assert best["date_of_birth"].level == "exact"
    assert best["date_of_birth"].match_weight > 0
    assert best["phone"].level == "unknown"
    assert best["phone"].match_weight == 0


def test_it_refuses_a_model_trained_on_other_comparisons() -> None:
    _, result = linked_population()
    model = json.loads(json.dumps(result.model))
    assert kind_of_model(model) == "person"
    model["comparisons"][0]["comparison_levels"][2]["sql_condition"] = '"x_l" = "x_r"'
    with pytest.raises(ModelMismatch):
        score(model, {}, [{}])


@pytest.mark.parametrize("weight", [-1200.0, -8.5, 0.0, 3.25, 1200.0])
def test_match_weights_and_probabilities_convert_both_ways(weight: float) -> None:
    probability = match_weight_to_probability(weight)
    assert 0.0 <= probability <= 1.0
    if abs(weight) < 50:
        assert probability_to_match_weight(probability) == pytest.approx(weight)


@pytest.mark.parametrize("kind", ["person", "company", "address"])
def test_it_recognises_a_model_trained_on_spark_from_the_same_declarations(kind: Kind) -> None:
    assert kind_of_model(SETTINGS[kind].settings_dict("spark")) == kind
