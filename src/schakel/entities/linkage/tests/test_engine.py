"""A linkage run end to end, on synthetic people whose true identities are known."""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy
import pandas
import pyarrow
import pytest

from schakel.entities.linkage import (
    DEFAULT_THRESHOLD,
    LinkageResult,
    link,
    normalise_name_part,
    score,
    training,
)
from schakel.entities.linkage.scoring import probability_to_match_weight
from schakel.entities.linkage.tests import (
    CITIES,
    FAMILY,
    linked_population,
    population,
    settings,  # noqa: F401 - stands in for Django's
    spy_on_memory_limit,
    with_frequencies,
)


def _linked_pairs(clusters: dict[int, int]) -> set[tuple[int, int]]:
    members: dict[int, list[int]] = {}
    for record, cluster in clusters.items():
        members.setdefault(cluster, []).append(record)
    return {(a, b) for group in members.values() for a in group for b in group if a < b}


def test_it_finds_the_duplicates_and_merges_no_one_else() -> None:
    people, result = linked_population()
    linked, true = _linked_pairs(result.clusters), people.true_pairs()
    assert linked <= true
    # The generator is harsh (typos, crossed names, a third of the values missing); most
    # duplicates still carry enough to be found.
    assert len(linked & true) >= 0.85 * len(true)


def test_without_clustering_it_scores_the_same_pairs() -> None:
    people, result = linked_population()
    alone = link(
        pandas.DataFrame(people.records), "person", threshold=DEFAULT_THRESHOLD, cluster=False
    )
    assert alone.clusters == {} and "cluster" not in alone.durations
    assert len(alone.pairs) == len(result.pairs) > 0
    columns = ["unique_id_l", "unique_id_r", "linked"]
    assert alone.pairs[columns].equals(result.pairs[columns])
    assert alone.pairs.match_weight.tolist() == pytest.approx(result.pairs.match_weight.tolist())


def test_people_who_live_together_stay_apart() -> None:
    people, result = linked_population()
    households: dict[int, set[int]] = {}
    for record, person in people.identity.items():
        if person in people.household:
            households.setdefault(people.household[person], set()).add(record)
    assert len(households) == 4
    for records in households.values():
        persons_per_cluster: dict[int, set[int]] = {}
        for record in records:
            persons_per_cluster.setdefault(result.clusters[record], set()).add(
                people.identity[record]
            )
        assert all(len(persons) == 1 for persons in persons_per_cluster.values())


def test_an_address_and_phone_in_common_never_make_a_link() -> None:
    _, result = linked_population()
    place = {
        "street": "haagweg",
        "house_number": "7",
        "postcode": "4811AA",
        "city": "breda",
        "phone": "+31610000001",
        "nationality": "RO",
        "gender": "F",
    }
    first = {**place, "given_name": "ioana", "family_name": "popescu", "unique_id": 1}
    second = {**place, "given_name": "fatima", "family_name": "bondarenko", "unique_id": 2}
    (scored,) = score(result.model, first, [second])
    assert not scored.links(result.threshold)
    assert scored.identifying_weight < 0
    # With nothing known about who they are, the place weighs a lot but decides nothing.
    (place_only,) = score(result.model, {**place, "unique_id": 4}, [{**place, "unique_id": 3}])
    assert place_only.match_weight > scored.match_weight
    assert place_only.identifying_weight == 0
    assert not place_only.links(result.threshold)


def test_scoring_links_exactly_the_pairs_the_run_linked() -> None:
    people, result = linked_population()
    by_id = {
        record["unique_id"]: with_frequencies(record, result.term_frequencies)
        for record in people.records
    }
    assert result.pairs.linked.any()
    for row in result.pairs.itertuples():
        (scored,) = score(result.model, by_id[row.unique_id_l], [by_id[row.unique_id_r]])
        assert scored.identifying_weight == pytest.approx(row.identifying_weight, abs=1e-6)
        assert scored.links(result.threshold) == row.linked


