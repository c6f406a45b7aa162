"""The triage model as data: bands, pools of indicator groups, rules, read from ``triage.yaml``.

Validated against ``triage.schema.json`` and cross-checked with the catalogue and the
vocabularies at load: the four bands in order with ascending thresholds, every catalogue group
in exactly one pool, and every band, group, indicator, form and reliability code a rule names
existing. The engine that applies the model is ``schakel.signals.rules.triage``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from schakel.signals.rules import indicators as indicator_catalogue
from schakel.signals.rules import vocabulary
from schakel.signals.rules.document import HERE, Text, changelog_is_current, read_yaml, validate
from schakel.signals.rules.errors import RulesError, RulesFileError
from schakel.signals.rules.indicators import Catalogue, Indicator

MODEL_PATH = HERE / "triage.yaml"
SCHEMA_NAME = "triage.schema.json"

#: The bands, lowest first. Signals store these codes, so the file must use exactly these.
BANDS = ("no_action", "monitor", "discuss", "urgent")


@dataclass(frozen=True)
class Band:
    code: str
    min_score: float
    label: Text
    next_step: Text


@dataclass(frozen=True)
class Pool:
    """Indicator groups whose weights add up to at most ``cap`` points together."""

    code: str
    label: Text
    groups: frozenset[str]
    cap: float | None


@dataclass(frozen=True)
class Condition:
    """All given parts must hold. Every part can only become true, never false, when an
    indicator is added: that keeps the model monotone."""

    any_flag: str | None = None
    any_of: frozenset[str] = frozenset()
    any_group: frozenset[str] = frozenset()
    min_indicators: int | None = None
    min_indicators_groups: frozenset[str] | None = None
    facts: tuple[str, ...] = ()
    forms_any: frozenset[str] = frozenset()
    min_forms: int | None = None
    min_victims: int | None = None
    reliability: frozenset[str] | None = None

    def holds(
        self,
        *,
        indicators: Iterable[Indicator],
        forms: frozenset[str],
        true_facts: frozenset[str],
        victim_count: int,
        reliability: str | None,
    ) -> bool:
        present = tuple(indicators)
        if self.any_flag == "immediate_danger" and not any(i.immediate_danger for i in present):
            return False
        if self.any_of and not any(i.id in self.any_of for i in present):
            return False
        if self.any_group and not any(i.group in self.any_group for i in present):
            return False
        if self.min_indicators is not None:
            groups = self.min_indicators_groups
            # Indicators meaning the same HTCDS method of control are one observation.
            counted = {i.htcds or i.id for i in present if groups is None or i.group in groups}
            if len(counted) < self.min_indicators:
                return False
        if not set(self.facts) <= true_facts:
            return False
        if self.forms_any and not self.forms_any & forms:
            return False
        if self.min_forms is not None and len(forms) < self.min_forms:
            return False
        if self.min_victims is not None and victim_count < self.min_victims:
            return False
        return self.reliability is None or reliability in self.reliability


@dataclass(frozen=True)
class Rule:
    """A floor (raise the band to at least ``floor``) or a bonus (add ``bonus`` points)."""

    code: str
    label: Text
    condition: Condition
    floor: str | None
    bonus: float | None


@dataclass(frozen=True)
class TriageModel:
    version: str
    indicators_version: str
    bands: tuple[Band, ...]  # lowest first
    pools: tuple[Pool, ...]
    rules: tuple[Rule, ...]
    already_counted: Text
    cap_reached: Text
    catalogue: Catalogue
    vocabularies: vocabulary.Vocabularies

    def band(self, code: str) -> Band:
        for band in self.bands:
            if band.code == code:
                return band
        raise RulesError(f"Unknown triage band {code!r} (model version {self.version}).")

    def rank(self, code: str) -> int:
        """0 for the lowest band; a higher band has a higher rank."""
        return self.bands.index(self.band(code))

    def band_label(self, code: str, language: str | None = None) -> str:
        return self.band(code).label.get(language)

    def next_step(self, code: str, language: str | None = None) -> str:
        return self.band(code).next_step.get(language)

    def band_for_score(self, score: float) -> str:
        reached = [band.code for band in self.bands if score >= band.min_score]
        return reached[-1]

    @property
    def floors(self) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.floor is not None)

    @property
    def bonuses(self) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.bonus is not None)


def _condition(entry: dict[str, Any]) -> Condition:
    minimum = entry.get("min_indicators")
    return Condition(
        any_flag=entry.get("any_flag"),
        any_of=frozenset(entry.get("any_of", ())),
        any_group=frozenset(entry.get("any_group", ())),
        min_indicators=None if minimum is None else minimum["count"],
        min_indicators_groups=(
            None if minimum is None or "groups" not in minimum else frozenset(minimum["groups"])
        ),
        facts=tuple(entry.get("facts", ())),
        forms_any=frozenset(entry.get("forms_any", ())),
        min_forms=entry.get("min_forms"),
        min_victims=entry.get("min_victims"),
        reliability=frozenset(entry["reliability"]) if "reliability" in entry else None,
    )


def _check_bands(bands: tuple[Band, ...], *, source: str) -> None:
    codes = tuple(band.code for band in bands)
    if codes != BANDS:
        raise RulesFileError(
            f"{source}: at bands: expected the bands {', '.join(BANDS)} in this order, "
            f"found {', '.join(codes)}"
        )
    if bands[0].min_score != 0:
        raise RulesFileError(f"{source}: at bands/0 ({bands[0].code})/min_score: should be 0")
    for index, (lower, higher) in enumerate(pairwise(bands), start=1):
        if higher.min_score <= lower.min_score:
            raise RulesFileError(
                f"{source}: at bands/{index} ({higher.code})/min_score: thresholds must "
                f"ascend ({higher.min_score:g} is not above {lower.code}'s {lower.min_score:g})"
            )


def _check_pools(pools: tuple[Pool, ...], catalogue: Catalogue, *, source: str) -> None:
    owner: dict[str, str] = {}
    seen: set[str] = set()
    for index, pool in enumerate(pools):
        where = f"{source}: at pools/{index} ({pool.code})"
        if pool.code in seen:
            raise RulesFileError(f"{where}: this code appears twice")
        seen.add(pool.code)
        for group in sorted(pool.groups):
            if group not in catalogue.groups:
                raise RulesFileError(f"{where}/groups: unknown indicator group {group!r}")
            if group in owner:
                raise RulesFileError(f"{where}/groups: {group} is already in pool {owner[group]}")
            owner[group] = pool.code
    missing = [group for group in catalogue.groups if group not in owner]
    if missing:
        raise RulesFileError(f"{source}: at pools: no pool for the groups {', '.join(missing)}")


def _check_rule(
    index: int,
    rule: Rule,
    catalogue: Catalogue,
    vocabularies: vocabulary.Vocabularies,
    *,
    source: str,
) -> None:
    where = f"{source}: at rules/{index} ({rule.code})"
    if rule.floor is not None and rule.floor not in BANDS:
        raise RulesFileError(f"{where}/floor: unknown band {rule.floor!r}")
    condition = rule.condition
    unknown_ids = sorted(condition.any_of - catalogue.ids)
    if unknown_ids:
        raise RulesFileError(
            f"{where}/when/any_of: unknown indicators {', '.join(unknown_ids)} "
            f"(catalogue version {catalogue.version})"
        )
    groups = condition.any_group | (condition.min_indicators_groups or frozenset())
    unknown_groups = sorted(groups - set(catalogue.groups))
    if unknown_groups:
        raise RulesFileError(f"{where}/when: unknown indicator groups {', '.join(unknown_groups)}")
    unknown_forms = sorted(condition.forms_any - vocabularies.codes("forms_of_exploitation"))
    if unknown_forms:
        raise RulesFileError(f"{where}/when/forms_any: unknown forms {', '.join(unknown_forms)}")
    sources = vocabularies.codes("reliability_source")
    information = vocabularies.codes("reliability_information")
    for code in sorted(condition.reliability or ()):
        if code[0] not in sources or code[1:] not in information:
            raise RulesFileError(f"{where}/when/reliability: {code!r} is not a 4x4 code")


def parse(
    document: Any,
    *,
    source: str = "triage.yaml",
    catalogue: Catalogue | None = None,
    vocabularies: vocabulary.Vocabularies | None = None,
) -> TriageModel:
    """Validate and build the model; ``RulesFileError`` names the place of a problem."""
    validate(document, SCHEMA_NAME, source=source)
    changelog_is_current(document, source=source)
    vocabularies = vocabularies or vocabulary.current()
    catalogue = catalogue or indicator_catalogue.catalogue()
    indicators_version = str(document["indicators_version"])
    if indicators_version != catalogue.version:
        raise RulesFileError(
            f"{source}: at indicators_version: the model was reviewed against indicator "
            f"catalogue version {indicators_version}, but the catalogue is version "
            f"{catalogue.version}; review the weights and thresholds, then bump both versions"
        )
    bands = tuple(
        Band(
            code=b["code"],
            min_score=float(b["min_score"]),
            label=Text.parse(b["label"]),
            next_step=Text.parse(b["next_step"]),
        )
        for b in document["bands"]
    )
    _check_bands(bands, source=source)
    pools = tuple(
        Pool(
            code=p["code"],
            label=Text.parse(p["label"]),
            groups=frozenset(p["groups"]),
            cap=None if "cap" not in p else float(p["cap"]),
        )
        for p in document["pools"]
    )
    _check_pools(pools, catalogue, source=source)
    rules: list[Rule] = []
    for index, entry in enumerate(document["rules"]):
        rule = Rule(
            code=entry["code"],
            label=Text.parse(entry["label"]),
            condition=_condition(entry["when"]),
            floor=entry.get("floor"),
            bonus=None if "bonus" not in entry else float(entry["bonus"]),
        )
        if any(r.code == rule.code for r in rules):
            raise RulesFileError(f"{source}: at rules/{index} ({rule.code}): code appears twice")
        _check_rule(index, rule, catalogue, vocabularies, source=source)
        rules.append(rule)
    texts = document["texts"]
    return TriageModel(
        version=str(document["version"]),
        indicators_version=indicators_version,
        bands=bands,
        pools=pools,
        rules=tuple(rules),
        already_counted=Text.parse(texts["already_counted"]),
        cap_reached=Text.parse(texts["cap_reached"]),
        catalogue=catalogue,
        vocabularies=vocabularies,
    )


def load(path: Path = MODEL_PATH, *, catalogue: Catalogue | None = None) -> TriageModel:
    return parse(read_yaml(path), source=path.name, catalogue=catalogue)
