"""Strict JSON input for the API: unknown fields are refused by name, and a value of the
wrong JSON type is an error rather than something coerced (DRF by default turns ``42`` into
``"42"`` for a text field and ``"yes"`` into ``true``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError

#: The largest id a stored row can have: a signed 64-bit integer, the range of Django's
#: ``BigAutoField``. A larger id names nothing, and a database driver may refuse it in a query
#: (SQLite raises OverflowError) rather than find nothing: the API refuses it as input.
MAX_ROW_ID = 2**63 - 1

#: The bound fields of each input serializer class, per value of ``partial``.
_SHARED_FIELDS: dict[tuple[type, bool], Any] = {}


class StrictSerializer(serializers.Serializer[Any]):
    """Refuses fields it does not know, reporting them beside every other problem.

    ``fixed_fields`` names fields the resource has but this request may not set (an update
    of what is fixed after creation); they are refused with their own message.
    """

    fixed_fields: frozenset[str] = frozenset()

    @cached_property
    def fields(self) -> Any:
        # DRF deep-copies every declared field, nested serializers included, for each new
        # serializer: about 80 fields for a signal, a sixth of an intake request's CPU. Input
        # validation keeps no state in its fields, so each class builds them once per process
        # (bound to a fresh instance of its own, never to a request's) and every instance
        # shares them. Fields look at their root only for ``partial`` and ``context``: the
        # shared set is per ``partial``, and a serializer given a context builds its own.
        if self._context:
            return super().fields
        key = (type(self), bool(self.partial))
        shared = _SHARED_FIELDS.get(key)
        if shared is None:
            prototype = type(self)(partial=self.partial)
            shared = _SHARED_FIELDS.setdefault(key, super(StrictSerializer, prototype).fields)
        return shared

    default_error_messages = {
        "unknown_field": _("Unknown field."),
        "fixed_field": _("This field cannot be changed."),
    }

    def to_internal_value(self, data: Any) -> Any:
        unknown: dict[str, list[ErrorDetail]] = {}
        if isinstance(data, Mapping):
            for name in data:
                if name in self.fields and not self.fields[name].read_only:
                    continue
                code = "fixed_field" if name in self.fixed_fields else "unknown_field"
                message = str(self.error_messages[code])
                unknown[str(name)] = [ErrorDetail(message, code=code)]
        try:
            value = super().to_internal_value(data)
        except ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise ValidationError({**exc.detail, **unknown}) from None
            raise
        if unknown:
            raise ValidationError(unknown)
        return value


class StrictCharField(serializers.CharField):
    """Text, and only text."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


class StrictBooleanField(serializers.BooleanField):
    """``true`` or ``false``, not ``"yes"`` or ``1``."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictIntegerField(serializers.IntegerField):
    """A JSON number without a fraction, not ``"7"`` or ``true``."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return int(super().to_internal_value(data))


def text(max_length: int | None = None, **kwargs: Any) -> StrictCharField:
    """An optional text field that may be empty: the usual shape of the intake's fields."""
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_blank", True)
    kwargs.setdefault("default", "")
    if max_length is not None:
        kwargs["max_length"] = max_length
    return StrictCharField(trim_whitespace=False, **kwargs)


def text_list(item_length: int | None = None, **kwargs: Any) -> serializers.ListField:
    """An optional list of texts of at most ``item_length`` characters each."""
    kwargs.setdefault("required", False)
    kwargs.setdefault("default", list)
    child = StrictCharField() if item_length is None else StrictCharField(max_length=item_length)
    return serializers.ListField(child=child, **kwargs)


def items(
    child: serializers.BaseSerializer[Any], max_length: int
) -> serializers.ListSerializer[Any]:
    """An optional list of objects, each read by ``child``."""
    return serializers.ListSerializer(child=child, required=False, max_length=max_length)


def id_list(**kwargs: Any) -> serializers.ListField:
    """An optional list of ids of stored rows: whole numbers from 1 to ``MAX_ROW_ID``."""
    kwargs.setdefault("required", False)
    kwargs.setdefault("default", list)
    child = StrictIntegerField(min_value=1, max_value=MAX_ROW_ID)
    return serializers.ListField(child=child, **kwargs)