def test_the_result_explains_and_counts_what_it_found() -> None:
    people, result = linked_population()
    prior = probability_to_match_weight(result.model["probability_two_random_records_match"])
    counts = result.counts
    assert counts.records == len(people.records) == len(result.clusters)
    assert counts.clusters == len(set(result.clusters.values()))
    assert counts.pairs_above_threshold == result.pairs.linked.sum()
    assert counts.pairs_above_threshold + counts.pairs_in_review == len(result.pairs)
    assert counts.pairs_compared > len(result.pairs)
    assert (result.pairs.match_probability >= result.review_threshold).all()
    row = result.pairs.iloc[0]
    explanation = result.explain(int(row.unique_id_r), int(row.unique_id_l))
    assert sum(part.match_weight for part in explanation) + prior == pytest.approx(row.match_weight)
    assert {part.level for part in explanation} <= {
        label for comparison in result.model["comparisons"] for label in _labels(comparison)
    }
    json.dumps(result.model)  # the model is stored as JSON


def _labels(comparison: dict[str, Any]) -> list[str]:
    return [level["label_for_charts"] for level in comparison["comparison_levels"]]


def test_the_model_learns_the_person_not_the_place() -> None:
    _, result = linked_population()
    m = {
        comparison["output_column_name"]: {
            level["label_for_charts"]: level.get("m_probability")
            for level in comparison["comparison_levels"]
        }
        for comparison in result.model["comparisons"]
    }
    # A model of "same place" would find its matches among people who live together: they
    # agree on the address and differ in name and date of birth. This one's matches agree on
    # who someone is, and less often on where they were seen.
    assert m["date_of_birth"]["exact"] > 0.8
    assert m["given_name"]["all other"] < 0.1
    assert m["family_name"]["all other"] < 0.1
    assert m["address"]["same address"] < m["date_of_birth"]["exact"]


def _small(people: int = 40, seed: int = 2) -> pandas.DataFrame:
    return pandas.DataFrame(population(people, seed=seed).records)


@dataclass
class EdgeRun:
    """One run over awkward input: an Arrow table without phone numbers, two records with
    nothing known, one person written in Cyrillic and in Latin, a DuckDB file."""

    result: LinkageResult
    reported: list[tuple[str, float]]
    path: Path


@pytest.fixture(scope="module")
def edge_run(tmp_path_factory: pytest.TempPathFactory) -> EdgeRun:
    raw = [("Олена", "Шевченко"), ("Olena", "Shevchenko"), ("OLENA", "SHEVCHENKO")]
    extra = pandas.DataFrame(
        {
            "unique_id": [8001, 8002, 8003, 9001, 9002],
            "organisation_id": [1, 2, 3, 1, 2],
            "given_name": [normalise_name_part(given) for given, _ in raw] + [None, None],
            "family_name": [normalise_name_part(family) for _, family in raw] + [None, None],
            "date_of_birth": ["1991-04-17"] * 3 + [None, None],
            "nationality": ["UA"] * 3 + [None, None],
        }
    )
    frame = pandas.concat([_small().drop(columns="phone"), extra], ignore_index=True)
    reported: list[tuple[str, float]] = []
    path = tmp_path_factory.mktemp("linkage") / "linkage.duckdb"
    result = link(
        pyarrow.Table.from_pandas(frame, preserve_index=False),
        "person",
        threshold=DEFAULT_THRESHOLD,
        duckdb_path=str(path),
        progress=lambda phase, done: reported.append((phase, done)),
    )
    return EdgeRun(result, reported, path)


def test_records_with_nothing_known_are_clusters_of_their_own(edge_run: EdgeRun) -> None:
    assert edge_run.result.clusters[9001] == 9001
    assert edge_run.result.clusters[9002] == 9002


def test_one_person_written_in_cyrillic_and_in_latin_is_linked(edge_run: EdgeRun) -> None:
    clusters = edge_run.result.clusters
    assert clusters[8001] == clusters[8002] == clusters[8003]


