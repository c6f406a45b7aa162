"""The one error of the rules: a malformed rules file, or a code that is not in it."""

from __future__ import annotations

from schakel.errors import SchakelError


class RulesError(SchakelError, KeyError):
    """A rules file is malformed, or a lookup names a vocabulary, code or indicator that does
    not exist. The message names the file and the place, or the unknown code.

    It is a ``KeyError`` so that lookups behave like a mapping's, and a ``SchakelError`` so
    that an unknown code arriving through the API becomes a 400 with the message, in the one
    place that maps domain errors.
    """

    code = "unknown_rule_code"

    def __str__(self) -> str:
        # KeyError quotes its argument; our messages are sentences, not keys.
        return str(self.message)


class RulesFileError(RulesError):
    """A rules file cannot be loaded: not YAML, not valid against its schema, or inconsistent
    with another rules file. Raised at start-up, never in answer to a request."""

    code = "rules_file"
