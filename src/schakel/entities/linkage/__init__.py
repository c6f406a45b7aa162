"""Linkage: which person, company and address mentions are about the same one.

Probabilistic record linkage with Splink on DuckDB (Fellegi-Sunter: each comparison adds or
subtracts evidence in bits), trained without labels. No Django models here: the entities app
hands records in and stores what comes out. docs/linkage.md explains the choices.

Public surface (import from ``schakel.entities.linkage``):

* ``link(records, kind, *, threshold, duckdb_path=None, progress=None, seed=1) ->
  LinkageResult`` — a whole run: train, score the blocked pairs, cluster the pairs that link
  at ``threshold``. Run it in the worker or the command line only (DuckDB allows one writing
  process per file; web processes never open it).
* ``LinkageResult`` (``clusters``, ``pairs`` with their explanation, ``model``, ``counts``,
  ``durations``, ``term_frequencies`` and ``term_frequency_totals``, ``explain(left,
  right)``) and ``LinkageCounts``.
* ``score(model, record, candidates) -> list[ScoredCandidate]`` — one record against
  candidates with a saved model, in Python without DuckDB (matching right after intake);
  ``ScoredCandidate`` (probability, weights, ``links(threshold)``) and ``ComparisonWeight``
  explain each score; ``ModelMismatch`` when a model predates the current comparisons.
* Records: ``Kind``, ``PersonRecord``, ``CompanyRecord``, ``AddressRecord``, ``COLUMNS``,
  ``clean_record`` (a record as linkage compares it), and the normalisers
  ``normalise_name_part``, ``normalise_postcode``, ``normalise_code``.
* ``DEFAULT_THRESHOLD`` and ``REVIEW_THRESHOLD`` (match probabilities).

Internal but readable: ``settings`` (comparisons, blocking rules and training plan per kind —
the rules as data), ``comparisons`` (the declarations they are made of, read by Splink and by
Python alike), ``training`` and ``engine``.
"""

from __future__ import annotations

from schakel.entities.linkage.engine import (
    DEFAULT_THRESHOLD,
    REVIEW_THRESHOLD,
    LinkageCounts,
    LinkageResult,
    link,
)
from schakel.entities.linkage.records import (
    COLUMNS,
    AddressRecord,
    CompanyRecord,
    Kind,
    PersonRecord,
    clean_record,
    normalise_code,
    normalise_name_part,
    normalise_postcode,
)
from schakel.entities.linkage.scoring import (
    ComparisonWeight,
    ModelMismatch,
    ScoredCandidate,
    kind_of_model,
    score,
)

__all__ = [
    "COLUMNS",
    "DEFAULT_THRESHOLD",
    "REVIEW_THRESHOLD",
    "AddressRecord",
    "CompanyRecord",
    "ComparisonWeight",
    "Kind",
    "LinkageCounts",
    "LinkageResult",
    "ModelMismatch",
    "PersonRecord",
    "ScoredCandidate",
    "clean_record",
    "kind_of_model",
    "link",
    "normalise_code",
    "normalise_name_part",
    "normalise_postcode",
    "score",
]
