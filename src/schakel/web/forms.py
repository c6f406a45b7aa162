"""Site-wide form rendering: NL Design System (Utrecht) markup with accessible labels and errors.

``settings.FORM_RENDERER`` points at :class:`SchakelFormRenderer`, so every form a page renders
with ``{{ form }}`` gets:

* each field in a ``utrecht-form-field`` with a ``<label for>`` (or a ``<fieldset>`` and
  ``<legend>`` for a group of radio buttons or checkboxes), a visible "(required)" marker,
  help text and errors linked to the control by ``aria-describedby``, and ``aria-invalid``;
* an error summary with ``role="alert"`` at the top of an invalid form, linking to each field;
* the Utrecht classes on the widgets themselves (``utrecht-textbox``, ``utrecht-select`` …),
  added by :class:`SchakelBoundField`, so ``{{ form.field }}`` in a hand-written layout is
  styled as well.

The templates are ``web/forms/form.html`` and ``web/forms/field.html``.
"""

from __future__ import annotations

from typing import Any

from django.forms import ModelChoiceField, widgets
from django.forms.boundfield import BoundField
from django.forms.renderers import DjangoTemplates
from django.utils.translation import gettext_lazy as _

_TEXTBOX = "utrecht-textbox utrecht-textbox--html-input"
_TEXTAREA = "utrecht-textarea utrecht-textarea--html-textarea"
_SELECT = "utrecht-select utrecht-select--html-select"
_CHECKBOX = "utrecht-checkbox utrecht-checkbox--html-input"
_RADIO = "utrecht-radio-button utrecht-radio-button--html-input"

# Input types that are typed into, and so look like a textbox.
_TEXT_INPUT_TYPES = frozenset(
    {
        "text",
        "email",
        "url",
        "number",
        "password",
        "search",
        "tel",
        "date",
        "datetime-local",
        "time",
        "month",
        "week",
    }
)


def _input_type(widget: widgets.Input) -> str:
    # A DateInput(attrs={"type": "date"}) is still a DateInput with input_type "text".
    return str(widget.attrs.get("type", widget.input_type))


def utrecht_classes(widget: widgets.Widget, *, invalid: bool = False) -> str:
    """The Utrecht component classes for a widget, or "" for widgets we leave alone.

    Order matters: CheckboxSelectMultiple is a subclass of RadioSelect, so it is tested first.
    """
    classes: str
    invalid_class = ""
    if widget.is_hidden:
        return ""
    if isinstance(widget, widgets.CheckboxSelectMultiple | widgets.CheckboxInput):
        classes, invalid_class = _CHECKBOX, "utrecht-checkbox--invalid"
    elif isinstance(widget, widgets.RadioSelect):
        classes, invalid_class = _RADIO, "utrecht-radio-button--invalid"
    elif isinstance(widget, widgets.Select):  # also SelectMultiple and NullBooleanSelect
        classes, invalid_class = _SELECT, "utrecht-select--invalid"
    elif isinstance(widget, widgets.Textarea):
        classes, invalid_class = _TEXTAREA, "utrecht-textarea--invalid"
    elif isinstance(widget, widgets.Input) and _input_type(widget) in _TEXT_INPUT_TYPES:
        classes, invalid_class = _TEXTBOX, "utrecht-textbox--invalid"
        if _input_type(widget) == "number":
            classes += " utrecht-textbox--numeric"
        elif _input_type(widget) == "password":
            classes += " utrecht-textbox--password"
    elif isinstance(widget, widgets.MultiWidget) and all(
        isinstance(sub, widgets.Input) and _input_type(sub) in _TEXT_INPUT_TYPES
        for sub in widget.widgets
    ):
        # SplitDateTimeWidget and the like: the same classes reach each part.
        classes, invalid_class = _TEXTBOX, "utrecht-textbox--invalid"
    else:
        return ""  # file inputs, colour pickers, SelectDateWidget: browser defaults
    return f"{classes} {invalid_class}" if invalid else classes


def _merge_classes(*groups: object) -> str:
    seen: dict[str, None] = {}
    for group in groups:
        if isinstance(group, str):
            for name in group.split():
                seen.setdefault(name, None)
    return " ".join(seen)


class SchakelBoundField(BoundField):
    """A BoundField that adds the Utrecht classes to its widget's attributes.

    Classes already on the widget (``widget.attrs``) or passed to ``as_widget(attrs=…)`` are
    kept: widget attrs would otherwise be overwritten, because attrs built here win over them.
    """

    def __init__(self, form: Any, field: Any, name: str) -> None:
        super().__init__(form, field, name)
        # A list's empty choice says what to do, in the reader's language, instead of
        # Django's "---------" (each form has its own copy of its fields).
        if isinstance(field, ModelChoiceField) and field.empty_label == "---------":
            field.empty_label = _("Choose…")

    def build_widget_attrs(
        self, attrs: dict[str, Any], widget: widgets.Widget | None = None
    ) -> dict[str, Any]:
        built: dict[str, Any] = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        extra = utrecht_classes(widget, invalid=bool(self.errors))
        if extra:
            built["class"] = _merge_classes(widget.attrs.get("class"), built.get("class"), extra)
        return built


class SchakelFormRenderer(DjangoTemplates):
    """The site's form renderer (``FORM_RENDERER``): Utrecht form fields for every form."""

    form_template_name = "web/forms/form.html"
    field_template_name = "web/forms/field.html"
    bound_field_class = SchakelBoundField
