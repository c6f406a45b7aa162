"""Forms of the case pages: opening a case, its status, and decisions about a person."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from schakel.cases.vocabulary import (
    CASE_PURPOSES,
    CaseStatus,
    DecidingOrganisationType,
    TraffickingStatus,
)
from schakel.partners.models import Organisation, Region, SharingGroup, User
from schakel.partners.vocabulary import RegionKind
from schakel.signals.models import Tlp
from schakel.signals.rules import vocabulary

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _purposes() -> list[tuple[str, str]]:
    labels = dict(vocabulary.current().choices("purposes"))
    return [(code, labels.get(code, code)) for code in CASE_PURPOSES]


def _partners() -> Any:
    return Organisation.objects.filter(is_active=True).order_by("name")


class OpenCaseForm(forms.Form):
    signals = forms.CharField(
        label=_("Signals"),
        max_length=2000,
        help_text=_(
            "References of the signals the case is about, separated by spaces or commas. The "
            "people they mention become the people involved."
        ),
    )
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none())
    care_coordinator = forms.ModelChoiceField(
        label=_("Care coordinator"), queryset=User.objects.none(), required=False
    )
    tlp = forms.ChoiceField(
        label=_("Sharing label"),
        choices=[(value, label) for value, label in Tlp.choices if value != Tlp.CLEAR],
        initial=Tlp.AMBER,
    )
    purpose = forms.ChoiceField(label=_("Purpose of sharing"), choices=())
    legal_basis = forms.ChoiceField(label=_("Legal basis"), choices=(), required=False)
    sharing_groups = forms.ModelMultipleChoiceField(
        label=_("Share with"),
        queryset=SharingGroup.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: Any,
        lead: Organisation,
        legal_bases: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["region"].queryset = Region.objects.exclude(kind=RegionKind.COUNTRY).order_by("name")
        fields["care_coordinator"].queryset = (
            User.objects.filter(
                organisation=lead,
                is_active=True,
                role_set__role__in=["care_coordinator", "coordinator"],
            )
            .distinct()
            .order_by("last_name", "first_name")
        )
        fields["purpose"].choices = _purposes()
        fields["legal_basis"].choices = [("", "---------"), *legal_bases]
        fields["sharing_groups"].queryset = SharingGroup.objects.filter(members=lead).order_by(
            "name"
        )

    def clean_signals(self) -> list[str]:
        raw: str = self.cleaned_data["signals"]
        references = [part for part in raw.replace(",", " ").split() if part]
        if not references:
            raise forms.ValidationError(_("Name at least one signal."))
        return list(dict.fromkeys(references))


class CaseStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=CaseStatus.choices)
    referred_to = forms.ModelChoiceField(
        label=_("Referred to (for “closed, referred”)"),
        queryset=Organisation.objects.none(),
        required=False,
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when the case is closed. Write no names: they are in the case."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["referred_to"].queryset = _partners()  # type: ignore[attr-defined]


class TraffickingStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Trafficking status"), choices=TraffickingStatus.choices)
    deciding_organisation = forms.ModelChoiceField(
        label=_("Decided by"), queryset=Organisation.objects.none()
    )
    deciding_organisation_type = forms.ChoiceField(
        label=_("Type of deciding organisation"),
        choices=[("", _("From its sector")), *DecidingOrganisationType.choices],
        required=False,
    )
    decided_on = forms.DateField(label=_("Decided on"), widget=DATE)
    basis = forms.CharField(
        label=_("Basis"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("On what the decision rests, e.g. the indicators found or a report."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["deciding_organisation"].queryset = _partners()  # type: ignore[attr-defined]


class MigrationStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Migration status"), choices=())
    since = forms.DateField(label=_("Since"), required=False, widget=DATE)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = vocabulary.current().choices("migration_status")
        self.fields["status"].choices = choices  # type: ignore[attr-defined]


class ReflectionOfferForm(forms.Form):
    offered_on = forms.DateField(
        label=_("Offered on"),
        widget=DATE,
        help_text=_("The reflection period runs three months from this day."),
    )
    offered_by = forms.ModelChoiceField(label=_("Offered by"), queryset=Organisation.objects.none())
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["offered_by"].queryset = _partners()  # type: ignore[attr-defined]


class HandoverRequestForm(forms.Form):
    to_organisation = forms.ModelChoiceField(
        label=_("Hand over to"), queryset=Organisation.objects.none()
    )
    to_region = forms.ModelChoiceField(
        label=_("Region"),
        queryset=Region.objects.none(),
        required=False,
        help_text=_("Empty: the region of the receiving organisation."),
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        # Only organisations with someone who could accept the case.
        fields["to_organisation"].queryset = (
            _partners()
            .filter(
                users__is_active=True, users__role_set__role__in=["coordinator", "care_coordinator"]
            )
            .distinct()
        )
        fields["to_region"].queryset = Region.objects.filter(kind=RegionKind.REGION).order_by(
            "name"
        )


class HandoverAnswerForm(forms.Form):
    answer = forms.ChoiceField(label=_("Answer"), choices=())
    care_coordinator = forms.ModelChoiceField(
        label=_("Care coordinator (when accepting)"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Empty: you."),
    )
    note = forms.CharField(
        label=_("Note (the reason, when declining)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self,
        *args: Any,
        may_respond: bool,
        may_withdraw: bool,
        coordinators: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        choices = []
        if may_respond:
            choices += [("accept", _("Accept")), ("decline", _("Decline"))]
        else:
            del fields["care_coordinator"]
        if may_withdraw:
            choices.append(("withdraw", _("Withdraw")))
        fields["answer"].choices = choices
        if "care_coordinator" in fields:
            fields["care_coordinator"].queryset = coordinators
