"""The one error every normaliser raises: a value that cannot be made into a key.

``NormalisationError`` is an ``InvalidInput`` (so views, the API and the command line
already turn it into a 400 with a translated message) and a ``ValueError`` (so code that
validates with plain Python, such as a form field's ``to_python``, can catch it without
knowing our hierarchy). ``kind`` says which normaliser refused the value ("phone",
"iban", "bsn", ...) so that a caller can point at the right field.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise, lazy

from schakel.errors import InvalidInput


def _interpolate(template: str | Promise, params: Mapping[str, object]) -> str:
    return str(template) % {name: str(value) for name, value in params.items()}


# Interpolating a lazy message with ``%`` would translate it at once, in whatever language
# is active where the error is raised (a background job has none). Deferring the whole
# interpolation keeps the message in the language of whoever finally reads it.
_interpolate_lazy = lazy(_interpolate, str)


class NormalisationError(InvalidInput, ValueError):
    """A value that is not a valid phone number, IBAN, identity number, ...

    ``message`` is an English source string wrapped in ``gettext_lazy``; ``params`` fill
    its ``%(name)s`` placeholders when the message is read, and stay available to API
    clients that want to build their own text.
    """

    def __init__(
        self,
        kind: str,
        message: str | Promise,
        /,
        *,
        field: str | None = None,
        **params: object,
    ) -> None:
        self.kind = kind
        self.params = params
        text: str | Promise = _interpolate_lazy(message, params) if params else message
        super().__init__(text, field=field)

    def as_dict(self) -> dict[str, str]:
        return {**super().as_dict(), "kind": self.kind}
