"""Forms of the service desk. They validate input; saving goes through services."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from tirek.access.models import AccessRequest, System, SystemRole
from tirek.people.models import Affiliation, OrgUnit
from tirek.servicedesk import attachments
from tirek.servicedesk.models import Kind, Level, Status, Team


def styled(form: forms.Form) -> None:
    """Give every widget its Bootstrap class, so templates can render fields as they are."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()


class StyledForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        styled(self)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field, each checked by content (attachments.check)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(
                attrs={
                    "accept": "image/*,application/pdf,"
                    ".doc,.docx,.xls,.xlsx,.ppt,.pptx,.odt,.ods,.odp"
                }
            ),
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        files = (
            [single(d, initial) for d in data]
            if isinstance(data, list | tuple)
            else ([single(data, initial)] if data else [])
        )
        files = [f for f in files if f]
        attachments.check_all(files)
        return files


def desk_systems():
    """Active systems of the catalogue, in the service desk's order (profile first)."""
    return System.objects.filter(is_active=True).order_by(
        F("desk_profile__position").asc(nulls_last=True), "code"
    )


URGENCY_CHOICES = [
    (Level.HIGH, _("I cannot work at all")),
    (Level.MEDIUM, _("I can work, with difficulty")),
    (Level.LOW, _("It can wait")),
]

# Request types about an account or access in a system: they may carry an access request.
ACCESS_TYPES = ("account", "access")
REQUEST_TYPES = [
    ("install", _("Install software")),
    ("configure", _("Configure a system")),
    ("account", _("Account or password help")),
    ("access", _("Access to a system")),
    ("consult", _("Consultation")),
    ("training", _("Training")),
    ("other", _("Other")),
]


class TicketForm(StyledForm):
    kind = ""

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    files = MultipleFileField(
        label=_("Attachments"),
        help_text=_("Screenshots, PDF or office documents; at most 10 MB each."),
    )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "subject": data["subject"],
            "description": data.get("description", ""),
            "files": data.get("files") or [],
        }


