"""The triage model: bands, floors, bonuses, explanations, stored results and old versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.utils import translation

from schakel.signals.rules import triage
from schakel.signals.rules.document import HERE
from schakel.signals.rules.errors import RulesError
from schakel.signals.rules.indicators import catalogue
from schakel.signals.rules.triage import (
    BANDS,
    Reason,
    TriageFacts,
    TriageResult,
    current,
    evaluate,
    load,
    load_version,
)


def _facts(*ids: str, **kwargs: object) -> TriageFacts:
    return TriageFacts(indicator_ids=frozenset(ids), **kwargs)  # type: ignore[arg-type]


def test_the_installed_model_loads_with_four_bands_in_order() -> None:
    model = load()
    assert model.version == "2"
    assert tuple(band.code for band in model.bands) == BANDS
    scores = [band.min_score for band in model.bands]
    assert scores == sorted(scores) and len(set(scores)) == len(scores)


def test_every_band_has_a_label_and_a_next_step_in_both_languages() -> None:
    model = current()
    for band in model.bands:
        for language in ("nl", "en"):
            assert model.band_label(band.code, language).strip()
            assert model.next_step(band.code, language).strip()
    assert "112" in model.next_step("urgent", "en")
    for rule in model.rules:
        assert rule.label.nl.strip() and rule.label.en.strip()


def test_no_indicators_means_no_action() -> None:
    result = evaluate(_facts())
    assert (result.score, result.band, result.reasons, result.floor_applied) == (
        0,
        "no_action",
        (),
        None,
    )


def test_facts_alone_without_an_indicator_add_nothing() -> None:
    result = evaluate(
        _facts(
            forms=frozenset({"sexual", "labour"}),
            victim_count=8,
            source_reliability="A",
            information_reliability="1",
        )
    )
    assert result.score == 0
    assert result.band == "no_action"


@pytest.mark.parametrize(
    "indicator_id",
    sorted(i.id for i in catalogue().all() if i.immediate_danger),
)
def test_immediate_danger_makes_a_signal_urgent(indicator_id: str) -> None:
    result = evaluate(_facts(indicator_id))
    assert result.band == "urgent"
    assert result.floor_applied == "immediate_danger"
    assert result.reasons[0].code == "immediate_danger"
    assert result.reasons[0].kind == "rule"
    assert result.reasons[0].contribution == 0


def test_a_minor_victim_is_discussed_at_least() -> None:
    result = evaluate(_facts("ilo.deception", minor_victim=True))
    assert result.score_band == "monitor"
    assert result.band == "discuss"
    assert result.floor_applied == "minor_victim"


def test_a_minor_victim_is_discussed_even_without_indicators() -> None:
    assert evaluate(_facts(minor_victim=True)).band == "discuss"


def test_an_indicator_for_minors_is_discussed_at_least() -> None:
    result = evaluate(_facts("minor.school_absence"))
    assert result.band == "discuss"
    assert result.floor_applied == "minor_indicator"


def test_a_minor_in_sexual_exploitation_is_urgent() -> None:
    result = evaluate(_facts(minor_victim=True, forms=frozenset({"sexual"})))
    assert result.band == "urgent"
    assert result.floor_applied == "minor_sexual_exploitation"


def test_a_floor_below_the_score_band_is_not_listed() -> None:
    strong = (
        "ilo.debt_bondage",
        "ilo.retention_of_identity_documents",
        "ilo.intimidation_and_threats",
        "ilo.isolation",
        "labour.lives_at_workplace",
    )
    result = evaluate(_facts(*strong, minor_victim=True))
    assert result.score_band == "urgent"
    assert result.floor_applied is None
    assert all(reason.kind != "rule" for reason in result.reasons)


def test_one_weak_indicator_is_monitored() -> None:
    result = evaluate(_facts("ilo.deception"))
    assert (result.score, result.band) == (4, "monitor")
    assert result.reasons == (Reason("ilo.deception", "indicator", "Misleiding", "Deception", 4.0),)


def test_several_means_of_coercion_are_discussed() -> None:
    result = evaluate(_facts("ilo.isolation", "ilo.excessive_overtime", "control.other"))
    assert result.band == "discuss"


def test_the_same_method_of_control_ticked_twice_counts_once() -> None:
    once = evaluate(_facts("ilo.debt_bondage"))
    twice = evaluate(_facts("ilo.debt_bondage", "control.debt_bondage"))
    assert once.score == twice.score == 6
    contributions = {r.code: r.contribution for r in twice.reasons}
    assert sorted(contributions.values()) == [0, 6]
    counted_once = next(r for r in twice.reasons if r.contribution == 0)
    assert "already counted" in counted_once.label("en")


def test_a_pool_counts_up_to_its_cap() -> None:
    sexual = [i.id for i in catalogue().by_group()["sexual"] if not i.immediate_danger]
    result = evaluate(_facts(*sexual))
    cap = next(p.cap for p in current().pools if p.code == "sexual")
    assert result.score == cap
    assert any("maximum" in r.label("en") for r in result.reasons)


def test_bonuses_add_points_for_facts() -> None:
    plain = evaluate(_facts("labour.collective_transport"))
    rich = evaluate(
        _facts(
            "labour.collective_transport",
            forms=frozenset({"labour", "criminal"}),
            victim_count=6,
            source_reliability="A",
            information_reliability="1",
        )
    )
    bonuses = {r.code: r.contribution for r in rich.reasons if r.kind == "fact"}
    assert bonuses == {
        "several_forms": 3,
        "several_victims": 2,
        "many_victims": 3,
        "reliable_report": 2,
    }
    assert rich.score == plain.score + 10


def test_reasons_are_sorted_by_contribution() -> None:
    result = evaluate(
        _facts(
            "ilo.deception",
            "labour.high_deductions",
            "labour.lives_at_workplace",
            "ilo.debt_bondage",
            victim_count=2,
        )
    )
    contributions = [r.contribution for r in result.reasons]
    assert contributions == sorted(contributions, reverse=True)
    assert sum(contributions) == result.score


def test_an_unknown_indicator_id_is_named_in_the_error() -> None:
    with pytest.raises(RulesError, match=r"Unknown indicator 'ilo\.telepathy'"):
        evaluate(_facts("ilo.deception", "ilo.telepathy"))


def test_several_unknown_indicator_ids_are_all_named() -> None:
    with pytest.raises(RulesError, match=r"'a\.b', 'c\.d'"):
        evaluate(_facts("c.d", "a.b"))


def test_an_unknown_form_or_reliability_code_is_refused() -> None:
    with pytest.raises(RulesError, match="piracy"):
        evaluate(_facts(forms=frozenset({"piracy"})))
    with pytest.raises(RulesError, match="'E'"):
        evaluate(_facts(source_reliability="E"))


def test_a_result_survives_a_round_trip_through_json() -> None:
    result = evaluate(
        _facts(
            "ilo.debt_bondage",
            "control.debt_bondage",
            "criminal.threats_to_life",
            forms=frozenset({"criminal", "labour"}),
            victim_count=2,
        )
    )
    stored = json.loads(json.dumps(result.as_dict()))
    assert TriageResult.from_dict(stored) == result
    assert stored["model_version"] == current().version


def test_a_malformed_stored_result_is_refused() -> None:
    with pytest.raises(RulesError, match="Not a stored triage result"):
        TriageResult.from_dict({"model_version": "1", "score": 3})


def test_reason_labels_follow_the_active_language() -> None:
    reason = evaluate(_facts("ilo.deception")).reasons[0]
    with translation.override("en"):
        assert reason.label() == "Deception"
    with translation.override("nl"):
        assert reason.label() == "Misleiding"
    assert reason.label("en") == "Deception"


def test_load_version_gives_the_current_model_for_its_version() -> None:
    assert load_version(current().version) is current()


def test_version_1_is_archived_and_scores_as_the_current_model() -> None:
    """Version 2 changed only the discuss band's Dutch texts ("signaaltafel"): a result
    stored under version 1 is explained by the archived file, which scores alike."""
    old = load_version("1")
    assert old.version == "1" and old is not current()
    assert "signalentafel" in old.band_label("discuss", "nl")
    assert current().band_label("discuss", "nl") == "Bespreken aan de signaaltafel"
    facts = _facts(
        "ilo.debt_bondage",
        "ilo.retention_of_identity_documents",
        "ilo.intimidation_and_threats",
        "criminal.threats_to_life",
    )
    old_result, new_result = evaluate(facts, old), evaluate(facts)
    assert (old_result.score, old_result.band) == (new_result.score, new_result.band)
    assert old_result.model_version == "1" and new_result.model_version == "2"


def test_load_version_reads_an_archived_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Made from version 1, whose changelog has one entry.
    text = (HERE / "archive" / "triage-1.yaml").read_text(encoding="utf-8")
    archived = (
        text.replace("version: 1\n", "version: 0\n", 1)
        .replace("  - version: 1\n", "  - version: 0\n", 1)
        .replace("min_score: 20", "min_score: 30")
    )
    (tmp_path / "triage-0.yaml").write_text(archived, encoding="utf-8")
    monkeypatch.setattr(triage, "ARCHIVE", tmp_path)
    load_version.cache_clear()
    try:
        old = load_version("0")
        assert old.version == "0"
        assert old.band("urgent").min_score == 30
        facts = _facts(
            "ilo.debt_bondage",
            "ilo.retention_of_identity_documents",
            "ilo.intimidation_and_threats",
            "ilo.isolation",
        )
        assert evaluate(facts, old).band == "discuss"
        assert evaluate(facts).band == "urgent"
        assert evaluate(facts, old).model_version == "0"
    finally:
        load_version.cache_clear()


def test_load_version_refuses_an_unknown_version() -> None:
    with pytest.raises(RulesError, match="No triage model version 99"):
        load_version("99")


def test_load_version_refuses_a_version_that_is_a_path() -> None:
    with pytest.raises(RulesError, match="Not a triage model version"):
        load_version("../../etc/passwd")


def test_the_archive_folder_explains_itself() -> None:
    assert (HERE / "archive" / "README.md").is_file()


def test_the_same_method_ticked_in_both_lists_is_one_means_of_coercion() -> None:
    result = evaluate(
        _facts("ilo.excessive_overtime", "control.excessive_working_hours", "control.other")
    )
    assert result.score == 5
    assert result.band == "monitor"
