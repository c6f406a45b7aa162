"""A scored pair's explanation: what each comparison contributed.

Stored compactly — a batch run writes millions of pairs, and the labels made four fifths of
each row — as ``[[level, weight], ...]``: per comparison, in the order of the run's *layout*,
the index of the level the pair fell in and its weight in bits. The layout (each comparison's
name and its levels' labels, ``LinkageRun.layout``) is written once per run, so a pair reads
the same after the declarations change. Pairs stored before the compact form hold
``[{"comparison", "label", "weight"}, ...]`` and read as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

#: [[comparison name, [label of each level]], ...]
Layout = list[list[Any]]
Part = dict[str, Any]


def layout_of(kind: str) -> Layout:
    """The layout of the comparisons declared now for ``kind`` (person, company, address)."""
    from schakel.entities.linkage.settings import SETTINGS

    return [
        [comparison.name, list(comparison.labels)]
        for comparison in SETTINGS[kind].comparisons  # type: ignore[index]
    ]


def compact(parts: Iterable[tuple[str, str, float]], layout: Layout) -> list[list[float]]:
    """(comparison, label, weight) per comparison, in the layout's order, as stored."""
    given = {name: (label, weight) for name, label, weight in parts}
    if set(given) != {name for name, _labels in layout}:
        raise ValueError("the comparisons do not fit the run's layout")
    return [[labels.index(given[name][0]), round(given[name][1], 3)] for name, labels in layout]


def expand(explanation: Sequence[Any], layout: Layout | None) -> list[Part]:
    """The stored explanation as ``[{"comparison", "label", "weight"}, ...]``."""
    if not explanation or isinstance(explanation[0], dict):
        return list(explanation)
    if not layout or len(layout) != len(explanation):
        raise ValueError("the explanation does not fit its run's layout")
    return [
        {"comparison": name, "label": labels[int(level)], "weight": float(weight)}
        for (name, labels), (level, weight) in zip(layout, explanation, strict=True)
    ]


def layouts(run_ids: Iterable[int]) -> dict[int, Layout]:
    """The layout of each run, in one query (without the runs' models)."""
    from schakel.entities.models import LinkageRun

    return dict(LinkageRun.objects.filter(pk__in=sorted(set(run_ids))).values_list("pk", "layout"))


def expand_all(suggestions: Sequence[Any]) -> dict[int, list[Part]]:
    """Each suggestion's explanation by its primary key, its run's layout read once."""
    known = layouts(s.run_id for s in suggestions)
    return {s.pk: expand(s.explanation, known.get(s.run_id)) for s in suggestions}
