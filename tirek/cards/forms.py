"""Forms for the card pages. They validate; saving goes through services."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tirek.cards.models import EXPORT_FORMATS, CardKind, CardStatus, RevocationReason
from tirek.people.models import OrgUnit, Person


class CardSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Number, name or group")}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("any kind")), *CardKind.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("any status")), *CardStatus.choices]
    )


class IssueForm(forms.Form):
    person = forms.CharField(
        label=_("Person"),
        max_length=254,
        help_text=_("The person's number in Tirek or university e-mail."),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("from the current affiliation")), *CardKind.choices],
    )

    def clean_person(self) -> Person:
        value = self.cleaned_data["person"].strip()
        query = Q(email__iexact=value)
        if value.isdigit():
            query |= Q(pk=int(value))
        person = Person.objects.filter(query).first()
        if person is None:
            raise forms.ValidationError(_("No such person."))
        return person


class BulkIssueForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=_("Unit"), queryset=OrgUnit.objects.filter(is_active=True), required=False
    )
    group = forms.CharField(label=_("Group"), max_length=32, required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("any kind")), *CardKind.choices]
    )

    def clean(self):
        data = super().clean()
        if not data.get("unit") and not data.get("group"):
            raise forms.ValidationError(_("Choose a unit or a group."))
        return data


class ActionForm(forms.Form):
    ACTIONS = ("activate", "suspend", "reinstate", "revoke", "reissue")
    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)
    revocation_reason = forms.ChoiceField(
        label=_("Reason"), required=False, choices=RevocationReason.choices
    )


class PhotoForm(forms.Form):
    photo = forms.FileField(label=_("Photo"), help_text=_("JPEG, PNG or WebP, up to 5 MB."))


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=4096,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"}),
    )


class SheetForm(forms.Form):
    group = forms.CharField(max_length=32, required=False)
    unit = forms.ModelChoiceField(queryset=OrgUnit.objects.all(), required=False)


class ChipForm(forms.Form):
    chip_uid = forms.CharField(
        label=_("Chip UID"),
        max_length=40,
        required=False,
        help_text=_("From the encoder, in hex; empty to clear."),
    )


class IdentifierExportForm(forms.Form):
    format = forms.ChoiceField(
        label=_("Format"),
        choices=EXPORT_FORMATS,
        initial="csv",
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    delta = forms.BooleanField(
        label=_("Only changes since the last export"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
