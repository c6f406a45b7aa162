"""The plan's reviewed rules files: valid against their schemas, with a changelog entry for
their version; domains mapped to HTCDS v2.0 spl_Type and to the matrix's field categories."""

from __future__ import annotations

from copy import deepcopy
from pathlib import Path
from typing import Any

import pytest

from schakel.access.matrix import current as current_matrix
from schakel.cases import rules
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


def test_every_domain_maps_to_an_htcds_support_plan_type() -> None:
    assert {d.htcds for d in rules.domains().domains.values()} <= SPL_TYPES


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