def test_a_column_no_record_has_weighs_nothing(edge_run: EdgeRun) -> None:
    (phone,) = [
        c for c in edge_run.result.model["comparisons"] if c["output_column_name"] == "phone"
    ]
    for level in phone["comparison_levels"][1:]:
        assert level["m_probability"] == level["u_probability"]


def test_it_reports_progress_and_time_per_phase(edge_run: EdgeRun) -> None:
    shares = [done for _, done in edge_run.reported]
    assert shares == sorted(shares)
    assert edge_run.reported[-1] == ("done", 1.0)
    durations = edge_run.result.durations
    assert {"estimate_u", "estimate_m_1", "predict", "cluster"} <= set(durations)
    assert all(seconds >= 0 for seconds in durations.values())


def test_it_closes_its_database_file_and_leaves_no_data_in_it(edge_run: EdgeRun) -> None:
    # Closed: another connection may open the file and write to it.
    connection = duckdb.connect(str(edge_run.path))
    try:
        assert connection.execute("SELECT count(*) FROM duckdb_tables()").fetchall() == [(0,)]
        connection.execute("CREATE TABLE after_linkage (x INTEGER)")
    finally:
        connection.close()


def test_the_same_seed_trains_the_same_model(monkeypatch: pytest.MonkeyPatch) -> None:
    # Few enough sample pairs that u is estimated from a sample, not from every pair.
    monkeypatch.setattr(training, "U_SAMPLE_PAIRS", 300)
    frame = _small(20, seed=4)
    first = link(frame, "person", threshold=DEFAULT_THRESHOLD, seed=5)
    second = link(frame, "person", threshold=DEFAULT_THRESHOLD, seed=5)
    other = link(frame, "person", threshold=DEFAULT_THRESHOLD, seed=6)
    # DuckDB sums in parallel, in no fixed order: the same up to rounding.
    assert _probabilities(first) == pytest.approx(_probabilities(second), rel=1e-9)
    assert first.clusters == second.clusters
    assert _probabilities(other) != pytest.approx(_probabilities(first), rel=1e-9)


def _probabilities(result: LinkageResult) -> list[float]:
    return [
        level[key]
        for comparison in result.model["comparisons"]
        for level in comparison["comparison_levels"]
        for key in ("m_probability", "u_probability")
        if key in level
    ]


