"""Forms for the people pages. They validate; saving goes through services."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tirek.people.models import Affiliation, AffiliationKind, AffiliationStatus, OrgUnit, Person


class PersonSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, e-mail or IIN"), "autofocus": True}
        ),
    )
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none(), required=False)
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("any kind")), *AffiliationKind.choices],
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("any status")), *AffiliationStatus.choices],
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units


class PersonContactForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = ["email", "personal_email", "phone"]


class UnitForm(forms.ModelForm):
    class Meta:
        model = OrgUnit
        fields = ["code", "name_kk", "name_ru", "name_en", "kind", "parent", "head", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parents = OrgUnit.objects.filter(is_active=True)
        if self.instance.pk:
            # A unit cannot move under itself or one of its subunits.
            parents = parents.exclude(path__startswith=self.instance.path)
            self.fields["code"].disabled = True
        self.fields["parent"].queryset = parents
        working = Affiliation.objects.filter(
            status=AffiliationStatus.ACTIVE,
            kind__in=[AffiliationKind.EMPLOYEE, AffiliationKind.FACULTY],
        ).values("person_id")
        self.fields["head"].queryset = Person.objects.filter(
            Q(pk__in=working) | Q(pk=self.instance.head_id or 0)
        )
        self.fields["head"].help_text = _("Only current employees and faculty can head a unit.")
