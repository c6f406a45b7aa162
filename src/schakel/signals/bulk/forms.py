"""The upload form: the file and the sharing defaults for rows that leave them empty."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from schakel.errors import InvalidInput
from schakel.partners.models import Organisation, SharingGroup
from schakel.signals.bulk.reading import check_size
from schakel.signals.bulk.rows import ImportDefaults
from schakel.signals.forms import RowsChoiceField
from schakel.signals.models import Tlp
from schakel.signals.rules.vocabulary import current as vocabularies
from schakel.signals.sharing import defaults_for

ACCEPTED_SUFFIXES = (".csv", ".txt", ".xlsx")


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV or Excel (.xlsx) in the layout of the import template, at most 50 MB."),
    )
    tlp = forms.ChoiceField(
        label=_("Sharing label"),
        choices=Tlp.choices,
        initial=Tlp.AMBER,
        help_text=_("For rows whose tlp column is empty."),
    )
    purpose = forms.ChoiceField(
        label=_("Purpose of sharing"),
        help_text=_("For rows whose purpose column is empty."),
    )
    sharing_groups = RowsChoiceField(
        label=_("Share with"),
        queryset=SharingGroup.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For rows whose sharing_groups column is empty."),
    )
    dry_run = forms.BooleanField(
        label=_("Only check the file; save nothing"),
        required=False,
    )

    def __init__(self, *args: Any, owner: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups = SharingGroup.objects.filter(members=owner).order_by("name").distinct()
        field = self.fields["sharing_groups"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = groups
        purpose = self.fields["purpose"]
        assert isinstance(purpose, forms.ChoiceField)
        purpose.choices = vocabularies().choices("purposes")
        defaults = defaults_for(owner)
        self.initial.setdefault("tlp", defaults.tlp)
        self.initial.setdefault("purpose", defaults.purpose)
        self.initial.setdefault("sharing_groups", defaults.groups)

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if PurePath(upload.name or "").suffix.lower() not in ACCEPTED_SUFFIXES:
            raise forms.ValidationError(_("Upload a CSV file (.csv) or an Excel workbook (.xlsx)."))
        try:
            check_size(upload.size or 0)
        except InvalidInput as exc:
            raise forms.ValidationError(str(exc.message)) from None
        return upload

    def clean_tlp(self) -> str:
        tlp: str = self.cleaned_data["tlp"]
        if tlp == Tlp.RED:
            raise forms.ValidationError(
                _(
                    "TLP:RED goes only to named recipients, and an import cannot name them: "
                    "choose another label for the rows that leave theirs empty."
                )
            )
        return tlp

    def defaults(self) -> ImportDefaults:
        return ImportDefaults(
            tlp=self.cleaned_data["tlp"],
            purpose=self.cleaned_data["purpose"],
            sharing_group_ids=tuple(g.pk for g in self.cleaned_data["sharing_groups"]),
        )
