"""The compact form of a pair's explanation and its run's layout."""

from __future__ import annotations

import pytest

from schakel.entities.explanations import compact, expand, layout_of


def test_a_compact_explanation_reads_back_through_the_layout() -> None:
    layout = layout_of("person")
    names = [name for name, _labels in layout]
    assert names[:3] == ["given_name", "family_name", "date_of_birth"]
    parts = [(name, labels[-1], 1.0 + index / 3) for index, (name, labels) in enumerate(layout)]
    stored = compact(reversed(parts), layout)  # any order in, the layout's order out
    assert [level for level, _weight in stored] == [len(labels) - 1 for _n, labels in layout]
    assert expand(stored, layout) == [
        {"comparison": name, "label": label, "weight": round(weight, 3)}
        for name, label, weight in parts
    ]


def test_an_explanation_stored_before_the_compact_form_reads_as_it_was() -> None:
    old = [{"comparison": "family_name", "label": "exact", "weight": 4.2}]
    assert expand(old, None) == old
    assert expand([], None) == []


def test_an_explanation_that_does_not_fit_its_layout_is_refused() -> None:
    layout = layout_of("person")
    with pytest.raises(ValueError, match="layout"):
        expand([[1, 2.0]], layout)
    with pytest.raises(ValueError, match="layout"):
        compact([("given_name", "exact", 1.0)], layout)
    with pytest.raises(ValueError):
        compact([(name, "no such level", 1.0) for name, _labels in layout], layout)