def test_training_survives_levels_only_different_people_show(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Duplicates that never differ in gender, nationality or phone: expectation maximisation
    # drives those levels' m towards zero until Splink 5 stops with an underflow.
    people = population(80, seed=3)
    first: dict[int, dict[str, Any]] = {}
    records = []
    for record in people.records:
        person = people.identity[record["unique_id"]]
        original = first.setdefault(person, record)
        records.append({**record, **{c: original[c] for c in ("gender", "nationality", "phone")}})
    with caplog.at_level(logging.INFO, logger="schakel.entities.linkage.training"):
        result = link(pandas.DataFrame(records), "person", threshold=DEFAULT_THRESHOLD)
    assert "underflowed" in caplog.text
    (gender,) = [c for c in result.model["comparisons"] if c["output_column_name"] == "gender"]
    assert gender["comparison_levels"][-1]["m_probability"] == training.M_FLOOR
    assert _linked_pairs(result.clusters) <= people.true_pairs()


def test_it_refuses_records_it_cannot_tell_apart() -> None:
    frame = _small(5)
    frame.loc[1, "unique_id"] = frame.loc[0, "unique_id"]
    with pytest.raises(ValueError, match="unique"):
        link(frame, "person", threshold=DEFAULT_THRESHOLD)
    with pytest.raises(ValueError, match="probability"):
        link(_small(5), "person", threshold=1.0)


def _check_duplicates(result: LinkageResult, rows: list[dict[str, Any]], strong: str) -> None:
    """Records 1 and 2 are one thing, 3 and 4 another, up to 79 and 80; the rest are one
    each. No two different things are merged, and a pair that shares ``strong`` is linked."""
    linked = _linked_pairs(result.clusters)
    expected = {record: -record for record in result.clusters}
    sharing = 0
    for first in range(1, 80, 2):
        expected[first] = expected[first + 1] = first
        if rows[first - 1][strong] is not None and rows[first][strong] is not None:
            sharing += 1
            assert (first, first + 1) in linked, rows[first - 1 : first + 1]
    assert sharing >= 20
    assert linked <= _linked_pairs(expected)


def test_it_links_companies() -> None:
    rng = random.Random(8)
    rows: list[dict[str, Any]] = []
    for company in range(500):
        trade = rng.choice(["transport", "bouw", "schoonmaak", "uitzend"])
        name = f"{rng.choice(FAMILY)} en {rng.choice(FAMILY)} {trade}"
        number = f"{rng.randrange(10**7, 10**8)}"
        postcode = f"{rng.randrange(1000, 9999)}{rng.choice('ABCD')}{rng.choice('KLMN')}"
        # The first 40 are mentioned twice, the second time with a typing error or less.
        for mention in range(2 if company < 40 else 1):
            typo = mention == 1 and company % 2 == 0
            rows.append(
                {
                    "unique_id": len(rows) + 1,
                    "organisation_id": mention + 1,
                    "name": name.replace(name[2], "x", 1) if typo else name,
                    "registration_number": number if company % 3 or mention == 0 else None,
                    "postcode": postcode,
                    "city": rng.choice(CITIES) if mention == 0 else None,
                }
            )
    result = link(pandas.DataFrame(rows), "company", threshold=0.9)
    _check_duplicates(result, rows, strong="registration_number")


def test_it_links_addresses() -> None:
    rng = random.Random(9)
    rows: list[dict[str, Any]] = []
    for address in range(500):
        street = rng.choice(FAMILY).replace(" ", "") + rng.choice(["straat", "weg", "laan"])
        city = rng.choice(CITIES)
        number, postcode = str(rng.randrange(1, 400)), f"{rng.randrange(1000, 9999)}AB"
        for mention in range(2 if address < 40 else 1):
            rows.append(
                {
                    "unique_id": len(rows) + 1,
                    "organisation_id": mention + 1,
                    # "Kerkstr." for "Kerkstraat", as people write it.
                    "street": street if mention == 0 else street.replace("straat", "str"),
                    "house_number": number,
                    "postcode": postcode if mention == 0 or rng.random() < 0.5 else None,
                    "city": city,
                    "country": "NL",
                }
            )
    result = link(pandas.DataFrame(rows), "address", threshold=0.9)
    _check_duplicates(result, rows, strong="postcode")


def test_a_training_session_falls_back_when_its_rule_finds_no_pairs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The name session is blocked on nationality and gender too (pairs that share a name
    share those far more than random pairs do); data without them trains on the names
    alone, and the date of birth still learns that a match shares it."""
    people = population(80, seed=3)
    records = [{**r, "gender": None, "nationality": None} for r in people.records]
    with caplog.at_level(logging.INFO, logger="schakel.entities.linkage.training"):
        result = link(pandas.DataFrame(records), "person", threshold=DEFAULT_THRESHOLD)
    assert "EM session had no pairs" in caplog.text
    (born,) = [c for c in result.model["comparisons"] if c["output_column_name"] == "date_of_birth"]
    exact = next(
        level for level in born["comparison_levels"] if level.get("label_for_charts") == "exact"
    )
    assert exact["m_probability"] > 0.5
    found = _linked_pairs(result.clusters)
    assert found <= people.true_pairs() and len(found) > 0.8 * len(people.true_pairs())


def _blocked(left: dict[str, Any], right: dict[str, Any]) -> list[str]:
    """The person blocking rules that put these two records in one pair, as DuckDB reads them."""
    from schakel.entities.linkage.records import clean_record
    from schakel.entities.linkage.settings import PERSON

    frame = pandas.DataFrame(
        [
            {**clean_record("person", record), "unique_id": n}
            for n, record in ((1, left), (2, right))
        ]
    )
    holding = []
    with duckdb.connect() as connection:
        connection.register("records", frame)
        for rule in PERSON.blocking:
            condition = rule.to_splink().get_blocking_rule("duckdb").blocking_rule_sql
            found = connection.execute(
                "SELECT count(*) FROM records l, records r "  # noqa: S608 - the rules are ours
                f"WHERE l.unique_id = 1 AND r.unique_id = 2 AND ({condition})"
            ).fetchall()[0][0]
            if found:
                holding.append(condition)
    return holding


def test_a_record_without_a_date_of_birth_is_compared_despite_a_typing_error() -> None:
    # The only way to find a record with nothing but a name: a typing error in either name
    # hid it from every rule that needs a whole name or a date.
    dated = {"given_name": "larysa", "family_name": "savchenko", "date_of_birth": "1988-04-02"}
    for typo in ({"given_name": "larrysa"}, {"family_name": "savchneko"}):
        undated = {**dated, **typo, "date_of_birth": None}
        assert _blocked(dated, undated), typo
        # With a date on both sides, the date rules find such pairs; these rules stay out.
        assert not _blocked(dated, {**undated, "date_of_birth": "1971-01-01"})
    # The first letters must agree: the rules do not compare every namesake.
    assert _blocked(dated, {**dated, "given_name": "olena", "date_of_birth": None}) == []


def test_a_batch_run_keeps_duckdb_within_the_memory_it_is_given(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen = spy_on_memory_limit(monkeypatch)
    records = pandas.DataFrame(population(60).records)
    result = link(
        records,
        "person",
        threshold=DEFAULT_THRESHOLD,
        duckdb_path=str(tmp_path / "store.duckdb"),
        memory_mb=256,
    )
    assert seen == ["244.1 MiB"]  # 256 MB
    assert result.counts.records == len(records)


def _with_copies(people: int = 150, seed: int = 11) -> pandas.DataFrame:
    """A population in which partners report many records again exactly as before (the same
    values, another organisation), some of them several times, including records with only a
    name, so that copies meet copies within and across groups."""
    rng = random.Random(seed)
    records = population(people, seed=seed, households=2).records
    copies = []
    for record in records:
        for _ in range(rng.choice([0, 0, 1, 1, 3])):
            copies.append(
                {**record, "unique_id": 10_000 + len(copies), "organisation_id": rng.randint(1, 5)}
            )
    name_only = [
        {
            "unique_id": 20_000 + n,
            "organisation_id": 1 + n % 3,
            "given_name": "Ana",
            "family_name": "Pop",
        }
        for n in range(4)
    ]
    return pandas.DataFrame(records + copies + name_only)


def test_scoring_copies_once_gives_every_pair_what_splink_gives_it() -> None:
    records = _with_copies()
    collapsed = link(records, "person", threshold=DEFAULT_THRESHOLD, cluster=False)
    plain = link(records, "person", threshold=DEFAULT_THRESHOLD, cluster=False, collapse=False)
    assert collapsed.counts.distinct_records < collapsed.counts.records == len(records)
    assert plain.counts.distinct_records == len(records)
    assert collapsed.counts.pairs_compared < plain.counts.pairs_compared
    key = ["unique_id_l", "unique_id_r"]
    left = collapsed.pairs.sort_values(key).reset_index(drop=True)
    right = plain.pairs.sort_values(key).reset_index(drop=True)
    assert len(left) == len(right) > 0
    assert list(left.columns) == list(right.columns)
    # Each run trains its own model, and DuckDB sums in parallel in no fixed order: the
    # weights are the same up to rounding (see test_the_same_seed_trains_the_same_model).
    for column in left.columns:
        if left[column].dtype.kind == "f":
            assert numpy.allclose(left[column], right[column], rtol=1e-9, atol=1e-9), column
        else:
            assert left[column].tolist() == right[column].tolist(), column
    # Copies of one record are pairs of their own, with the copies of what it meets.
    copies = records.loc[records.unique_id >= 10_000, "unique_id"]
    assert set(copies) & set(left.unique_id_l) and set(copies) & set(left.unique_id_r)
    assert _probabilities(collapsed) == pytest.approx(_probabilities(plain), rel=1e-9)
    assert collapsed.term_frequencies == plain.term_frequencies
