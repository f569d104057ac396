"""API building blocks shared by every app."""

from drf_spectacular.authentication import SessionScheme
from rest_framework.authentication import SessionAuthentication

from tirek.core.roles import TWO_FACTOR_ROLES, roles_for


class SessionAuthentication2FA(SessionAuthentication):
    """Browser sessions reach the API only when two-factor rules are met (as for pages)."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, auth = result
        from django.conf import settings

        if (
            settings.TIREK_REQUIRE_2FA
            and roles_for(user) & TWO_FACTOR_ROLES
            and not getattr(request._request.user, "is_verified", lambda: False)()
        ):
            return None
        return user, auth


class SessionAuthentication2FAScheme(SessionScheme):
    """Describe SessionAuthentication2FA in the OpenAPI schema as the cookie session it is."""

    target_class = SessionAuthentication2FA
