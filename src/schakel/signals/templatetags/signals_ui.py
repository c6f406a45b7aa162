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


@register.filter
def country_name(code: str) -> str:
    """``{{ person.nationality|country_name }}`` → "Polen" on a Dutch page, "Poland" on an
    English one (the CLDR names that FollowTheMoney's own dependency, Babel, carries); the
    code itself when it names no country."""
    from babel import Locale, UnknownLocaleError

    if not code:
        return ""
    try:
        names = Locale.parse(get_language() or "nl", sep="-").territories
    except (UnknownLocaleError, ValueError):
        return code.upper()
    return str(names.get(code.upper(), code.upper()))


@register.filter
def iso_date(value: str) -> str:
    """A date kept as ISO text (in a request's or an event's content) in the page's format;
    the text itself when it is not a date."""
    from django.utils import formats
    from django.utils.dateparse import parse_date

    try:
        day = parse_date(value) if value else None
    except ValueError:
        day = None
    return formats.date_format(day, "DATE_FORMAT") if day is not None else value
