"""Template helpers of the secured line: whether a viewer is one of its parties (the case page
shows the link to the line only to them)."""

from __future__ import annotations

from typing import Any

from django import template

from schakel.cases import messages
from schakel.cases.models import Case

register = template.Library()


@register.filter
def on_secured_line(case: Case, user: Any) -> bool:
    """``{% if case|on_secured_line:request.user %}``"""
    if not getattr(user, "is_authenticated", False) or user.organisation_id is None:
        return False
    return messages.may_use_line(user, case)
