"""The vocabularies: lookups, labels in both languages, choices, HTCDS mappings, age bands."""

from __future__ import annotations

import pytest
from django.utils import translation

from schakel.errors import SchakelError
from schakel.signals.rules.errors import RulesError
from schakel.signals.rules.htcds import PICKLISTS
from schakel.signals.rules.vocabulary import REQUIRED, current, load_vocabularies


def test_the_installed_vocabularies_load_with_every_required_vocabulary() -> None:
    vocabularies = load_vocabularies()
    assert set(REQUIRED) <= set(vocabularies.names)
    assert vocabularies.version == "3"


def test_every_term_has_a_dutch_and_an_english_label() -> None:
    vocabularies = current()
    for name in vocabularies.names:
        vocabulary = vocabularies.vocabulary(name)
        assert vocabulary.label.nl.strip() and vocabulary.label.en.strip()
        for term in vocabulary.terms:
            assert term.label.nl.strip(), (name, term.code)
            assert term.label.en.strip(), (name, term.code)
            if term.description is not None:
                assert term.description.nl.strip() and term.description.en.strip()


def test_codes_are_unique_within_each_vocabulary() -> None:
    vocabularies = current()
    for name in vocabularies.names:
        codes = [term.code for term in vocabularies.terms(name)]
        assert len(codes) == len(set(codes)), name


def test_it_lists_the_forms_of_exploitation() -> None:
    assert current().codes("forms_of_exploitation") >= {
        "sexual",
        "labour",
        "criminal",
        "forced_begging",
        "organ_removal",
        "forced_marriage",
        "other",
    }


def test_it_gives_labels_in_the_language_asked_for() -> None:
    vocabularies = current()
    assert vocabularies.label("forms_of_exploitation", "labour", "nl") == "Arbeidsuitbuiting"
    assert vocabularies.label("forms_of_exploitation", "labour", "en") == "Labour exploitation"
    assert vocabularies.label("forms_of_exploitation", "labour", "en-gb") == "Labour exploitation"


def test_choices_follow_the_active_language_and_fall_back_to_dutch() -> None:
    vocabularies = current()
    with translation.override("en"):
        assert ("female", "Female") in vocabularies.choices("gender")
    with translation.override("nl"):
        assert ("female", "Vrouw") in vocabularies.choices("gender")
    with translation.override("de"):
        assert ("female", "Vrouw") in vocabularies.choices("gender")
    assert vocabularies.choices("gender", "en")[0] == ("female", "Female")


def test_an_unknown_code_raises_a_rules_error_naming_it() -> None:
    with pytest.raises(RulesError, match=r"'nonsense'.*'gender'"):
        current().label("gender", "nonsense", "en")


def test_an_unknown_vocabulary_raises_a_rules_error_naming_it() -> None:
    with pytest.raises(RulesError, match="'colours'"):
        current().codes("colours")


def test_the_rules_error_is_a_key_error_and_a_domain_error() -> None:
    with pytest.raises(KeyError) as caught:
        current().codes("colours")
    assert isinstance(caught.value, SchakelError)
    assert caught.value.status_code == 400
    assert not str(caught.value).startswith("'")  # a sentence, not a quoted key


def test_it_maps_forms_to_htcds_types_of_exploitation_where_htcds_has_one() -> None:
    vocabularies = current()
    assert vocabularies.htcds("forms_of_exploitation", "sexual") == "SexualExploitation"
    assert vocabularies.htcds("forms_of_exploitation", "labour") == "ForcedLabour"
    assert vocabularies.htcds("forms_of_exploitation", "criminal") is None
    assert vocabularies.htcds("gender", "unknown") == "NonSpecifiedUnknown"


def test_every_htcds_value_is_in_the_picklist_of_its_field() -> None:
    vocabularies = current()
    for name in vocabularies.names:
        vocabulary = vocabularies.vocabulary(name)
        for term in vocabulary.terms:
            if term.htcds is not None:
                assert vocabulary.htcds_field is not None
                assert term.htcds in PICKLISTS[vocabulary.htcds_field]


def test_it_knows_which_age_bands_are_minors() -> None:
    vocabularies = current()
    assert vocabularies.is_minor_age_band("age_0_11")
    assert vocabularies.is_minor_age_band("age_12_17")
    assert not vocabularies.is_minor_age_band("age_18_24")
    assert not vocabularies.is_minor_age_band("unknown")


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (0, "age_0_11"),
        (11, "age_0_11"),
        (12, "age_12_17"),
        (17, "age_12_17"),
        (18, "age_18_24"),
        (49, "age_35_49"),
        (50, "age_50_plus"),
        (104, "age_50_plus"),
    ],
)
def test_it_finds_the_age_band_of_an_age(age: int, band: str) -> None:
    assert current().age_band_for(age) == band


def test_a_band_is_minor_exactly_when_every_age_in_it_is_below_18() -> None:
    vocabularies = current()
    for age in range(0, 100):
        assert vocabularies.is_minor_age_band(vocabularies.age_band_for(age)) == (age < 18)


def test_reliability_codes_are_the_4x4_codes() -> None:
    vocabularies = current()
    assert vocabularies.codes("reliability_source") == {"A", "B", "C", "X"}
    assert vocabularies.codes("reliability_information") == {"1", "2", "3", "4"}


def test_purposes_are_the_ones_the_access_matrix_uses() -> None:
    import yaml

    from schakel.access.matrix import MATRIX_PATH

    matrix = yaml.safe_load(MATRIX_PATH.read_text(encoding="utf-8"))
    used = {
        purpose
        for entries in matrix["resources"].values()
        for entry in entries
        if isinstance(entry.get("purposes"), list)
        for purpose in entry["purposes"]
    }
    assert used <= current().codes("purposes")