class IncidentForm(TicketForm):
    kind = Kind.INCIDENT
    system = forms.ModelChoiceField(
        label=_("System"),
        queryset=System.objects.none(),
        required=False,
        empty_label=_("other"),
    )
    since = forms.DateTimeField(
        label=_("Since when"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    affected_people = forms.IntegerField(
        label=_("How many people are affected"),
        min_value=1,
        max_value=100000,
        required=False,
        initial=1,
    )
    urgency = forms.TypedChoiceField(
        label=_("How urgent"), choices=URGENCY_CHOICES, coerce=int, initial=Level.MEDIUM
    )
    field_order = ["system", "subject", "description", "since", "affected_people", "urgency"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].queryset = desk_systems()
        self.fields["description"].label = _("What happened")
        self.fields["description"].required = True

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        affected = data.get("affected_people") or 1
        impact = Level.HIGH if affected >= 50 else Level.MEDIUM if affected >= 5 else Level.LOW
        return {
            **super().service_kwargs(),
            "system": data.get("system"),
            "since": data.get("since"),
            "affected_people": affected,
            "impact": impact,
            "urgency": data["urgency"],
        }


class ServiceRequestForm(TicketForm):
    kind = Kind.SERVICE_REQUEST
    request_type = forms.ChoiceField(label=_("What do you need"), choices=REQUEST_TYPES)
    system = forms.ModelChoiceField(
        label=_("System"), queryset=System.objects.none(), required=False, empty_label=_("other")
    )
    role = forms.ModelChoiceField(
        label=_("Role to ask for"),
        queryset=SystemRole.objects.none(),
        required=False,
        empty_label="—",
        help_text=_("For access to a system: an access request is filed for you."),
    )
    access_request = forms.ModelChoiceField(
        label=_("Or my access request"),
        queryset=AccessRequest.objects.none(),
        required=False,
        empty_label="—",
    )
    urgency = forms.TypedChoiceField(
        label=_("How urgent"), choices=URGENCY_CHOICES, coerce=int, initial=Level.LOW
    )
    field_order = [
        "request_type",
        "system",
        "role",
        "access_request",
        "subject",
        "description",
        "urgency",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].queryset = desk_systems()
        self.fields["role"].queryset = SystemRole.objects.filter(
            requestable=True, system__is_active=True
        ).select_related("system")
        mine = AccessRequest.objects.none()
        if self.user is not None and self.user.is_authenticated:
            mine = AccessRequest.objects.filter(
                Q(requested_by=self.user) | Q(person__user=self.user)
            ).select_related("role__system")
        self.fields["access_request"].queryset = mine
        self.fields["role"].label_from_instance = lambda r: f"{r.system.name}: {r.name}"
        self.fields["access_request"].label_from_instance = lambda r: (
            f"#{r.pk} {r.role.system.name}: {r.role.name} ({r.get_status_display()})"
        )

    def clean(self):
        data = super().clean()
        role, linked = data.get("role"), data.get("access_request")
        if (role or linked) and data.get("request_type") not in ACCESS_TYPES:
            raise forms.ValidationError(_("A role is asked for with an access or account request."))
        if role and linked:
            raise forms.ValidationError(_("Ask for a role or choose a request, not both."))
        system = data.get("system")
        chosen = role.system if role else linked.role.system if linked else None
        if system and chosen and chosen != system:
            self.add_error("role" if role else "access_request", _("It is not in this system."))
        if data.get("request_type") == "access" and not data.get("description") and role:
            data["description"] = data.get("subject", "")
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            **super().service_kwargs(),
            "system": data.get("system"),
            "request_type": data["request_type"],
            "access_role": data.get("role"),
            "access_request": data.get("access_request"),
            "impact": Level.LOW,
            "urgency": data["urgency"],
        }


class QuestionForm(TicketForm):
    kind = Kind.QUESTION
    system = forms.ModelChoiceField(
        label=_("About which system"),
        queryset=System.objects.none(),
        required=False,
        empty_label=_("other"),
    )
    field_order = ["system", "subject", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].queryset = desk_systems()
        self.fields["description"].label = _("Your question")
        self.fields["description"].required = True

    def service_kwargs(self) -> dict:
        return {
            **super().service_kwargs(),
            "system": self.cleaned_data.get("system"),
            "impact": Level.LOW,
            "urgency": Level.MEDIUM,
        }


class PublicationForm(TicketForm):
    kind = Kind.PUBLICATION
    target_site = forms.CharField(label=_("Site"), max_length=200, initial="ksu.edu.kz")
    section = forms.CharField(label=_("Section"), max_length=200, required=False)
    wanted_date = forms.DateField(
        label=_("Wanted publication date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    title_kk = forms.CharField(label=_("Title (Kazakh)"), max_length=300, required=False)
    text_kk = forms.CharField(
        label=_("Text (Kazakh)"), widget=forms.Textarea(attrs={"rows": 6}), required=False
    )
    title_ru = forms.CharField(label=_("Title (Russian)"), max_length=300, required=False)
    text_ru = forms.CharField(
        label=_("Text (Russian)"), widget=forms.Textarea(attrs={"rows": 6}), required=False
    )
    title_en = forms.CharField(label=_("Title (English)"), max_length=300, required=False)
    text_en = forms.CharField(
        label=_("Text (English)"), widget=forms.Textarea(attrs={"rows": 6}), required=False
    )
    field_order = [
        "subject",
        "target_site",
        "section",
        "wanted_date",
        "title_kk",
        "text_kk",
        "title_ru",
        "text_ru",
        "title_en",
        "text_en",
        "description",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["description"].label = _("Notes for the web team")
        from tirek.servicedesk.permissions import publication_units

        units = publication_units(self.user) if self.user is not None else []
        if len(units) > 1:  # a head who is also a delegate elsewhere chooses the unit
            self.fields["unit"] = forms.ModelChoiceField(
                label=_("For the unit"),
                queryset=OrgUnit.objects.filter(pk__in=[u.pk for u in units]),
                widget=forms.Select(attrs={"class": "form-select"}),
            )
        self.fields["files"].help_text = _("Documents and images to publish; at most 10 MB each.")

    def clean(self):
        data = super().clean()
        if not any(data.get(f"text_{lang}") for lang in ("kk", "ru", "en")):
            raise forms.ValidationError(_("Give the text in at least one language."))
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        details = {
            k: data.get(k)
            for k in (
                "target_site",
                "section",
                "wanted_date",
                "title_kk",
                "text_kk",
                "title_ru",
                "text_ru",
                "title_en",
                "text_en",
            )
        }
        return {
            **super().service_kwargs(),
            "publication": details,
            "unit": data.get("unit"),
            "system": System.objects.filter(code="website").first(),
            "impact": Level.LOW,
            "urgency": Level.MEDIUM,
        }


FORMS = {
    Kind.INCIDENT: IncidentForm,
    Kind.SERVICE_REQUEST: ServiceRequestForm,
    Kind.PUBLICATION: PublicationForm,
    Kind.QUESTION: QuestionForm,
}


class CommentForm(StyledForm):
    body = forms.CharField(label=_("Reply"), widget=forms.Textarea(attrs={"rows": 3}))
    internal = forms.BooleanField(label=_("Internal note (staff only)"), required=False)
    files = MultipleFileField(label=_("Attachments"))


class TransitionForm(StyledForm):
    to = forms.ChoiceField(choices=Status.choices)
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    published_url = forms.URLField(
        label=_("Published at (URL)"), required=False, assume_scheme="https"
    )
    scheduled_for = forms.DateField(
        label=_("Publish on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class RateForm(StyledForm):
    rating = forms.TypedChoiceField(
        label=_("Rating"), coerce=int, choices=[(i, str(i)) for i in range(5, 0, -1)]
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SlaFilter:
    CHOICES = [
        ("", _("any SLA state")),
        ("ok", _("on time")),
        ("warning", _("near the target")),
        ("breached", _("target missed")),
        ("paused", _("waiting for requester")),
    ]


def staff_users():
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=["dept_staff", "dept_head"])
        .distinct()
        .order_by("last_name", "first_name")
    )


class QueueFilterForm(StyledForm):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Number, subject, text")}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("any kind")), *Kind.choices]
    )
    system = forms.ModelChoiceField(
        label=_("System"),
        required=False,
        queryset=System.objects.all(),
        empty_label=_("any system"),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("open")), ("all", _("all")), *Status.choices],
    )
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    sla = forms.ChoiceField(label=_("SLA"), required=False, choices=SlaFilter.CHOICES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [
            ("", _("anyone")),
            ("me", _("me")),
            ("none", _("nobody")),
            *[(str(u.pk), u.get_full_name() or u.username) for u in staff_users()],
        ]


class BulkForm:
    """The queue's bulk actions (the view reads the ticket ids from the checked rows)."""

    ACTIONS = [
        ("assign_me", _("Assign to me")),
        ("assign_auto", _("Assign to the owning team (round robin)")),
        ("in_progress", _("Mark in progress")),
        ("resolve", _("Resolve")),
        ("major", _("Declare a major incident for the selected")),
    ]


class PreferencesForm(StyledForm):
    reply = forms.BooleanField(label=_("Replies to my tickets"), required=False)
    status_change = forms.BooleanField(label=_("Status changes of my tickets"), required=False)
    new_ticket = forms.BooleanField(
        label=_("New tickets for me or my team (staff)"), required=False
    )
    sla_warning = forms.BooleanField(label=_("SLA warnings (staff)"), required=False)


class DelegateForm(StyledForm):
    """A head of unit names a person of one of the units they head."""

    unit = forms.ModelChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none())
    user = forms.ModelChoiceField(label=_("Person"), queryset=get_user_model().objects.none())
    valid_until = forms.DateField(
        label=_("Until (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, head=None, **kwargs):
        super().__init__(*args, **kwargs)
        units = OrgUnit.objects.filter(head__user_id=getattr(head, "pk", None), is_active=True)
        self.fields["unit"].queryset = units
        if len(units) == 1:  # most heads head one unit: nothing to choose
            self.fields["unit"].empty_label = None
        self.fields["user"].empty_label = "—"
        current = Affiliation.objects.current().filter(
            unit__in=OrgUnit.objects.subtree_of(list(units)).values("pk")
        )
        self.fields["user"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, person__in=current.values("person_id"))
            .exclude(pk=getattr(head, "pk", None))
            .order_by("last_name", "first_name")
        )
        self.fields["user"].label_from_instance = lambda u: u.get_full_name() or u.username


class SystemProfileForm(StyledForm):
    team = forms.ModelChoiceField(
        label=_("Owning team"), queryset=Team.objects.all(), required=False, empty_label="—"
    )
    on_status_page = forms.BooleanField(label=_("On the status page"), required=False)
    position = forms.IntegerField(label=_("Order"), min_value=0, max_value=32767, initial=100)


class TeamForm(StyledForm):
    name = forms.CharField(label=_("Team"), max_length=100)
    members = forms.ModelMultipleChoiceField(
        label=_("Members"), queryset=get_user_model().objects.none(), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = staff_users()
        self.fields["members"].label_from_instance = lambda u: u.get_full_name() or u.username
