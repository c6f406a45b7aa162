"""Template helpers for signals: vocabulary labels in the user's language."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from schakel.signals.rules.errors import RulesError
from schakel.signals.rules.vocabulary import current as vocabularies

register = template.Library()


@register.filter
def vocab(code: str, name: str) -> str:
    """``{{ person.role|vocab:"person_roles" }}`` → the label of the code, or the code."""
    if not code:
        return ""
    try:
        return vocabularies().label(name, code, (get_language() or "nl")[:2])
    except RulesError:
        return code


@register.filter
def vocab_list(codes: list[str], name: str) -> str:
    return ", ".join(vocab(code, name) for code in codes)
