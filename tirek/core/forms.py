"""Forms of the core app."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tirek.core.models import AuditAction, AuditEvent


class AuditFilterForm(forms.Form):
    """Filters of the audit viewer; the same filters drive the page and the CSV export."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    actor = forms.CharField(label=_("Actor"), required=False, max_length=150)
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("any")), *AuditAction.choices]
    )
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=100)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = (
                "form-select form-select-sm"
                if isinstance(field, forms.ChoiceField)
                else ("form-control form-control-sm")
            )
            field.widget.attrs.setdefault("class", css)
        types = (
            AuditEvent.objects.exclude(object_type="")
            .order_by("object_type")
            .values_list("object_type", flat=True)
            .distinct()
        )
        self.fields["object_type"].widget.attrs["list"] = "audit-object-types"
        self.object_types = list(types[:200])

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filter(self, qs: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        """`qs` narrowed by the filters; nothing at all while the form has errors."""
        if not self.is_valid():
            return qs.none()
        data = self.cleaned_data
        if data["actor"]:
            qs = qs.filter(actor_label__icontains=data["actor"])
        if data["action"]:
            qs = qs.filter(action=data["action"])
        if data["object_type"]:
            qs = qs.filter(object_type=data["object_type"])
        if data["object_id"]:
            qs = qs.filter(object_id=data["object_id"])
        tz = timezone.get_current_timezone()
        if data["date_from"]:
            start = dt.datetime.combine(data["date_from"], dt.time.min, tzinfo=tz)
            qs = qs.filter(created_at__gte=start)
        if data["date_to"]:
            end = dt.datetime.combine(
                data["date_to"] + dt.timedelta(days=1), dt.time.min, tzinfo=tz
            )
            qs = qs.filter(created_at__lt=end)
        if data["q"]:
            text = data["q"]
            match = (
                Q(object_repr__icontains=text)
                | Q(actor_label__icontains=text)
                | Q(object_id__icontains=text)
                | Q(object_type__icontains=text)
                | Q(request_id=text)
            )
            if _looks_like_ip(text):
                match |= Q(ip=text)
            qs = qs.filter(match)
        return qs

    def active_filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {k: str(v) for k, v in self.cleaned_data.items() if v}


def _looks_like_ip(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
