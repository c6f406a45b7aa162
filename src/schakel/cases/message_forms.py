"""Forms of the secured line: a message (or a reply), a consent and its withdrawal."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from schakel.cases.forms import DATE
from schakel.cases.models import CasePerson, Consent
from schakel.cases.vocabulary import JUSTICE_LINE_SECTORS, MESSAGE_PURPOSES, MessageKind
from schakel.partners.models import Organisation
from schakel.partners.vocabulary import Sector
from schakel.signals.rules import vocabulary

WRITTEN_KINDS = [
    (MessageKind.REQUEST_FOR_INFORMATION.value, MessageKind.REQUEST_FOR_INFORMATION.label),
    (MessageKind.INTENTION_TO_REPORT.value, MessageKind.INTENTION_TO_REPORT.label),
    (MessageKind.INFORMATION_SHARED.value, MessageKind.INFORMATION_SHARED.label),
]


def purposes() -> list[tuple[str, str]]:
    labels = dict(vocabulary.current().choices("purposes"))
    return [(code, labels.get(code, code)) for code in MESSAGE_PURPOSES]


class MessageForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of message"), choices=WRITTEN_KINDS)
    recipients = forms.ModelMultipleChoiceField(
        label=_("To"),
        queryset=Organisation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    subject = forms.CharField(
        label=_("Subject"),
        max_length=200,
        help_text=_("Write no names in the subject: it is shown in lists."),
    )
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}))
    purpose = forms.ChoiceField(label=_("Purpose"), choices=())
    legal_basis = forms.ChoiceField(label=_("Legal basis"), choices=())
    consent = forms.ModelChoiceField(
        label=_("Shared under the consent"),
        queryset=Consent.objects.none(),
        required=False,
        help_text=_("For information shared with the person's consent."),
    )

    def __init__(
        self,
        *args: Any,
        recipients: Any,
        legal_bases: list[tuple[str, str]],
        consents: Any,
        reply: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        if reply:
            del fields["recipients"]
        else:
            fields["recipients"].queryset = recipients
        fields["purpose"].choices = purposes()
        fields["legal_basis"].choices = legal_bases
        if consents is None:
            del fields["consent"]
        else:
            fields["consent"].queryset = consents
            fields["consent"].label_from_instance = lambda consent: (
                f"{consent.reference} — {consent.person.entity.caption}"
            )


class ConsentForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Person"), queryset=CasePerson.objects.none())
    purpose = forms.ChoiceField(label=_("Purpose"), choices=())
    scope = forms.CharField(label=_("What may be shared"), widget=forms.Textarea(attrs={"rows": 3}))
    organisations = forms.ModelMultipleChoiceField(
        label=_("With the organisations"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sectors = forms.MultipleChoiceField(
        label=_("Or with every organisation of the sectors"),
        choices=[(s.value, s.label) for s in Sector if s in JUSTICE_LINE_SECTORS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    given_on = forms.DateField(label=_("Given on"), widget=DATE)
    informed = forms.BooleanField(
        label=_("The person was told the purpose, the use of the data and how to withdraw"),
        required=False,
    )

    def __init__(self, *args: Any, people: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["person"].queryset = people
        fields["person"].label_from_instance = lambda person: person.entity.caption
        fields["purpose"].choices = purposes()
        fields["organisations"].queryset = organisations


class WithdrawConsentForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("How and when the person withdrew it."),
    )
