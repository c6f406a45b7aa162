"""The indicator catalogue: consistent with the vocabulary, the ILO list and HTCDS."""

from __future__ import annotations

import pytest

from schakel.signals.rules.errors import RulesError
from schakel.signals.rules.htcds import METHODS_OF_CONTROL, PICKLISTS
from schakel.signals.rules.indicators import HTCDS_GROUP, catalogue, load_catalogue
from schakel.signals.rules.vocabulary import current as vocabularies

GROUPS = {
    "ilo_forced_labour",
    "htcds_method_of_control",
    "sexual",
    "labour",
    "criminal",
    "forced_begging",
    "organ_removal",
    "minors",
}


def test_the_installed_catalogue_loads() -> None:
    loaded = load_catalogue()
    assert loaded.version == "1"
    assert 50 <= len(loaded.all()) <= 80
    assert set(loaded.groups) == GROUPS


def test_ids_are_unique_and_carry_their_groups_prefix() -> None:
    loaded = catalogue()
    ids = [indicator.id for indicator in loaded.all()]
    assert len(ids) == len(set(ids)) == len(loaded.ids)
    for indicator in loaded.all():
        assert indicator.id.startswith(loaded.groups[indicator.group].prefix + ".")


def test_every_indicators_forms_exist_in_the_vocabulary() -> None:
    forms = vocabularies().codes("forms_of_exploitation")
    for indicator in catalogue().all():
        assert set(indicator.forms) <= forms, indicator.id


def test_every_indicator_has_label_and_explanation_in_both_languages() -> None:
    for indicator in catalogue().all():
        for text in (indicator.label, indicator.explanation):
            assert text.nl.strip() and text.en.strip(), indicator.id


def test_it_holds_the_eleven_ilo_indicators_of_forced_labour() -> None:
    ilo = catalogue().by_group()["ilo_forced_labour"]
    assert {i.id for i in ilo} == {
        "ilo.abuse_of_vulnerability",
        "ilo.deception",
        "ilo.restriction_of_movement",
        "ilo.isolation",
        "ilo.physical_and_sexual_violence",
        "ilo.intimidation_and_threats",
        "ilo.retention_of_identity_documents",
        "ilo.withholding_of_wages",
        "ilo.debt_bondage",
        "ilo.abusive_working_and_living_conditions",
        "ilo.excessive_overtime",
    }


def test_it_holds_one_indicator_per_htcds_method_of_control() -> None:
    methods = [i.htcds for i in catalogue().by_group()[HTCDS_GROUP]]
    assert sorted(m for m in methods if m) == sorted(PICKLISTS[METHODS_OF_CONTROL])


def test_indicators_that_mean_the_same_htcds_method_weigh_the_same() -> None:
    weights: dict[str, set[float]] = {}
    for indicator in catalogue().all():
        if indicator.htcds:
            weights.setdefault(indicator.htcds, set()).add(indicator.weight)
    assert {method: w for method, w in weights.items() if len(w) > 1} == {}


def test_every_group_has_an_indicator_and_every_form_too() -> None:
    loaded = catalogue()
    assert all(loaded.by_group().values())
    for form in ("sexual", "labour", "criminal", "forced_begging", "organ_removal"):
        assert loaded.for_form(form), form


def test_immediate_danger_marks_violence_locking_up_and_minors_offered_for_sex() -> None:
    loaded = catalogue()
    for indicator_id in (
        "ilo.physical_and_sexual_violence",
        "ilo.restriction_of_movement",
        "control.physical_abuse",
        "control.sexual_abuse",
        "minor.sexual_exploitation",
        "criminal.threats_to_life",
    ):
        assert loaded.get(indicator_id).immediate_danger, indicator_id
    assert not loaded.get("labour.no_contract_or_payslip").immediate_danger


def test_for_form_gives_the_indicators_that_point_to_it() -> None:
    organ = catalogue().for_form("organ_removal")
    assert "organ.travelled_for_procedure" in {i.id for i in organ}
    assert all("organ_removal" in i.forms for i in organ)


def test_for_form_refuses_an_unknown_form() -> None:
    with pytest.raises(RulesError, match="'piracy'"):
        catalogue().for_form("piracy")


def test_an_unknown_id_raises_a_rules_error_naming_it() -> None:
    with pytest.raises(RulesError, match=r"'ilo\.telepathy'"):
        catalogue().get("ilo.telepathy")


def test_every_source_an_indicator_cites_is_listed() -> None:
    loaded = catalogue()
    for indicator in loaded.all():
        assert set(indicator.sources) <= set(loaded.sources)
