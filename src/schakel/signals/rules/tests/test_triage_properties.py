"""Properties of the triage model over any set of indicators and facts (hypothesis)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from schakel.signals.rules.indicators import catalogue
from schakel.signals.rules.triage import TriageFacts, TriageResult, current, evaluate
from schakel.signals.rules.vocabulary import current as vocabularies

IDS = sorted(catalogue().ids)
FORMS = sorted(vocabularies().codes("forms_of_exploitation"))
SOURCES = [None, *sorted(vocabularies().codes("reliability_source"))]
INFORMATION = [None, *sorted(vocabularies().codes("reliability_information"))]

indicator_sets = st.frozensets(st.sampled_from(IDS), max_size=25)


@st.composite
def facts(draw: st.DrawFn, indicator_ids: frozenset[str] | None = None) -> TriageFacts:
    return TriageFacts(
        indicator_ids=draw(indicator_sets) if indicator_ids is None else indicator_ids,
        forms=draw(st.frozensets(st.sampled_from(FORMS), max_size=4)),
        minor_victim=draw(st.booleans()),
        victim_count=draw(st.integers(min_value=0, max_value=12)),
        source_reliability=draw(st.sampled_from(SOURCES)),
        information_reliability=draw(st.sampled_from(INFORMATION)),
    )


def _with(base: TriageFacts, extra: frozenset[str]) -> TriageFacts:
    return TriageFacts(
        indicator_ids=base.indicator_ids | extra,
        forms=base.forms,
        minor_victim=base.minor_victim,
        victim_count=base.victim_count,
        source_reliability=base.source_reliability,
        information_reliability=base.information_reliability,
    )


@settings(max_examples=300, deadline=None)
@given(base=facts(), extra=indicator_sets)
def test_adding_indicators_never_lowers_the_score_or_the_band(
    base: TriageFacts, extra: frozenset[str]
) -> None:
    model = current()
    before = evaluate(base)
    after = evaluate(_with(base, extra))
    assert after.score >= before.score
    assert model.rank(after.band) >= model.rank(before.band)


@settings(max_examples=300, deadline=None)
@given(given_facts=facts())
def test_the_reasons_contributions_add_up_to_the_score(given_facts: TriageFacts) -> None:
    result = evaluate(given_facts)
    # Weights and bonuses are multiples of 0.5, so the sums are exact in floating point.
    assert sum(reason.contribution for reason in result.reasons) == result.score
    assert all(reason.contribution >= 0 for reason in result.reasons)


@settings(max_examples=200, deadline=None)
@given(given_facts=facts())
def test_every_indicator_is_explained_once(given_facts: TriageFacts) -> None:
    result = evaluate(given_facts)
    explained = [r.code for r in result.reasons if r.kind == "indicator"]
    assert sorted(explained) == sorted(given_facts.indicator_ids)
    scored = [r.contribution for r in result.reasons if r.kind != "rule"]
    assert scored == sorted(scored, reverse=True)


@settings(max_examples=200, deadline=None)
@given(given_facts=facts())
def test_the_band_is_the_score_band_unless_a_floor_raised_it(given_facts: TriageFacts) -> None:
    model = current()
    result = evaluate(given_facts)
    assert result.score_band == model.band_for_score(result.score)
    if result.floor_applied is None:
        assert result.band == result.score_band
    else:
        assert model.rank(result.band) > model.rank(result.score_band)
        assert result.reasons[0].code == result.floor_applied
    danger = any(catalogue().get(i).immediate_danger for i in given_facts.indicator_ids)
    if danger:
        assert result.band == "urgent"
    if given_facts.minor_victim:
        assert model.rank(result.band) >= model.rank("discuss")


@settings(max_examples=200, deadline=None)
@given(given_facts=facts())
def test_a_stored_result_comes_back_unchanged(given_facts: TriageFacts) -> None:
    result = evaluate(given_facts)
    assert TriageResult.from_dict(json.loads(json.dumps(result.as_dict()))) == result
