"""Forms of the plan pages: objectives, actions, reviews, the plan's status and requests."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from schakel.cases import rules
from schakel.cases.forms import DATE
from schakel.cases.models import Plan, PlanObjective
from schakel.cases.vocabulary import PlanStatus
from schakel.partners.models import Organisation, User
from schakel.partners.vocabulary import Function, Sector
from schakel.tasks.models import Priority


def _partners() -> Any:
    return Organisation.objects.filter(is_active=True).order_by("name")


class ObjectiveForm(forms.Form):
    domain = forms.ChoiceField(label=_("Domain"), choices=())
    text = forms.CharField(
        label=_("Objective"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the plan aims at in this domain."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["domain"].choices = rules.domains().choices()  # type: ignore[attr-defined]


class ActionForm(forms.Form):
    domain = forms.ChoiceField(label=_("Domain"), choices=())
    objective = forms.ModelChoiceField(
        label=_("Objective"), queryset=PlanObjective.objects.none(), required=False
    )
    description = forms.CharField(
        label=_("Action"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What is to be done. The owner organisation sees it on its task list."),
    )
    owner_organisation = forms.ModelChoiceField(
        label=_("Owner organisation"), queryset=Organisation.objects.none()
    )
    owner_user = forms.ModelChoiceField(
        label=_("Owner (a colleague of yours)"), queryset=User.objects.none(), required=False
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    due_date = forms.DateField(
        label=_("Due date"),
        required=False,
        widget=DATE,
        help_text=_("Leave empty: the due date follows from the priority."),
    )

    def __init__(self, *args: Any, plan: Plan, colleagues: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["domain"].choices = rules.domains().choices()
        fields["objective"].queryset = plan.objectives.all()
        fields["owner_organisation"].queryset = _partners()
        fields["owner_user"].queryset = colleagues


class ReviewForm(forms.Form):
    reviewed_on = forms.DateField(label=_("Reviewed on"), widget=DATE)
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 4}))
    next_review_on = forms.DateField(
        label=_("Next review"),
        required=False,
        widget=DATE,
        help_text=_("Leave empty: the next review follows the agreed interval."),
    )


class PlanStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[c for c in PlanStatus.choices if c[0] != PlanStatus.MERGED]
    )


class ShelterRequestForm(forms.Form):
    recipient = forms.ModelChoiceField(label=_("To"), queryset=Organisation.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        shelters = Q(sector=Sector.SHELTER) | Q(function_set__function=Function.SHELTER_PLACEMENT)
        fields: dict[str, Any] = self.fields
        fields["recipient"].queryset = _partners().filter(shelters).distinct()


class ComenshaRequestForm(forms.Form):
    reporting_organisation = forms.ModelChoiceField(
        label=_("On behalf of (obliged to report)"), queryset=Organisation.objects.none()
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reporting_organisation"].queryset = _partners().filter(  # type: ignore[attr-defined]
            function_set__function=Function.REPORTING_OBLIGATION
        )


class RespondForm(forms.Form):
    answer = forms.ChoiceField(label=_("Answer"), choices=())
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, may_respond: bool, may_withdraw: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = []
        if may_respond:
            choices += [("accept", _("Accept")), ("decline", _("Decline"))]
        if may_withdraw:
            choices.append(("withdraw", _("Withdraw")))
        self.fields["answer"].choices = choices  # type: ignore[attr-defined]
