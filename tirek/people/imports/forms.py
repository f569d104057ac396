"""Forms of the import pages: upload, apply, and the source with its column mapping."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tirek.people.imports.mapping import TARGETS
from tirek.people.imports.models import ImportSource
from tirek.people.imports.readers import MAX_BYTES

ACCEPT = (
    ".csv,.txt,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)


def _check_size(upload) -> None:
    if upload is not None and upload.size > MAX_BYTES:
        raise forms.ValidationError(
            _("The file is larger than %(limit)s MB.") % {"limit": MAX_BYTES // (1024 * 1024)}
        )


class UploadForm(forms.Form):
    source = forms.ModelChoiceField(
        label=_("Source"), queryset=ImportSource.objects.filter(is_active=True)
    )
    file = forms.FileField(
        label=_("File (CSV or XLSX)"), widget=forms.ClearableFileInput(attrs={"accept": ACCEPT})
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        _check_size(upload)
        return upload


class ApplyForm(forms.Form):
    exclude_errors = forms.BooleanField(
        label=_("Leave out the rows with errors and import the rest"), required=False
    )
    confirm_leavers = forms.BooleanField(
        label=_("I checked the file: these people really leave"), required=False
    )


class ImportSourceForm(forms.ModelForm):
    sample = forms.FileField(
        label=_("Sample file for the preview"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
        help_text=_("Optional: its header and first rows are shown to help the mapping."),
    )

    class Meta:
        model = ImportSource
        fields = [
            "code",
            "name",
            "origin",
            "affiliation_kind",
            "file_format",
            "encoding",
            "delimiter",
            "key_field",
            "mode",
            "leaver_threshold",
            "inbox_enabled",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        mapping = self.instance.mapping or {}
        for target in TARGETS:
            self.fields[f"map_{target.name}"] = forms.CharField(
                label=target.label,
                required=False,
                max_length=200,
                initial=mapping.get(target.name, ""),
            )
        if self.instance.pk:
            self.fields["code"].disabled = True

    @property
    def mapping_fields(self):
        return [self[f"map_{t.name}"] for t in TARGETS]

    @property
    def settings_fields(self):
        return [self[name] for name in self.Meta.fields]

    def clean_sample(self):
        upload = self.cleaned_data.get("sample")
        _check_size(upload)
        return upload

    def clean(self):
        cleaned = super().clean()
        mapping = {
            t.name: cleaned.get(f"map_{t.name}", "").strip()
            for t in TARGETS
            if cleaned.get(f"map_{t.name}", "").strip()
        }
        cleaned["mapping"] = mapping
        self.instance.mapping = mapping  # the model's clean() checks it once more
        return cleaned
