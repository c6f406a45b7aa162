"""Web forms of the intake channels. They only collect input; ``intake.validate_signal`` is the
one place that judges it, and its problems are put back on the right form fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from schakel.errors import InvalidFields
from schakel.normalise import IDENTITY_KINDS
from schakel.partners.models import Organisation, Region, SharingGroup
from schakel.partners.vocabulary import RegionKind
from schakel.signals.intake import AddressInput, CompanyInput, PersonInput, SignalInput
from schakel.signals.models import Tlp
from schakel.signals.rules.indicators import catalogue
from schakel.signals.rules.vocabulary import current as vocabularies

IDENTITY_LABELS = {
    "bsn": _("BSN (citizen service number)"),
    "passport": _("Passport"),
    "id_card": _("Identity card"),
    "residence_permit": _("Residence permit"),
    "kvk": _("KvK number"),
    "vat": _("VAT number"),
    "other": _("Other document"),
}


def _vocabulary_choices(name: str, *, blank: bool = True) -> list[tuple[str, str]]:
    choices = vocabularies().choices(name)
    return [("", "—"), *choices] if blank else choices


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


class LazyChoiceField(forms.ChoiceField):
    """Choices read from the reviewed vocabulary when the form is built, in the user's
    language."""

    def __init__(self, vocabulary: str, *args: Any, blank: bool = True, **kwargs: Any) -> None:
        super().__init__(
            *args, choices=lambda: _vocabulary_choices(vocabulary, blank=blank), **kwargs
        )


#: The few signs a front-desk worker is asked about, in plain language; the full form offers
#: the whole catalogue.
SHORT_FORM_INDICATORS = frozenset(
    {
        "ilo.physical_and_sexual_violence",
        "ilo.intimidation_and_threats",
        "ilo.retention_of_identity_documents",
        "ilo.restriction_of_movement",
        "ilo.debt_bondage",
        "ilo.withholding_of_wages",
        "ilo.abusive_working_and_living_conditions",
        "labour.lives_at_workplace",
        "sexual.no_control_over_money",
        "begging.organised_with_handler",
        "criminal.forced_to_commit_crimes",
        "minor.older_boyfriend",
        "minor.sexual_exploitation",
    }
)


def indicator_choices(short: bool = False) -> list[tuple[str, list[tuple[str, str]]]]:
    """Indicators grouped for a form (``<optgroup>``-style), labels in the user's language."""
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    the_catalogue = catalogue()
    for group, indicators in the_catalogue.by_group().items():
        items = [
            (i.id, i.label.get())
            for i in indicators
            if not i.deprecated and (not short or i.id in SHORT_FORM_INDICATORS)
        ]
        if items:
            groups.append((the_catalogue.groups[group].label.get(), items))
    return groups


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class SignalForm(forms.Form):
    """The main fields of the full form for professionals."""

    description = forms.CharField(
        label=_("What was seen"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Facts: what, where, when, who. No assumptions."),
    )
    observed_on = forms.DateField(
        label=_("Observed on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    municipality = forms.ModelChoiceField(
        label=_("Municipality"),
        required=False,
        to_field_name="code",
        queryset=Region.objects.filter(kind=RegionKind.MUNICIPALITY).order_by("name"),
    )
    forms_of_exploitation = forms.MultipleChoiceField(
        label=_("Forms of exploitation"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=lambda: _vocabulary_choices("forms_of_exploitation", blank=False),
    )
    indicator_ids = forms.MultipleChoiceField(
        label=_("Indicators"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=lambda: indicator_choices(),
    )
    tags = forms.MultipleChoiceField(
        label=_("Related programmes"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=lambda: _vocabulary_choices("tags", blank=False),
    )
    phones = forms.CharField(
        label=_("Phone numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line, as you have them."),
    )
    emails = forms.CharField(
        label=_("E-mail addresses"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    ibans = forms.CharField(
        label=_("Bank accounts (IBAN)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    plates = forms.CharField(
        label=_("Vehicle plates"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    websites = forms.CharField(
        label=_("Websites or advertisements"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    attachments = MultipleFileField(
        label=_("Screenshots or documents"),
        required=False,
        widget=MultipleFileInput(
            attrs={"accept": "image/png,image/jpeg,image/gif,image/webp,application/pdf"}
        ),
        help_text=_(
            "Images or PDFs, at most 10 MB each, for example a screenshot of an advertisement."
        ),
    )
    identity_withheld = forms.BooleanField(
        label=_("We do not name the person"),
        required=False,
        help_text=_(
            "For example when the person does not want to be named. The signal is "
            "still assessed on what it holds."
        ),
    )
    reporter_withheld = forms.BooleanField(
        label=_("Do not show my name outside my organisation"), required=False
    )

    tlp = forms.ChoiceField(
        label=_("Sharing label"),
        choices=Tlp.choices,
        initial=Tlp.AMBER,
        help_text=_(
            "TLP:CLEAR only without personal data; TLP:RED only to the organisations you name."
        ),
    )
    purpose = LazyChoiceField("purposes", label=_("Purpose of sharing"), blank=False)
    legal_basis = forms.ChoiceField(label=_("Legal basis"), required=False)
    sharing_groups = forms.ModelMultipleChoiceField(
        label=_("Share with"),
        required=False,
        queryset=SharingGroup.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    recipients = forms.ModelMultipleChoiceField(
        label=_("Named recipients (TLP:RED)"),
        required=False,
        queryset=Organisation.objects.filter(is_active=True).order_by("name"),
    )
    source_reliability = LazyChoiceField(
        "reliability_source", label=_("Source reliability"), required=False
    )
    information_reliability = LazyChoiceField(
        "reliability_information", label=_("Information reliability"), required=False
    )

    def __init__(
        self, *args: Any, owner: Organisation, legal_bases: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        groups = SharingGroup.objects.filter(members=owner).order_by("name")
        self.fields["sharing_groups"].queryset = groups  # type: ignore[attr-defined]
        self.fields["legal_basis"].choices = [("", "—"), *legal_bases]  # type: ignore[attr-defined]


class ShortSignalForm(forms.Form):
    """The short form for front-desk staff: plain language, few fields, works on a phone."""

    description = forms.CharField(
        label=_("What did you see or hear?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Write down what happened, in your own words. Only facts."),
    )
    indicator_ids = forms.MultipleChoiceField(
        label=_("Did you notice any of these?"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=lambda: indicator_choices(short=True),
    )
    observed_on = forms.DateField(
        label=_("When?"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    place = forms.CharField(label=_("Where? (address or place)"), required=False, max_length=200)
    age_band = LazyChoiceField("age_bands", label=_("About how old is the person?"), required=False)
    gender = LazyChoiceField("gender", label=_("Gender"), required=False)
    languages = forms.CharField(
        label=_("Language(s) the person speaks"), required=False, max_length=200
    )
    phone = forms.CharField(
        label=_("A phone number you were given (if any)"), required=False, max_length=40
    )


class PersonForm(forms.Form):
    role = LazyChoiceField("person_roles", label=_("Role"), required=False)
    given_names = forms.CharField(label=_("Given names"), required=False, max_length=200)
    family_name = forms.CharField(label=_("Family name"), required=False, max_length=200)
    alias = forms.CharField(label=_("Alias or nickname"), required=False, max_length=200)
    date_of_birth = forms.DateField(
        label=_("Date of birth"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    age_band = LazyChoiceField("age_bands", label=_("Age"), required=False)
    gender = LazyChoiceField("gender", label=_("Gender"), required=False)
    nationality = forms.CharField(
        label=_("Nationality (country code)"), required=False, max_length=2
    )
    migration_status = LazyChoiceField(
        "migration_status", label=_("Migration status"), required=False
    )
    languages = forms.CharField(label=_("Languages"), required=False, max_length=200)
    identity_kind = forms.ChoiceField(
        label=_("Identity document"),
        required=False,
        choices=[("", "—"), *[(k, IDENTITY_LABELS.get(k, k)) for k in IDENTITY_KINDS]],
    )
    identity_number = forms.CharField(label=_("Document number"), required=False, max_length=40)
    phone = forms.CharField(label=_("Phone number"), required=False, max_length=40)
    email = forms.CharField(label=_("E-mail address"), required=False, max_length=200)


class CompanyForm(forms.Form):
    name = forms.CharField(label=_("Company name"), required=False, max_length=300)
    registration_number = forms.CharField(label=_("KvK number"), required=False, max_length=16)
    role = LazyChoiceField("person_roles", label=_("Role"), required=False)


class AddressForm(forms.Form):
    street = forms.CharField(label=_("Street"), required=False, max_length=200)
    house_number = forms.CharField(label=_("House number"), required=False, max_length=16)
    postcode = forms.CharField(label=_("Postcode"), required=False, max_length=16)
    city = forms.CharField(label=_("Place"), required=False, max_length=120)
    is_place_of_observation = forms.BooleanField(
        label=_("This is where it was seen"), required=False
    )


PersonFormSet = formset_factory(PersonForm, extra=1, max_num=50)
CompanyFormSet = formset_factory(CompanyForm, extra=1, max_num=50)
AddressFormSet = formset_factory(AddressForm, extra=1, max_num=50)


def _person(data: dict[str, Any]) -> PersonInput | None:
    if not any(
        data.get(k)
        for k in (
            "role",
            "given_names",
            "family_name",
            "alias",
            "date_of_birth",
            "age_band",
            "phone",
            "email",
            "identity_number",
        )
    ):
        return None
    identity = (
        [(data["identity_kind"] or "other", data["identity_number"])]
        if data.get("identity_number")
        else []
    )
    return PersonInput(
        role=data.get("role") or "",
        given_names=data.get("given_names") or "",
        family_name=data.get("family_name") or "",
        alias=data.get("alias") or "",
        date_of_birth=data.get("date_of_birth"),
        age_band=data.get("age_band") or "",
        gender=data.get("gender") or "",
        nationality=(data.get("nationality") or "").upper(),
        migration_status=data.get("migration_status") or "",
        languages=_lines(data.get("languages") or ""),
        identity_numbers=identity,
        phones=[data["phone"]] if data.get("phone") else [],
        emails=[data["email"]] if data.get("email") else [],
    )


def full_form_input(
    form: SignalForm, persons: Any, companies: Any, addresses: Any
) -> tuple[SignalInput, list[int]]:
    """The SignalInput from a valid full form and its formsets, and the index of each person
    form that produced a person (to put problems back on the right form)."""
    data = form.cleaned_data
    person_inputs: list[PersonInput] = []
    person_forms: list[int] = []
    for index, person_form in enumerate(persons.forms):
        person = _person(person_form.cleaned_data)
        if person is not None:
            person_inputs.append(person)
            person_forms.append(index)
    signal = SignalInput(
        description=data["description"],
        observed_on=data["observed_on"],
        municipality=data["municipality"].code if data["municipality"] else "",
        forms_of_exploitation=list(data["forms_of_exploitation"]),
        indicator_ids=list(data["indicator_ids"]),
        tags=list(data["tags"]),
        tlp=data["tlp"],
        purpose=data["purpose"],
        legal_basis=data["legal_basis"],
        sharing_group_ids=[g.pk for g in data["sharing_groups"]],
        recipient_ids=[o.pk for o in data["recipients"]],
        source_reliability=data["source_reliability"],
        information_reliability=data["information_reliability"],
        identity_withheld=data["identity_withheld"],
        reporter_withheld=data["reporter_withheld"],
        persons=person_inputs,
        companies=[
            CompanyInput(
                name=c.cleaned_data["name"],
                registration_number=c.cleaned_data["registration_number"],
                role=c.cleaned_data["role"],
            )
            for c in companies.forms
            if c.cleaned_data.get("name")
        ],
        addresses=[
            AddressInput(
                street=a.cleaned_data["street"],
                house_number=a.cleaned_data["house_number"],
                postcode=a.cleaned_data["postcode"],
                city=a.cleaned_data["city"],
                is_place_of_observation=a.cleaned_data["is_place_of_observation"],
            )
            for a in addresses.forms
            if any(a.cleaned_data.get(k) for k in ("street", "postcode", "city"))
        ],
        phones=_lines(data["phones"]),
        emails=_lines(data["emails"]),
        ibans=_lines(data["ibans"]),
        plates=_lines(data["plates"]),
        websites=[w.strip() for w in data["websites"].splitlines() if w.strip()],
    )
    return signal, person_forms


def put_problems_on_forms(
    exc: InvalidFields,
    form: forms.Form,
    persons: Any = None,
    person_forms: list[int] | None = None,
    companies: Any = None,
    addresses: Any = None,
    aliases: dict[str, str] | None = None,
) -> None:
    """Show each problem of ``validate_signal`` beside the field it names. ``aliases`` maps a
    path prefix to a field of ``form`` (the short form has no person formset)."""
    for path, messages in exc.problems.items():
        alias = next(
            (name for prefix, name in (aliases or {}).items() if path.startswith(prefix)), None
        )
        if alias is not None:
            for message in messages:
                form.add_error(alias, str(message))
            continue
        head, _, rest = path.partition(".")
        base = head.split("[")[0]
        index = int(head.split("[")[1].rstrip("]")) if "[" in head else None
        target: forms.Form = form
        field: str | None = base
        if base == "persons" and persons is not None and index is not None:
            target = persons.forms[(person_forms or [])[index]]
            field = rest.split("[")[0] or None
            if field in {"identity_numbers"}:
                field = "identity_number"
            elif field in {"phones", "emails"}:
                field = field[:-1]
        elif base == "companies" and companies is not None and index is not None:
            target, field = companies.forms[index], rest or None
        elif base == "addresses" and addresses is not None and index is not None:
            target, field = addresses.forms[index], rest or None
        if field not in target.fields:
            field = None
        for message in messages:
            target.add_error(field, str(message))


class SharingDefaultsForm(forms.ModelForm):  # type: ignore[type-arg]
    purpose = LazyChoiceField("purposes", label=_("Purpose of sharing"), blank=False)

    class Meta:
        from schakel.signals.models import SharingDefaults

        model = SharingDefaults
        fields = ["tlp", "purpose", "sharing_groups"]
        widgets = {"sharing_groups": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, owner: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sharing_groups"].queryset = SharingGroup.objects.filter(  # type: ignore[attr-defined]
            members=owner
        ).order_by("name")
