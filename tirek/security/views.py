"""Sign-in, sign-out, password change, two-factor enrolment and verification, API tokens."""

from __future__ import annotations

from base64 import b32encode
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django.views.generic import TemplateView
from django_otp import login as otp_login
from rest_framework.authtoken.models import Token

from tirek.security import services
from tirek.security.forms import AuthenticatorCodeForm, LoginForm, SecondFactorForm
from tirek.security.ldap import is_directory_user
from tirek.security.middleware import NOTICE_KEY, two_factor_required

# Access rule: the account pages serve any signed-in user, for their own account only (even a
# user who holds no role yet must be able to change their password); sign-in is public.


def _no_store(response):
    """Pages that show a secret once must not be kept by the browser or a proxy."""
    response["Cache-Control"] = "no-store"
    return response


def _next_url(request, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


class LoginView(auth_views.LoginView):
    template_name = "security/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["notice"] = self.request.session.pop(NOTICE_KEY, "")
        return context


class LogoutView(auth_views.LogoutView):
    """POST only (Django's own rule): a link cannot sign anyone out."""


@method_decorator(login_required, name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "security/password_change.html"
    success_url = reverse_lazy("security:account")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and is_directory_user(request.user):
            return render(request, "security/password_change_directory.html")
        return super().dispatch(request, *args, **kwargs)

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        for field in form.fields.values():
            field.widget.attrs.setdefault("class", "form-control")
        return form

    def form_valid(self, form):
        services.change_password(self.request.user, form.cleaned_data["new_password1"])
        self.request.user.refresh_from_db()
        update_session_auth_hash(self.request, self.request.user)
        messages.success(self.request, _("Your password has been changed."))
        return redirect(self.get_success_url())


@login_required
def account(request):
    user = request.user
    context = {
        "directory_user": is_directory_user(user),
        "two_factor_required": two_factor_required(user),
        "has_authenticator": services.confirmed_totp(user) is not None,
        "token": Token.objects.filter(user=user).first(),
    }
    return render(request, "security/account.html", context)


def _qr_svg(url: str) -> str:
    qr = segno.make(url, error="m")
    return qr.svg_inline(scale=5, border=2, dark="#000", light="#fff", omitsize=False)


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    user = request.user
    if not two_factor_required(user):
        messages.info(request, _("Your account does not use two-factor authentication."))
        return redirect("security:account")
    next_url = _next_url(request, reverse(settings.LOGIN_REDIRECT_URL))
    if services.confirmed_totp(user) is not None:
        if not user.is_verified():
            return redirect(_with_next("security:two_factor_verify", next_url))
        if request.method == "POST" and request.POST.get("action") == "backup_codes":
            codes = services.regenerate_backup_codes(user)
            return _no_store(
                render(request, "security/backup_codes.html", {"codes": codes, "next": next_url})
            )
        return render(request, "security/two_factor_status.html")

    device = services.pending_totp(user)
    form = AuthenticatorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            codes = services.confirm_totp(user, device)
            otp_login(request, device)
            return _no_store(
                render(request, "security/backup_codes.html", {"codes": codes, "next": next_url})
            )
        form.add_error(
            "code", _("That code is not right. Check the time on your phone and try again.")
        )
    secret = b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "qr_svg": mark_safe(_qr_svg(device.config_url)),  # noqa: S308 - segno's own SVG
        "secret": _grouped(secret),
        "next": next_url,
    }
    return _no_store(render(request, "security/two_factor_setup.html", context))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    user = request.user
    next_url = _next_url(request, reverse(settings.LOGIN_REDIRECT_URL))
    if user.is_verified():
        return redirect(next_url)
    if services.confirmed_totp(user) is None:
        return redirect(_with_next("security:two_factor_setup", next_url))
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.verify_second_factor(user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            return redirect(next_url)
        wait = services.second_factor_wait_seconds(user)
        if wait:
            form.add_error(
                "code",
                ngettext(
                    "Too many wrong codes. Try again in %(seconds)d second.",
                    "Too many wrong codes. Try again in %(seconds)d seconds.",
                    wait,
                )
                % {"seconds": wait},
            )
        else:
            form.add_error("code", _("That code is not right, or it was used already."))
    return render(request, "security/two_factor_verify.html", {"form": form, "next": next_url})


class ApiTokenView(LoginRequiredMixin, TemplateView):
    """The signed-in user's own API token: create or rotate (key shown once), revoke."""

    template_name = "security/api_token.html"
    http_method_names = ["get", "post"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["token"] = Token.objects.filter(user=self.request.user).first()
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        if action == "issue":
            key = services.issue_api_token(request.user)
            return _no_store(self.render_to_response(self.get_context_data(new_key=key)))
        if action == "revoke":
            if services.revoke_api_token(request.user):
                messages.success(request, _("Your API token has been revoked."))
            return redirect("security:api_token")
        messages.error(request, _("Unknown action."))
        return redirect("security:api_token")
