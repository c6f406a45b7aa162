"""System check: the matrix must fit the registered resources and vocabularies."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register

from schakel.access import policy
from schakel.access.matrix import Matrix, MatrixError, current


def problems(matrix: Matrix) -> list[str]:
    found: list[str] = []
    registered = policy.resources()
    vocabulary = policy.vocabulary()
    for resource_name in sorted(registered):
        if not matrix.rules_for(resource_name):
            found.append(f"{resource_name}: registered but has no rules (nobody could see it)")
    for rule in matrix.rules:
        where = f"resources/{rule.resource}"
        resource = registered.get(rule.resource)
        if resource is None:
            found.append(f"{where}: no such resource is registered")
            continue
        if rule.relation not in resource.relations:
            found.append(
                f"{where}: unknown relation {rule.relation!r}; "
                f"known: {', '.join(sorted(resource.relations))}"
            )
        if rule.labels is not None and resource.label_field is None:
            found.append(f"{where}: rule selects labels but the resource carries none")
        if rule.purposes is not None and resource.purpose_field is None:
            found.append(f"{where}: rule selects purposes but the resource carries none")
        for kind, selected in (("sectors", rule.sectors), ("roles", rule.roles)):
            known = vocabulary.get(kind)
            if selected is not None and known is not None and not selected <= known:
                found.append(f"{where}: unknown {kind} {sorted(selected - known)}")
    known_sectors = vocabulary.get("sectors")
    if known_sectors is not None:
        for sector in matrix.sector_legal_bases:
            if sector not in known_sectors:
                found.append(f"sector_legal_bases: unknown sector {sector!r}")
    return found


@register(Tags.security)
def check_access_matrix(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    try:
        matrix = current()
    except MatrixError as exc:
        return [Error(str(exc), id="schakel.access.E001")]
    return [Error(f"access matrix: {p}", id="schakel.access.E002") for p in problems(matrix)]
