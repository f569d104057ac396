from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from tirek.access.models import ApprovalStep, DeliveryChannel, System, SystemRole
from tirek.people.models import OrgUnit, Person


class AccessRequestForm(forms.Form):
    person = forms.ModelChoiceField(label=_("For whom"), queryset=Person.objects.none())
    role = forms.ModelChoiceField(
        label=_("Role"),
        queryset=SystemRole.objects.filter(requestable=True, system__is_active=True).select_related(
            "system"
        ),
    )
    reason = forms.CharField(label=_("Why is it needed?"), widget=forms.Textarea(attrs={"rows": 3}))
    valid_until = forms.DateField(
        label=_("Needed until (for temporary access)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people if people is not None else Person.objects.none()


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))], widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SystemForm(forms.ModelForm):
    login_url = forms.URLField(
        label=_("Sign-in address"),
        required=False,
        assume_scheme="https",
        help_text=_("Printed on password slips and in mails."),
    )
    connector_settings = forms.CharField(
        label=_("Connector settings (JSON, no secrets)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "class": "font-monospace"}),
    )
    approval_chain = forms.MultipleChoiceField(
        label=_("Approval chain"),
        choices=ApprovalStep.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = System
        fields = [
            "name_kk", "name_ru", "name_en", "description_kk", "description_ru",
            "description_en", "owner", "connector_kind", "login_pattern", "login_url",
            "max_concurrency", "max_per_minute", "deletion_grace_days", "is_active",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left empty, the grace period stays what it was (90 days for a new system).
        self.fields["deletion_grace_days"].required = False
        if self.instance.pk:
            self.initial["connector_settings"] = json.dumps(
                self.instance.connector_settings, indent=2, ensure_ascii=False
            )
            self.initial["approval_chain"] = self.instance.approval_chain

    def clean_deletion_grace_days(self):
        value = self.cleaned_data.get("deletion_grace_days")
        return self.instance.deletion_grace_days if value is None else value

    def clean_connector_settings(self):
        text = self.cleaned_data["connector_settings"].strip() or "{}"
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": exc}) from exc
        if not isinstance(value, dict):
            raise forms.ValidationError(_("The settings must be a JSON object."))
        return value

    def clean_approval_chain(self):
        # Kept in the order the steps are listed: unit head, owner, department head.
        chosen = set(self.cleaned_data["approval_chain"])
        return [s for s in ApprovalStep.values if s in chosen]


class ResetForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Deliver the new password by"),
        choices=DeliveryChannel.choices,
        initial=DeliveryChannel.LINK,
    )


class SlipForm(forms.Form):
    system = forms.ModelChoiceField(
        label=_("System"), queryset=System.objects.filter(is_active=True)
    )
    group = forms.CharField(label=_("Student group"), max_length=32, required=False)
    unit = forms.ModelChoiceField(
        label=_("or a unit"), queryset=OrgUnit.objects.none(), required=False
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units if units is not None else OrgUnit.objects.none()

    def clean(self):
        data = super().clean()
        if bool((data.get("group") or "").strip()) == bool(data.get("unit")):
            raise forms.ValidationError(_("Choose a group or a unit."))
        return data
