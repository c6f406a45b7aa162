"""Explainable triage: a signal's facts in, a score, a band and the reasons out.

The model is data (``triage.yaml``, see ``triage_model``); this module applies it. A result
names the model version that produced it and carries its reasons with their labels in both
languages, so that it stays readable after the model changes. A stored result is never
recomputed silently: re-triage is an explicit new evaluation with the current model, and
``load_version`` brings back the model an old result was made with.

How the score and the band are made is explained at the top of ``triage.yaml``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, cast

from schakel.signals.rules import indicators as indicator_catalogue
from schakel.signals.rules import triage_model
from schakel.signals.rules.document import HERE, read_yaml, resolve_language
from schakel.signals.rules.errors import RulesError
from schakel.signals.rules.indicators import Indicator
from schakel.signals.rules.triage_model import BANDS, MODEL_PATH, Band, TriageModel

__all__ = [
    "ARCHIVE",
    "BANDS",
    "Band",
    "Reason",
    "TriageFacts",
    "TriageModel",
    "TriageResult",
    "current",
    "evaluate",
    "load",
    "load_version",
]

ARCHIVE = HERE / "archive"
_VERSION = re.compile(r"^[0-9A-Za-z.\-]+$")

Kind = Literal["indicator", "rule", "fact"]
KINDS: tuple[Kind, ...] = ("indicator", "rule", "fact")


@dataclass(frozen=True)
class TriageFacts:
    """What the triage looks at. ``forms`` are ``forms_of_exploitation`` codes the reporter
    chose; ``source_reliability`` and ``information_reliability`` the 4x4 codes (``"A"``,
    ``"1"``), when given."""

    indicator_ids: frozenset[str]
    forms: frozenset[str] = frozenset()
    minor_victim: bool = False
    victim_count: int = 0
    source_reliability: str | None = None
    information_reliability: str | None = None

    @property
    def reliability(self) -> str | None:
        """The combined 4x4 code (``"A1"``), or None when either half is missing."""
        if self.source_reliability and self.information_reliability:
            return f"{self.source_reliability}{self.information_reliability}"
        return None


@dataclass(frozen=True)
class Reason:
    """One line of the explanation. ``contribution`` is in score points; floor rules, which
    raise the band rather than the score, contribute 0."""

    code: str  # indicator id, or rule code
    kind: Kind
    label_nl: str
    label_en: str
    contribution: float

    def label(self, language: str | None = None) -> str:
        return self.label_en if resolve_language(language) == "en" else self.label_nl

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "kind": self.kind,
            "label_nl": self.label_nl,
            "label_en": self.label_en,
            "contribution": self.contribution,
        }


@dataclass(frozen=True)
class TriageResult:
    model_version: str
    score: float
    band: str
    reasons: tuple[Reason, ...]
    floor_applied: str | None  # code of the floor rule that set the band, if one did
    score_band: str = field(default="")  # the band the score alone gives

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable, to store with the signal."""
        return {
            "model_version": self.model_version,
            "score": self.score,
            "band": self.band,
            "score_band": self.score_band or self.band,
            "floor_applied": self.floor_applied,
            "reasons": [reason.as_dict() for reason in self.reasons],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TriageResult:
        """The result stored by ``as_dict``, exactly as it was: no recomputation."""
        try:
            reasons = tuple(
                Reason(
                    code=str(r["code"]),
                    kind=_kind(r["kind"]),
                    label_nl=str(r["label_nl"]),
                    label_en=str(r["label_en"]),
                    contribution=float(r["contribution"]),
                )
                for r in data["reasons"]
            )
            band = str(data["band"])
            floor_applied = data["floor_applied"]
            return cls(
                model_version=str(data["model_version"]),
                score=float(data["score"]),
                band=band,
                reasons=reasons,
                floor_applied=None if floor_applied is None else str(floor_applied),
                score_band=str(data.get("score_band", band)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RulesError(f"Not a stored triage result: {exc!r}.") from None


def _kind(value: object) -> Kind:
    if value not in KINDS:
        raise ValueError(f"unknown reason kind {value!r}")
    return cast(Kind, value)


def _indicators(facts: TriageFacts, model: TriageModel) -> tuple[Indicator, ...]:
    unknown = sorted(facts.indicator_ids - model.catalogue.ids)
    if unknown:
        names = ", ".join(repr(i) for i in unknown)
        noun = "indicator" if len(unknown) == 1 else "indicators"
        raise RulesError(f"Unknown {noun} {names} (catalogue version {model.catalogue.version}).")
    return tuple(model.catalogue.get(i) for i in sorted(facts.indicator_ids))


def _check_facts(facts: TriageFacts, model: TriageModel) -> None:
    vocabularies = model.vocabularies
    unknown_forms = sorted(facts.forms - vocabularies.codes("forms_of_exploitation"))
    if unknown_forms:
        raise RulesError(f"Unknown forms of exploitation: {', '.join(unknown_forms)}.")
    if facts.source_reliability is not None:
        vocabularies.term("reliability_source", facts.source_reliability)
    if facts.information_reliability is not None:
        vocabularies.term("reliability_information", facts.information_reliability)
    if facts.victim_count < 0:
        raise RulesError("The number of victims cannot be negative.")


def _indicator_reasons(present: tuple[Indicator, ...], model: TriageModel) -> list[Reason]:
    """Each indicator's contribution: weights add up per pool, up to the pool's cap, and
    indicators with the same HTCDS method of control count once per pool (the heaviest)."""
    reasons: list[Reason] = []
    for pool in model.pools:
        members = sorted(
            (i for i in present if i.group in pool.groups), key=lambda i: (-i.weight, i.id)
        )
        remaining = math.inf if pool.cap is None else pool.cap
        counted_methods: set[str] = set()
        for indicator in members:
            note = None
            if indicator.htcds is not None and indicator.htcds in counted_methods:
                contribution = 0.0
                note = model.already_counted
            else:
                contribution = min(indicator.weight, remaining)
                remaining -= contribution
                if indicator.htcds is not None:
                    counted_methods.add(indicator.htcds)
                if contribution < indicator.weight:
                    note = model.cap_reached
            label_nl, label_en = indicator.label.nl, indicator.label.en
            if note is not None:
                label_nl, label_en = f"{label_nl} ({note.nl})", f"{label_en} ({note.en})"
            reasons.append(Reason(indicator.id, "indicator", label_nl, label_en, contribution))
    return reasons


def evaluate(facts: TriageFacts, model: TriageModel | None = None) -> TriageResult:
    """Triage a signal with ``model`` (None: the current model).

    Raises ``RulesError`` naming unknown indicator ids, forms or reliability codes.
    """
    model = model or current()
    present = _indicators(facts, model)
    _check_facts(facts, model)
    true_facts = frozenset({"minor_victim"} if facts.minor_victim else ())

    def holds(rule: triage_model.Rule) -> bool:
        return rule.condition.holds(
            indicators=present,
            forms=facts.forms,
            true_facts=true_facts,
            victim_count=facts.victim_count,
            reliability=facts.reliability,
        )

    scored = _indicator_reasons(present, model)
    scored += [
        Reason(rule.code, "fact", rule.label.nl, rule.label.en, rule.bonus)
        for rule in model.bonuses
        if rule.bonus is not None and holds(rule)
    ]
    score = math.fsum(reason.contribution for reason in scored)
    score_band = model.band_for_score(score)

    # Floors that lift the band above what the score gives, highest first; ties keep file
    # order, so the first one listed in triage.yaml is the one reported as applied.
    raising = sorted(
        (
            rule
            for rule in model.floors
            if rule.floor is not None
            and model.rank(rule.floor) > model.rank(score_band)
            and holds(rule)
        ),
        key=lambda rule: -model.rank(cast(str, rule.floor)),
    )
    band = cast(str, raising[0].floor) if raising else score_band
    floor_reasons = [
        Reason(rule.code, "rule", rule.label.nl, rule.label.en, 0.0) for rule in raising
    ]
    scored.sort(key=lambda r: (-r.contribution, KINDS.index(r.kind), r.code))
    return TriageResult(
        model_version=model.version,
        score=score,
        band=band,
        reasons=tuple(floor_reasons + scored),
        floor_applied=raising[0].code if raising else None,
        score_band=score_band,
    )


def load(path: Path = MODEL_PATH) -> TriageModel:
    """The model in ``path``, checked against the current catalogue and vocabularies."""
    return triage_model.load(path)


@cache
def current() -> TriageModel:
    """The installed model, loaded once per process."""
    return load()


@cache
def load_version(version: str) -> TriageModel:
    """The model a stored result was made with: the current file if its version matches,
    else ``archive/triage-<version>.yaml`` with the catalogue it was reviewed against
    (the current one, or ``archive/indicators-<version>.yaml``)."""
    version = str(version)
    if not _VERSION.fullmatch(version):
        raise RulesError(f"Not a triage model version: {version!r}.")
    now = current()
    if version == now.version:
        return now
    path = ARCHIVE / f"triage-{version}.yaml"
    if not path.is_file():
        raise RulesError(
            f"No triage model version {version}: triage.yaml is version {now.version} and "
            f"archive/{path.name} does not exist."
        )
    document = read_yaml(path)
    catalogue = now.catalogue
    wanted = str(document.get("indicators_version", "")) if isinstance(document, dict) else ""
    if wanted and wanted != catalogue.version and _VERSION.fullmatch(wanted):
        catalogue = indicator_catalogue.load_catalogue(ARCHIVE / f"indicators-{wanted}.yaml")
    model = triage_model.parse(document, source=f"archive/{path.name}", catalogue=catalogue)
    if model.version != version:
        raise RulesError(f"archive/{path.name} holds version {model.version}, not {version}.")
    return model
