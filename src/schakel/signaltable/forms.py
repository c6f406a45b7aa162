"""Forms of the signal-table pages: a meeting, its progress, a decision and its actions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from schakel.partners.models import Organisation
from schakel.signals.intake import row_ids
from schakel.signaltable.models import Meeting, Outcome
from schakel.signaltable.services import ActionInput


class PartnerChoiceField(forms.ChoiceField):
    """A choice among the organisations at a table. The agenda shows a form per bundle: the
    organisations are read once per page and handed to each form, not queried per field."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisations: dict[str, Organisation] = {}

    def set_partners(self, partners: Sequence[Organisation]) -> None:
        self.organisations = {str(o.pk): o for o in partners}
        self.choices = [("", "---------"), *((str(o.pk), o.name) for o in partners)]

    def clean(self, value: Any) -> Organisation | None:
        chosen = super().clean(value)
        return self.organisations.get(chosen) if chosen else None


class MeetingForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=_("Date and time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    location = forms.CharField(
        label=_("Location"),
        required=False,
        max_length=200,
        help_text=_("A room, an address or a video-call; optional."),
    )


class MeetingProgressForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Meeting.Status.choices)
    location = forms.CharField(label=_("Location"), required=False, max_length=200)
    present_organisations = forms.ModelMultipleChoiceField(
        label=_("Present organisations"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, members: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["present_organisations"].queryset = members  # type: ignore[attr-defined]


class DecisionForm(forms.Form):
    signals = forms.CharField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    refer_to = PartnerChoiceField(
        label=_("Refer to (for the outcome “refer to a partner”)"), required=False
    )
    rationale = forms.CharField(
        label=_("Rationale"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Why the table decides this. Write no names or other personal details: they are in "
            "the signals, where the access rules protect them."
        ),
    )

    def __init__(self, *args: Any, partners: Sequence[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["refer_to"].set_partners(partners)  # type: ignore[attr-defined]

    def clean_signals(self) -> list[int]:
        raw: str = self.cleaned_data["signals"]
        parts = [part.strip() for part in raw.split(",") if part.strip()]
        # Only what can be a signal's id goes on to the query (SQLite fails on an integer over
        # 64 bits, and int() takes non-ASCII digits).
        ids = row_ids(parts)
        if len(ids) != len(parts):
            raise forms.ValidationError(_("Unknown signals."))
        if not ids:
            raise forms.ValidationError(_("Choose the signals the decision is about."))
        return ids

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("outcome") == Outcome.REFER and not data.get("refer_to"):
            self.add_error("refer_to", _("Name the partner the bundle goes to."))
        return data


class CorrectionForm(DecisionForm):
    reason = forms.CharField(
        label=_("Why the earlier decision is corrected"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The signals are those of the decision being corrected.
        del self.fields["signals"]


class ActionForm(forms.Form):
    organisation = PartnerChoiceField(label=_("Organisation"), required=False)
    title = forms.CharField(label=_("Action"), max_length=300, required=False)
    due_date = forms.DateField(
        label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, partners: Sequence[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].set_partners(partners)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("organisation") and not data.get("title"):
            self.add_error("title", _("Say what the organisation will do."))
        if data.get("title") and not data.get("organisation"):
            self.add_error("organisation", _("Choose the organisation that will do it."))
        return data

    def as_input(self) -> ActionInput | None:
        data = self.cleaned_data
        if not data.get("organisation"):
            return None
        return ActionInput(data["organisation"], data["title"], data.get("due_date"))


ActionFormSet = forms.formset_factory(ActionForm, extra=2, max_num=20)


def action_formset(
    data: Any = None, *, partners: Sequence[Organisation], auto_id: str = "id_%s"
) -> forms.BaseFormSet[ActionForm]:
    return ActionFormSet(
        data, prefix="actions", auto_id=auto_id, form_kwargs={"partners": partners}
    )


def actions_from(formset: forms.BaseFormSet[ActionForm]) -> list[ActionInput]:
    return [a for a in (form.as_input() for form in formset.forms) if a is not None]
