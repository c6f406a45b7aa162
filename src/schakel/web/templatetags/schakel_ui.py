"""Template helpers for the page shell and hand-written form layouts: ``{% load schakel_ui %}``."""

from __future__ import annotations

from typing import Any

from django import template
from django.forms.boundfield import BoundField
from django.http import QueryDict
from django.utils.safestring import SafeString

from schakel.web.forms import utrecht_classes

register = template.Library()


@register.filter
def add_class(field: BoundField, css_class: str) -> SafeString:
    """Render a form field's widget with extra CSS classes, keeping the Utrecht ones.

    ``{{ form.query|add_class:"schakel-search" }}``. Fields of forms that use our renderer
    already carry the Utrecht classes; for other forms this adds them too.
    """
    classes = " ".join(
        dict.fromkeys(
            [
                *field.field.widget.attrs.get("class", "").split(),
                *utrecht_classes(field.field.widget, invalid=bool(field.errors)).split(),
                *css_class.split(),
            ]
        )
    )
    return field.as_widget(attrs={"class": classes})


@register.filter
def is_within(path: str, section_url: str) -> bool:
    """Whether ``path`` is the page at ``section_url`` or below it.

    For ``aria-current`` on navigation links: ``{% if request.path|is_within:tasks_url %}``.
    The site root only matches itself, or every page would be "within" it.
    """
    if not section_url:
        return False
    if section_url == "/":
        return path == "/"
    return path == section_url or path.startswith(section_url.rstrip("/") + "/")


@register.simple_tag(takes_context=True)
def page_query(context: dict[str, Any], number: int) -> str:
    """The current query string with ``page`` set to ``number`` (filters and search kept)."""
    request = context.get("request")
    query = request.GET.copy() if request is not None else QueryDict(mutable=True)
    query["page"] = str(number)
    return query.urlencode()
