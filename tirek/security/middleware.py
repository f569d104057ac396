"""Session idle timeout and the two-factor requirement for department staff and head.

Both run after AuthenticationMiddleware (and OTPMiddleware) and before MessageMiddleware, so
notices for the login page travel in the session rather than through django.contrib.messages.
htmx requests get an HX-Redirect header instead of a redirect that htmx would swap in place.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse

from tirek.core.roles import TWO_FACTOR_ROLES, roles_for

LAST_SEEN_KEY = "tirek_last_seen"
NOTICE_KEY = "tirek_login_notice"
# The last-seen time is rewritten at most this often, so that not every request saves the session.
_TOUCH_EVERY_SECONDS = 30
# Paths that talk to DRF, which applies its own (2FA-aware) authentication and answers in JSON
# (the SCIM service is a DRF view too).
API_PREFIX = ("/api/", "/scim/")


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def redirect_to(request, url: str) -> HttpResponse:
    if is_htmx(request):
        response = HttpResponse(status=200)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def with_next(url: str, request) -> str:
    if request.method != "GET" or is_htmx(request):
        return url
    return f"{url}?{urlencode({'next': request.get_full_path()})}"


def two_factor_required(user) -> bool:
    return bool(
        settings.TIREK_REQUIRE_2FA and user.is_authenticated and roles_for(user) & TWO_FACTOR_ROLES
    )


class SessionIdleTimeoutMiddleware:
    """End a signed-in session after SESSION_IDLE_MINUTES without a request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN_KEY)
            idle_limit = settings.SESSION_IDLE_MINUTES * 60
            if isinstance(last_seen, int) and now - last_seen > idle_limit:
                logout(request)
                request.session[NOTICE_KEY] = "idle"
                if not request.path.startswith(API_PREFIX):
                    return redirect_to(request, with_next(reverse(settings.LOGIN_URL), request))
            elif not isinstance(last_seen, int) or now - last_seen >= _TOUCH_EVERY_SECONDS:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class RequireTwoFactorMiddleware:
    """Send department staff and head whose session is not OTP-verified to enrol or verify."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._exempt: tuple[str, ...] | None = None

    def exempt_prefixes(self) -> tuple[str, ...]:
        if self._exempt is None:
            self._exempt = (
                reverse("security:login"),
                reverse("security:logout"),
                reverse("security:two_factor_setup"),
                reverse("security:two_factor_verify"),
                "/" + settings.STATIC_URL.lstrip("/"),
                "/i18n/",
                "/healthz",
                *API_PREFIX,
            )
        return self._exempt

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and two_factor_required(user)
            and not getattr(user, "is_verified", lambda: False)()
            and not request.path.startswith(self.exempt_prefixes())
        ):
            from tirek.security.services import confirmed_totp

            name = "two_factor_verify" if confirmed_totp(user) else "two_factor_setup"
            return redirect_to(request, with_next(reverse(f"security:{name}"), request))
        return self.get_response(request)
