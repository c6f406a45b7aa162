from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from schakel.partners.models import User
from schakel.tasks.models import Priority, Status


class TaskFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("open", _("Open and in progress")), *Status.choices, ("", _("All"))],
    )
    due = forms.ChoiceField(
        label=_("Due"),
        required=False,
        choices=[
            ("", _("Any time")),
            ("overdue", _("Overdue")),
            ("today", _("Today")),
            ("week", _("Within a week")),
            ("none", _("No due date")),
        ],
    )
    reference = forms.CharField(
        label=_("Case"),
        required=False,
        max_length=32,
        help_text=_("A case reference, e.g. Z-00012."),
    )
    mine = forms.BooleanField(label=_("Only my tasks"), required=False)


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    due_date = forms.DateField(
        label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    owner_user = forms.ModelChoiceField(
        label=_("Owner"),
        required=False,
        queryset=User.objects.none(),
        empty_label=_("The organisation (nobody in particular)"),
    )

    def __init__(self, *args: Any, colleagues: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if colleagues is not None:
            self.fields["owner_user"].queryset = colleagues  # type: ignore[attr-defined]


class TaskActionForm(forms.Form):
    note = forms.CharField(
        label=_("Result or reason"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
