"""Each rules file is valid against its schema, and a malformed one is refused with a message
that names the file and the place."""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from schakel.signals.rules import indicators, triage_model, vocabulary
from schakel.signals.rules.document import HERE, parse_yaml, read_yaml
from schakel.signals.rules.errors import RulesError, RulesFileError
from schakel.signals.rules.htcds import PICKLISTS

FILES = [
    ("vocabulary.yaml", "vocabulary.schema.json"),
    ("indicators.yaml", "indicators.schema.json"),
    ("triage.yaml", "triage.schema.json"),
    ("retention.yaml", "retention.schema.json"),
]
HTCDS_FIELD_LIST = Path(
    "/work/shared/reference/htcds/HTCDS_Field_Standards_2.0__Field_Standards__CONVERTED.csv"
)


def _document(name: str) -> dict[str, Any]:
    document: dict[str, Any] = read_yaml(HERE / name)
    return copy.deepcopy(document)


def _index(items: list[dict[str, Any]], key: str, value: str) -> int:
    return next(i for i, item in enumerate(items) if item[key] == value)


@pytest.mark.parametrize(("data_file", "schema_file"), FILES)
def test_each_rules_file_is_valid_against_its_schema(data_file: str, schema_file: str) -> None:
    schema = json.loads((HERE / schema_file).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(read_yaml(HERE / data_file), schema)


@pytest.mark.parametrize(("data_file", "schema_file"), FILES)
def test_each_rules_file_has_a_changelog_entry_for_its_version(
    data_file: str, schema_file: str
) -> None:
    document = read_yaml(HERE / data_file)
    assert str(document["version"]) in {str(e["version"]) for e in document["changelog"]}
    assert document["author"]


# --- vocabulary.yaml --------------------------------------------------------------------------


def test_a_term_without_an_english_label_is_refused_naming_the_place() -> None:
    document = _document("vocabulary.yaml")
    terms = document["vocabularies"]["forms_of_exploitation"]["terms"]
    del terms[_index(terms, "code", "labour")]["label"]["en"]
    with pytest.raises(RulesFileError) as caught:
        vocabulary.parse(document)
    message = str(caught.value)
    assert message.startswith("vocabulary.yaml: at vocabularies/forms_of_exploitation/terms/")
    assert "(labour)/label" in message
    assert "'en' is a required property" in message


def test_a_code_given_twice_is_refused() -> None:
    document = _document("vocabulary.yaml")
    terms = document["vocabularies"]["gender"]["terms"]
    terms.append(copy.deepcopy(terms[0]))
    with pytest.raises(
        RulesFileError, match="vocabularies/gender: the code 'female' appears twice"
    ):
        vocabulary.parse(document)


def test_an_htcds_value_outside_the_standard_is_refused() -> None:
    document = _document("vocabulary.yaml")
    document["vocabularies"]["forms_of_exploitation"]["terms"][0]["htcds"] = "Piracy"
    with pytest.raises(RulesFileError, match="'Piracy' is not a value of HTCDS field"):
        vocabulary.parse(document)


def test_a_minor_flag_that_contradicts_the_ages_is_refused() -> None:
    document = _document("vocabulary.yaml")
    terms = document["vocabularies"]["age_bands"]["terms"]
    terms[_index(terms, "code", "age_18_24")]["minor"] = True
    with pytest.raises(RulesFileError, match="age_bands/age_18_24: minor should be false"):
        vocabulary.parse(document)


def test_a_gap_between_age_bands_is_refused() -> None:
    document = _document("vocabulary.yaml")
    terms = document["vocabularies"]["age_bands"]["terms"]
    terms[_index(terms, "code", "age_25_34")]["min_age"] = 26
    with pytest.raises(RulesFileError, match="age_25_34: should start at 25 years"):
        vocabulary.parse(document)


def test_a_missing_required_vocabulary_is_refused() -> None:
    document = _document("vocabulary.yaml")
    del document["vocabularies"]["age_bands"]
    with pytest.raises(RulesFileError, match="at vocabularies: missing age_bands"):
        vocabulary.parse(document)


def test_an_unquoted_changelog_date_is_refused_naming_the_place() -> None:
    text = (HERE / "vocabulary.yaml").read_text(encoding="utf-8")
    document = parse_yaml(text.replace('date: "2026-11-29"', "date: 2026-11-29", 1), source="x")
    with pytest.raises(RulesFileError, match=r"at changelog/0/date: .*not of type 'string'"):
        vocabulary.parse(document)


def test_a_version_without_a_changelog_entry_is_refused() -> None:
    document = _document("vocabulary.yaml")
    document["version"] = 99
    with pytest.raises(RulesFileError, match="at changelog: no entry for version 99"):
        vocabulary.parse(document)


def test_a_key_given_twice_in_a_file_is_refused() -> None:
    with pytest.raises(
        RulesFileError, match=r"(?s)test\.yaml: not valid YAML.*'version' twice.*line 3"
    ):
        parse_yaml("version: 1\nauthor: a\nversion: 2\n", source="test.yaml")


def test_a_file_that_is_not_yaml_is_refused_naming_it(tmp_path: Path) -> None:
    broken = tmp_path / "vocabulary.yaml"
    broken.write_text("version: [1\n", encoding="utf-8")
    with pytest.raises(RulesFileError, match=r"^vocabulary\.yaml: not valid YAML"):
        vocabulary.load_vocabularies(broken)


def test_a_malformed_file_error_is_a_rules_error() -> None:
    assert issubclass(RulesFileError, RulesError)


# --- indicators.yaml --------------------------------------------------------------------------


def test_an_indicator_pointing_to_an_unknown_form_is_refused_naming_it() -> None:
    document = _document("indicators.yaml")
    entries = document["indicators"]
    entries[_index(entries, "id", "ilo.deception")]["forms"].append("piracy")
    with pytest.raises(RulesFileError) as caught:
        indicators.parse(document)
    assert str(caught.value) == (
        "indicators.yaml: at indicators (ilo.deception)/forms: piracy not in vocabulary "
        "forms_of_exploitation"
    )


def test_an_id_given_twice_is_refused() -> None:
    document = _document("indicators.yaml")
    document["indicators"].append(copy.deepcopy(document["indicators"][0]))
    with pytest.raises(RulesFileError, match=r"\(ilo.abuse_of_vulnerability\): this id appears"):
        indicators.parse(document)


def test_a_weight_above_ten_is_refused_naming_the_indicator() -> None:
    document = _document("indicators.yaml")
    entries = document["indicators"]
    index = _index(entries, "id", "sexual.changing_locations")
    entries[index]["weight"] = 11
    with pytest.raises(
        RulesFileError, match=rf"at indicators/{index} \(sexual.changing_locations\)/weight"
    ):
        indicators.parse(document)


def test_an_id_with_another_groups_prefix_is_refused() -> None:
    document = _document("indicators.yaml")
    document["indicators"][0]["group"] = "labour"
    with pytest.raises(RulesFileError, match=r"the id should start with 'labour\.'"):
        indicators.parse(document)


def test_a_missing_htcds_method_of_control_is_refused() -> None:
    document = _document("indicators.yaml")
    entries = document["indicators"]
    del entries[_index(entries, "id", "control.restricts_medical_care")]
    with pytest.raises(RulesFileError, match="missing: RestrictsMedicalCare"):
        indicators.parse(document)


def test_an_unlisted_source_is_refused() -> None:
    document = _document("indicators.yaml")
    document["indicators"][0]["source"] = ["hearsay"]
    with pytest.raises(RulesFileError, match="source: hearsay not listed under sources"):
        indicators.parse(document)


# --- triage.yaml ------------------------------------------------------------------------------


def test_thresholds_that_do_not_ascend_are_refused_naming_the_band() -> None:
    document = _document("triage.yaml")
    document["bands"][2]["min_score"] = 2
    with pytest.raises(RulesFileError, match=r"at bands/2 \(discuss\)/min_score: thresholds"):
        triage_model.parse(document)


def test_a_missing_band_is_refused() -> None:
    document = _document("triage.yaml")
    del document["bands"][1]
    with pytest.raises(RulesFileError, match="expected the bands no_action, monitor"):
        triage_model.parse(document)


def test_a_rule_naming_an_unknown_indicator_is_refused_naming_it() -> None:
    document = _document("triage.yaml")
    document["rules"][0]["when"] = {"any_of": ["ilo.deception", "ilo.telepathy"]}
    with pytest.raises(RulesFileError) as caught:
        triage_model.parse(document)
    assert "at rules/0 (immediate_danger)/when/any_of: unknown indicators ilo.telepathy" in str(
        caught.value
    )


def test_a_floor_naming_an_unknown_band_is_refused() -> None:
    document = _document("triage.yaml")
    document["rules"][0]["floor"] = "panic"
    with pytest.raises(RulesFileError, match=r"rules/0 \(immediate_danger\)/floor: unknown band"):
        triage_model.parse(document)


def test_a_rule_with_both_floor_and_bonus_is_refused() -> None:
    document = _document("triage.yaml")
    document["rules"][0]["bonus"] = 2
    with pytest.raises(RulesFileError, match=r"at rules/0 \(immediate_danger\)"):
        triage_model.parse(document)


def test_an_unknown_reliability_code_in_a_rule_is_refused() -> None:
    document = _document("triage.yaml")
    rules = document["rules"]
    rules[_index(rules, "code", "reliable_report")]["when"]["reliability"] = ["A1", "E5"]
    with pytest.raises(RulesFileError, match="'E5' is not a 4x4 code"):
        triage_model.parse(document)


def test_a_group_without_a_pool_is_refused() -> None:
    document = _document("triage.yaml")
    pools = document["pools"]
    del pools[_index(pools, "code", "organ_removal")]
    with pytest.raises(RulesFileError, match="no pool for the groups organ_removal"):
        triage_model.parse(document)


def test_a_group_in_two_pools_is_refused() -> None:
    document = _document("triage.yaml")
    document["pools"][1]["groups"].append("minors")
    with pytest.raises(
        RulesFileError, match=r"\(minors\)/groups: minors is already in pool sexual"
    ):
        triage_model.parse(document)


def test_a_model_reviewed_against_another_catalogue_version_is_refused() -> None:
    document = _document("triage.yaml")
    document["indicators_version"] = 7
    with pytest.raises(RulesFileError, match=r"at indicators_version: .* version 7"):
        triage_model.parse(document)


# --- against the HTCDS reference, when it is at hand ------------------------------------------


def test_the_htcds_picklists_match_the_standards_field_list() -> None:
    if not HTCDS_FIELD_LIST.is_file():
        pytest.skip("the HTCDS reference folder is not available here")
    with HTCDS_FIELD_LIST.open(encoding="utf-8") as handle:
        rows = {row["Field Name including Prefix"]: row for row in csv.DictReader(handle)}
    for field, values in PICKLISTS.items():
        listed = [v.strip() for v in rows[field]["Value Names (if picklist)"].splitlines()]
        assert tuple(v for v in listed if v) == values, field
