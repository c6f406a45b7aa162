"""The plan's reviewed rules files: valid against their schemas, with a changelog entry for
their version; domains mapped to HTCDS v2.0 spl_Type and to the matrix's field categories."""

from __future__ import annotations

import csv
from copy import deepcopy
from pathlib import Path
from typing import Any

import pytest

from schakel.access.matrix import current as current_matrix
from schakel.cases import rules
from schakel.cases.vocabulary import (
    HTCDS_CASE_STATUS,
    HTCDS_TRAFFICKING_STATUS,
    CaseStatus,
    DecidingOrganisationType,
    TraffickingStatus,
    deciding_type_for,
)
from schakel.partners.vocabulary import Sector
from schakel.signals.rules.document import read_yaml
from schakel.signals.rules.errors import RulesFileError
from schakel.tasks.models import Priority

HTCDS_FIELDS = Path(
    "/work/shared/reference/htcds/HTCDS_Field_Standards_2.0__Field_Standards__CONVERTED.csv"
)


def _document(path: Path) -> Any:
    return deepcopy(read_yaml(path))


def test_the_installed_files_load() -> None:
    assert rules.load_domains().version and rules.load_deadlines().version


def test_the_eight_domains_of_the_one_plan() -> None:
    assert list(rules.domains().domains) == [
        "shelter",
        "safety",
        "health",
        "legal_aid",
        "residence",
        "income",
        "education_work",
        "return",
    ]


#: HTCDS v2.0 ``spl_Type`` (the field list's value names; shared/reference/htcds).
SPL_TYPES = {
    "Education",
    "Financial",
    "Health",
    "LabourExploitationRehabilitation",
    "Legal",
    "Livelihood",
    "RightsBasedTraining",
    "SexualExploitationRehabilitation",
    "SocialCare",
}


#: The other HTCDS v2.0 picklists the cases context maps to, copied like ``SPL_TYPES`` so that
#: the mappings are checked where the reference folder is not at hand (a clean clone in CI).
HTCDS_PICKLISTS: dict[str, set[str]] = {
    "cas_Status": {"Active", "FollowUp", "Closed", "ClosedReferred"},
    "vic_TraffickingStatus": {
        "PossibleVictimOfTrafficking",
        "ActualVictimOfTrafficking",
        "NotAVictimOfTrafficking",
    },
    "vic_TraffickingStatusDecisionMakingOrg": {
        "Police",
        "NGO",
        "CourtOrProsecution",
        "NonPoliceGovernmentalOrganization",
        "Other",
    },
    "spl_Type": SPL_TYPES,
}


def test_every_domain_maps_to_an_htcds_support_plan_type() -> None:
    assert {d.htcds for d in rules.domains().domains.values()} <= SPL_TYPES


def test_every_case_status_maps_to_an_htcds_case_status() -> None:
    assert set(HTCDS_CASE_STATUS) == set(CaseStatus)
    assert set(HTCDS_CASE_STATUS.values()) <= HTCDS_PICKLISTS["cas_Status"]
    assert len(set(HTCDS_CASE_STATUS.values())) == len(HTCDS_CASE_STATUS)  # none lost


def test_every_trafficking_status_maps_to_an_htcds_trafficking_status() -> None:
    assert set(HTCDS_TRAFFICKING_STATUS) == set(TraffickingStatus)
    assert set(HTCDS_TRAFFICKING_STATUS.values()) <= HTCDS_PICKLISTS["vic_TraffickingStatus"]
    assert len(set(HTCDS_TRAFFICKING_STATUS.values())) == len(HTCDS_TRAFFICKING_STATUS)


def test_every_deciding_organisation_type_is_an_htcds_value_and_every_sector_has_one() -> None:
    picklist = HTCDS_PICKLISTS["vic_TraffickingStatusDecisionMakingOrg"]
    assert set(DecidingOrganisationType.values) <= picklist
    assert {deciding_type_for(sector) for sector in Sector} <= picklist
    assert deciding_type_for(Sector.POLICE) == "Police"
    assert deciding_type_for(Sector.PUBLIC_PROSECUTION) == "CourtOrProsecution"
    assert deciding_type_for(Sector.OTHER) == "Other"


def test_the_copied_picklists_match_the_htcds_field_list() -> None:
    if not HTCDS_FIELDS.is_file():
        pytest.skip("the HTCDS reference folder is not available here")
    with HTCDS_FIELDS.open(encoding="utf-8") as handle:
        rows = {row["Field Name including Prefix"]: row for row in csv.DictReader(handle)}
    for field, values in HTCDS_PICKLISTS.items():
        listed = {v.strip() for v in rows[field]["Value Names (if picklist)"].splitlines()}
        assert listed - {""} == values, field


def test_every_domains_category_is_a_category_of_the_access_matrix() -> None:
    categories = set(current_matrix().categories)
    assert {d.category for d in rules.domains().domains.values()} <= categories
    assert rules.domains().category("safety") == "justice"
    assert rules.domains().category("health") == "care"
    assert any(r.resource == "cases.plan" for r in current_matrix().rules)


def test_due_days_cover_every_task_priority() -> None:
    assert set(rules.deadlines().due_days) == set(Priority.values)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["domains"][0].update(htcds="Shelter"), "domains/0 (shelter)/htcds"),
        (lambda d: d["domains"][1].update(code="shelter"), "given twice"),
        (lambda d: d["domains"][0].update(category="secret"), "category"),
        (lambda d: d["domains"][0]["label"].pop("en"), "'en' is a required property"),
        (lambda d: d.update(version=99), "no entry for version 99"),
    ],
)
def test_a_malformed_domains_file_is_refused_naming_the_place(change: Any, message: str) -> None:
    document = _document(rules.DOMAINS_PATH)
    change(document)
    with pytest.raises(RulesFileError) as exc:
        rules.load_domains(document=document)
    assert message in str(exc.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["due_days"].pop("urgent"), "urgent"),
        (lambda d: d["escalation"][1].update(after_days=1), "escalation/1"),
        (lambda d: d["escalation"][1].update(notify="everyone"), "notify"),
        (lambda d: d.update(review_days=0), "review_days"),
    ],
)
def test_a_malformed_deadlines_file_is_refused_naming_the_place(change: Any, message: str) -> None:
    document = _document(rules.DEADLINES_PATH)
    change(document)
    with pytest.raises(RulesFileError) as exc:
        rules.load_deadlines(document=document)
    assert message in str(exc.value)
