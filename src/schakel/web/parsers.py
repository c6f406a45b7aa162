"""The API's request parsers.

A module of its own: Django REST framework reads ``DEFAULT_PARSER_CLASSES`` while its views
module is being imported, so the parser must not live in a module that imports those views
(``schakel.web.api`` does: importing it from there failed the start of every gunicorn
worker on a circular import, while the test suite, importing in another order, passed).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """Django REST framework's JSON parser, but a body nested too deeply for Python's parser
    (``[[[[...]]]]`` a few thousand levels: ten kilobytes) is a 400 like any other malformed
    JSON, not a 500 from the recursion limit."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("JSON parse error: nested too deeply.")) from None
