"""Template helpers of the signal table: ``{% load signaltable_ui %}``."""

from __future__ import annotations

from typing import Any

from django import template

from schakel.access import policy

register = template.Library()


@register.filter
def sits_at_a_table(user: Any) -> bool:
    """Whether ``user``'s organisation is a member of any sharing group, for the navigation.
    Reads the viewer the policy resolves once per request; no query of its own after that."""
    return bool(policy.viewer_for(user).group_ids)


@register.filter
def for_decision(references: dict[int, list[str]], decision: Any) -> list[str]:
    """``{{ references|for_decision:decision }}``: the signal references of one decision."""
    return references.get(decision.pk, [])
