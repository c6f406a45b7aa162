"""One hierarchy of domain errors, mapped to HTTP status codes and translated messages.

Service functions raise these; views, the API and the command line turn them into a
response, a JSON error or an exit message in one place each (``web.api``, ``web.views``,
``cli``). A message names the field and the problem, in the user's language.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class SchakelError(Exception):
    status_code = 400
    code = "error"
    default_message: str | Promise = _("Something went wrong.")

    def __init__(self, message: str | Promise | None = None, *, field: str | None = None) -> None:
        self.message = message if message is not None else self.default_message
        self.field = field
        super().__init__(str(self.message))

    def as_dict(self) -> dict[str, str]:
        data = {"code": self.code, "message": str(self.message)}
        if self.field:
            data["field"] = self.field
        return data

    def as_list(self) -> list[dict[str, str]]:
        """Every problem as ``{"code", "message", "field"?}``, for API responses."""
        return [self.as_dict()]


class InvalidInput(SchakelError):
    status_code = 400
    code = "invalid"
    default_message = _("The input is not valid.")


class InvalidFields(InvalidInput):
    """Several fields are wrong at once; forms and imports show every problem, not the first.

    ``problems`` maps a field path (``persons[0].date_of_birth``) to its messages.
    """

    def __init__(self, problems: dict[str, list[str | Promise]]) -> None:
        self.problems = problems
        first_field = next(iter(problems), None)
        first = problems[first_field][0] if first_field else self.default_message
        super().__init__(first, field=first_field)

    def as_list(self) -> list[dict[str, str]]:
        return [
            {"code": self.code, "field": field, "message": str(message)}
            for field, messages in self.problems.items()
            for message in messages
        ]


class NotFound(SchakelError):
    """Also raised for records the user may not see: existence is never revealed."""

    status_code = 404
    code = "not_found"
    default_message = _("Not found.")


class NotAllowed(SchakelError):
    """The user may see the record but not do this to it."""

    status_code = 403
    code = "not_allowed"
    default_message = _("You are not allowed to do this.")


class Conflict(SchakelError):
    status_code = 409
    code = "conflict"
    default_message = _("This conflicts with the current state; reload and try again.")
