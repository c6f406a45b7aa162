"""Web forms of the intake channels. They only collect input; ``intake.validate_signal`` is the
one place that judges it, and its problems are put back on the right form fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from schakel.errors import InvalidFields
from schakel.normalise import IDENTITY_KINDS
from schakel.partners.models import Organisation, Region, SharingGroup
from schakel.partners.vocabulary import RegionKind
from schakel.signals.intake import (
    AddressInput,
    CompanyInput,
    PaymentInput,
    PersonInput,
    RelationInput,
    SignalInput,
    row_ids,
)
from schakel.signals.models import RelationKind, Tlp
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


# The stubs make the field generic; Django's class takes no subscript at runtime.
class RowsChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """A choice of stored rows (sharing groups, organisations) that refuses a value no row can
    have as an invalid choice before asking the database. Django's own field passes any
    number to its query, and SQLite fails on one over 64 bits (OverflowError, a 500)."""

    def clean(self, value: Any) -> Any:
        if self.to_field_name is None and isinstance(value, list | tuple):
            for pk in self.prepare_value(value):
                if not row_ids([pk]):
                    raise forms.ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": pk},
                    )
        return super().clean(value)


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
    sharing_groups = RowsChoiceField(
        label=_("Share with"),
        required=False,
        queryset=SharingGroup.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    recipients = RowsChoiceField(
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
    # Blank is the Netherlands, as in the API and the bulk template: a partner abroad, or a
    # recruiter's office in a country of origin, has an address elsewhere.
    country = forms.CharField(
        label=_("Country (code)"),
        required=False,
        max_length=2,
        help_text=_("Two letters, e.g. RO or PL; empty is the Netherlands."),
    )
    is_place_of_observation = forms.BooleanField(
        label=_("This is where it was seen"), required=False
    )


#: A person, company or address form counts as filled in when any of its fields is: what was
#: typed is then kept or refused by ``validate_signal`` (a person without a role, a company
#: without a name, an address without a street, postcode or city), never dropped.
PERSON_FIELDS = tuple(PersonForm.base_fields)
COMPANY_FIELDS = tuple(CompanyForm.base_fields)
ADDRESS_FIELDS = tuple(AddressForm.base_fields)


def is_filled(cleaned_data: dict[str, Any], fields: tuple[str, ...]) -> bool:
    return any(cleaned_data.get(name) for name in fields)


class Parties:
    """The persons and companies on the full form, as relations and payments choose them:
    ``person-1`` is the form "Person 2", labelled with the name typed there when there is
    one. Read from the submitted data, so a relation can name a person added in the same
    round."""

    def __init__(self, data: Any = None, *, persons: int = 1, companies: int = 1) -> None:
        self.persons: list[tuple[str, str]] = []
        self.companies: list[tuple[str, str]] = []
        self.filled: set[str] = set()

        def value(key: str) -> str:
            return str(data.get(key) or "").strip() if data is not None else ""

        for index in range(persons):
            name = " ".join(
                v for k in ("given_names", "family_name") if (v := value(f"persons-{index}-{k}"))
            ) or value(f"persons-{index}-alias")
            label = _("Person %(n)d") % {"n": index + 1}
            self.persons.append((f"person-{index}", f"{label}: {name}" if name else str(label)))
            if any(value(f"persons-{index}-{k}") for k in PERSON_FIELDS):
                self.filled.add(f"person-{index}")
        for index in range(companies):
            name = value(f"companies-{index}-name")
            label = _("Company %(n)d") % {"n": index + 1}
            self.companies.append((f"company-{index}", f"{label}: {name}" if name else str(label)))
            if any(value(f"companies-{index}-{k}") for k in COMPANY_FIELDS):
                self.filled.add(f"company-{index}")


class _TieForm(forms.Form):
    """A relation or payment row: its choices are the form's persons and companies."""

    def __init__(self, *args: Any, parties: Parties, **kwargs: Any) -> None:
        self.parties = parties
        super().__init__(*args, **kwargs)

    def _check_filled(self, *names: str) -> None:
        for name in names:
            chosen = self.cleaned_data.get(name)
            if chosen and chosen not in self.parties.filled:
                self.add_error(name, _("This one is empty on the form: fill it in first."))


