from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """Django's login form with keyboard- and password-manager-friendly fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(
            {"autofocus": True, "autocomplete": "username", "class": "form-control"}
        )
        self.fields["password"].widget.attrs.update(
            {"autocomplete": "current-password", "class": "form-control"}
        )


class AuthenticatorCodeForm(forms.Form):
    """The six-digit code from an authenticator app (enrolment)."""

    code = forms.RegexField(
        label=_("Code from the app"),
        regex=r"^\s*\d{3}\s?\d{3}\s*$",
        error_messages={"invalid": _("Enter the six digits the app shows.")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "class": "form-control",
                "maxlength": 7,
            }
        ),
    )

    def clean_code(self) -> str:
        return self.cleaned_data["code"].replace(" ", "").strip()


class SecondFactorForm(forms.Form):
    """An authenticator code or one of the backup codes (verification)."""

    code = forms.CharField(
        label=_("Code from the app, or a backup code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autofocus": True,
                "class": "form-control",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )


class UserSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    role = forms.ChoiceField(label=_("Role"), required=False)

    def __init__(self, *args, **kwargs):
        from tirek.core.roles import ASSIGNED_ROLES, Role

        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", _("Any role"))] + [
            (r.value, r.label) for r in Role if r in ASSIGNED_ROLES
        ]
        self.fields["role"].widget.attrs["class"] = "form-select form-select-sm"


class AssignedRolesForm(forms.Form):
    """The roles the department head gives by hand (the others follow from the records)."""

    roles = forms.MultipleChoiceField(
        label=_("Roles given by hand"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        from tirek.core.roles import ASSIGNED_ROLES, Role

        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = [(r.value, r.label) for r in Role if r in ASSIGNED_ROLES]
