from django import forms
from django.utils.translation import gettext_lazy as _

from tirek.access.models import SystemRole
from tirek.people.models import AffiliationKind, OrgUnit, PositionCategory
from tirek.policies.models import Policy


class RoleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: SystemRole) -> str:
        return f"{obj.system} — {obj}"


class PolicyForm(forms.ModelForm):
    role = RoleChoiceField(
        label=_("Role given"),
        queryset=SystemRole.objects.select_related("system").order_by("system__code", "code"),
    )
    affiliation_kinds = forms.MultipleChoiceField(
        label=_("Who (empty: anyone)"),
        choices=AffiliationKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    unit = forms.ModelChoiceField(
        label=_("Unit"),
        queryset=OrgUnit.objects.filter(is_active=True).order_by("path"),
        required=False,
        empty_label=_("the whole university"),
    )
    position_categories = forms.MultipleChoiceField(
        label=_("Position category (empty: any)"),
        choices=PositionCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Policy
        fields = [
            "name",
            "description",
            "role",
            "affiliation_kinds",
            "unit",
            "include_subunits",
            "position_categories",
            "is_active",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple):
                continue
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs["class"] = "form-check-input"
            elif isinstance(widget, forms.Select):
                widget.attrs["class"] = "form-select"
            else:
                widget.attrs["class"] = "form-control"