class RelationForm(_TieForm):
    person = forms.ChoiceField(label=_("Person"), required=False)
    kind = forms.ChoiceField(
        label=_("Relation"), required=False, choices=[("", "—"), *RelationKind.choices]
    )
    other = forms.ChoiceField(
        label=_("With"),
        required=False,
        help_text=_(
            "Another person for family or associate; a company for director, owner or works for."
        ),
    )
    relationship = LazyChoiceField(
        "family_relationships",
        label=_("Family relationship"),
        required=False,
        help_text=_("Family only: what the second is to the first."),
    )

    def __init__(self, *args: Any, parties: Parties, **kwargs: Any) -> None:
        super().__init__(*args, parties=parties, **kwargs)
        blank = [("", "—")]
        self.fields["person"].choices = blank + parties.persons  # type: ignore[attr-defined]
        self.fields["other"].choices = [  # type: ignore[attr-defined]
            *blank,
            (_("People"), parties.persons),
            (_("Companies"), parties.companies),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._check_filled("person", "other")
        return data

    def as_input(self, persons: dict[str, int], companies: dict[str, int]) -> RelationInput | None:
        data = self.cleaned_data
        if not any(data.get(k) for k in ("person", "kind", "other", "relationship")):
            return None
        other = data.get("other") or ""
        return RelationInput(
            kind=data.get("kind") or "",
            person=persons.get(data.get("person") or ""),
            other_person=persons.get(other),
            company=companies.get(other),
            relationship=data.get("relationship") or "",
        )


class PaymentForm(_TieForm):
    payer = forms.ChoiceField(label=_("From"), required=False)
    payer_iban = forms.CharField(
        label=_("Or from bank account (IBAN)"), required=False, max_length=64
    )
    beneficiary = forms.ChoiceField(label=_("To"), required=False)
    beneficiary_iban = forms.CharField(
        label=_("Or to bank account (IBAN)"), required=False, max_length=64
    )
    amount = forms.CharField(
        label=_("Amount"),
        required=False,
        max_length=32,
        help_text=_("In digits, e.g. 1500 or 1500,50."),
    )
    currency = forms.CharField(label=_("Currency"), required=False, max_length=3, initial="EUR")
    paid_on = forms.DateField(
        label=_("Date of payment"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    purpose = forms.CharField(label=_("What it was for"), required=False, max_length=300)

    def __init__(self, *args: Any, parties: Parties, **kwargs: Any) -> None:
        super().__init__(*args, parties=parties, **kwargs)
        choices = [("", "—"), (_("People"), parties.persons), (_("Companies"), parties.companies)]
        self.fields["payer"].choices = choices  # type: ignore[attr-defined]
        self.fields["beneficiary"].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._check_filled("payer", "beneficiary")
        return data

    def as_input(self, persons: dict[str, int], companies: dict[str, int]) -> PaymentInput | None:
        data = self.cleaned_data
        keys = ("payer", "payer_iban", "beneficiary", "beneficiary_iban", "amount", "paid_on")
        if not any(data.get(k) for k in (*keys, "purpose")):
            return None
        payer, beneficiary = data.get("payer") or "", data.get("beneficiary") or ""
        return PaymentInput(
            payer_person=persons.get(payer),
            payer_company=companies.get(payer),
            payer_iban=data.get("payer_iban") or "",
            beneficiary_person=persons.get(beneficiary),
            beneficiary_company=companies.get(beneficiary),
            beneficiary_iban=data.get("beneficiary_iban") or "",
            amount=data.get("amount") or "",
            currency=data.get("currency") or "EUR",
            paid_on=data.get("paid_on"),
            purpose=data.get("purpose") or "",
        )


PersonFormSet = formset_factory(PersonForm, extra=1, max_num=50)
CompanyFormSet = formset_factory(CompanyForm, extra=1, max_num=50)
AddressFormSet = formset_factory(AddressForm, extra=1, max_num=50)
RelationFormSet = formset_factory(RelationForm, extra=1, max_num=50)
PaymentFormSet = formset_factory(PaymentForm, extra=1, max_num=50)
#: The parts of the full form a person can add a row to ("Add a person"), by prefix.
ADDABLE = ("persons", "companies", "addresses", "relations", "payments")


def with_one_more_row(data: Any, prefix: str) -> Any:
    """The submitted data with one more (empty) form in the formset ``prefix``: how the full
    form adds a person, company, relation or payment without JavaScript."""
    if prefix not in ADDABLE:
        return data
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    try:
        total = int(data.get(key) or 0)
    except ValueError:
        total = 0
    data[key] = str(min(total + 1, 50))
    return data


def parties_of(data: Any) -> Parties:
    """The persons and companies of a submitted full form (one of each when new)."""

    def count(prefix: str) -> int:
        try:
            return max(1, min(int(data.get(f"{prefix}-TOTAL_FORMS") or 1), 50))
        except (TypeError, ValueError):
            return 1

    if data is None:
        return Parties()
    return Parties(data, persons=count("persons"), companies=count("companies"))


def tie_formsets(data: Any, parties: Parties) -> tuple[Any, Any]:
    """The relation and payment formsets of the full form. A submission without them (an
    older page, a script) states no relations or payments."""
    relations = RelationFormSet(
        data if data is not None and "relations-TOTAL_FORMS" in data else None,
        prefix="relations",
        form_kwargs={"parties": parties},
    )
    payments = PaymentFormSet(
        data if data is not None and "payments-TOTAL_FORMS" in data else None,
        prefix="payments",
        form_kwargs={"parties": parties},
    )
    return relations, payments


def _person(data: dict[str, Any]) -> PersonInput | None:
    if not is_filled(data, PERSON_FIELDS):
        return None
    # A kind of document without its number is passed on too: the validator asks for the
    # number instead of the kind being dropped.
    identity = (
        [(data.get("identity_kind") or "other", data.get("identity_number") or "")]
        if data.get("identity_number") or data.get("identity_kind")
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


@dataclass
class FormRows:
    """Which form of each formset produced which item of the SignalInput (empty forms are
    left out), to put problems back on the right form."""

    persons: list[int] = field(default_factory=list)
    companies: list[int] = field(default_factory=list)
    addresses: list[int] = field(default_factory=list)
    relations: list[int] = field(default_factory=list)
    payments: list[int] = field(default_factory=list)


def full_form_input(
    form: SignalForm,
    persons: Any,
    companies: Any,
    addresses: Any,
    relations: Any = None,
    payments: Any = None,
) -> tuple[SignalInput, FormRows]:
    """The SignalInput from a valid full form and its formsets, and which form produced
    which person, company, relation and payment."""
    data = form.cleaned_data
    rows = FormRows()
    person_inputs: list[PersonInput] = []
    for index, person_form in enumerate(persons.forms):
        person = _person(person_form.cleaned_data)
        if person is not None:
            person_inputs.append(person)
            rows.persons.append(index)
    company_inputs: list[CompanyInput] = []
    for index, company_form in enumerate(companies.forms):
        company = company_form.cleaned_data
        if is_filled(company, COMPANY_FIELDS):
            rows.companies.append(index)
            company_inputs.append(
                CompanyInput(
                    name=company.get("name") or "",
                    registration_number=company.get("registration_number") or "",
                    role=company.get("role") or "",
                )
            )
    address_inputs: list[AddressInput] = []
    for index, address_form in enumerate(addresses.forms):
        address = address_form.cleaned_data
        if is_filled(address, ADDRESS_FIELDS):
            rows.addresses.append(index)
            address_inputs.append(
                AddressInput(
                    street=address.get("street") or "",
                    house_number=address.get("house_number") or "",
                    postcode=address.get("postcode") or "",
                    city=address.get("city") or "",
                    country=address.get("country") or "NL",
                    is_place_of_observation=bool(address.get("is_place_of_observation")),
                )
            )
    person_at = {f"person-{f}": i for i, f in enumerate(rows.persons)}
    company_at = {f"company-{f}": i for i, f in enumerate(rows.companies)}
    relation_inputs: list[RelationInput] = []
    for index, relation_form in enumerate(relations.forms if relations is not None else []):
        relation = relation_form.as_input(person_at, company_at)
        if relation is not None:
            relation_inputs.append(relation)
            rows.relations.append(index)
    payment_inputs: list[PaymentInput] = []
    for index, payment_form in enumerate(payments.forms if payments is not None else []):
        payment = payment_form.as_input(person_at, company_at)
        if payment is not None:
            payment_inputs.append(payment)
            rows.payments.append(index)
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
        companies=company_inputs,
        addresses=address_inputs,
        phones=_lines(data["phones"]),
        emails=_lines(data["emails"]),
        ibans=_lines(data["ibans"]),
        plates=_lines(data["plates"]),
        websites=[w.strip() for w in data["websites"].splitlines() if w.strip()],
        relations=relation_inputs,
        payments=payment_inputs,
    )
    return signal, rows


#: The full form's names for SignalInput's fields where they differ.
FORM_NAMES = {"sharing_group_ids": "sharing_groups", "recipient_ids": "recipients"}

#: Where a problem of a relation's or payment's field is shown on its form.
TIE_FIELDS = {
    "person": "person",
    "other_person": "other",
    "company": "other",
    "payer_person": "payer",
    "payer_company": "payer",
    "beneficiary_person": "beneficiary",
    "beneficiary_company": "beneficiary",
}


def put_problems_on_forms(
    exc: InvalidFields,
    form: forms.Form,
    persons: Any = None,
    rows: FormRows | None = None,
    companies: Any = None,
    addresses: Any = None,
    aliases: dict[str, str] | None = None,
    relations: Any = None,
    payments: Any = None,
) -> None:
    """Show each problem of ``validate_signal`` beside the field it names. ``aliases`` maps a
    path prefix to a field of ``form`` (the short form has no person formset)."""
    rows = rows or FormRows()
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
        field: str | None = FORM_NAMES.get(base, base)
        if base == "persons" and persons is not None and index is not None:
            target = persons.forms[rows.persons[index]]
            field = rest.split("[")[0] or None
            if field in {"identity_numbers"}:
                field = "identity_number"
            elif field in {"phones", "emails"}:
                field = field[:-1]
        elif base == "companies" and companies is not None and index is not None:
            if index < len(rows.companies):
                target, field = companies.forms[rows.companies[index]], rest or None
        elif base in ("relations", "payments") and index is not None:
            formset, made = (
                (relations, rows.relations) if base == "relations" else (payments, rows.payments)
            )
            if formset is not None and index < len(made):
                target, field = formset.forms[made[index]], TIE_FIELDS.get(rest, rest) or None
        elif (
            base == "addresses"
            and addresses is not None
            and index is not None
            and index < len(rows.addresses)
        ):
            # By the form the address came from: empty forms before it are left out.
            target, field = addresses.forms[rows.addresses[index]], rest or None
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
        field_classes = {"sharing_groups": RowsChoiceField}
        widgets = {"sharing_groups": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, owner: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sharing_groups"].queryset = SharingGroup.objects.filter(  # type: ignore[attr-defined]
            members=owner
        ).order_by("name")

    def clean_tlp(self) -> str:
        # TLP:RED goes only to organisations named as recipients, and they differ per signal:
        # as a default it would make every short-form report and every import fail.
        tlp: str = self.cleaned_data["tlp"]
        if tlp == Tlp.RED:
            raise forms.ValidationError(
                _(
                    "TLP:RED cannot be a default: it goes only to organisations named as "
                    "recipients, and those differ per signal. Choose TLP:RED on the full "
                    "form for the signals that need it."
                ),
                code="red_default",
            )
        return tlp
