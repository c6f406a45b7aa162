"""Codes kept in a case's records, named for the reader: ``{% load case_words %}``."""

from __future__ import annotations

from django import template

from schakel.cases.vocabulary import TraffickingStatus

register = template.Library()


@register.filter
def trafficking_status_label(code: str) -> str:
    """``possible_victim`` → "Mogelijk slachtoffer" (the label in the page's language)."""
    try:
        return str(TraffickingStatus(code).label)
    except ValueError:
        return code
