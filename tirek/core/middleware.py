"""Request-wide context: the user's language, and who/where for the audit log."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

from tirek.core.audit import AuditContext, new_request_id, reset_context, set_context


def client_ip(request) -> str | None:
    """The client's address; X-Forwarded-For is trusted only behind a configured proxy."""
    proxies = settings.TIREK_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None


class UserLanguageMiddleware:
    """A signed-in user's saved language wins over cookies and the browser's wish."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user and user.is_authenticated else ""
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request.META.get("HTTP_X_REQUEST_ID", "")[:36] or new_request_id()
        user = request.user if request.user.is_authenticated else None
        token = set_context(
            AuditContext(actor=user, ip=client_ip(request), request_id=request.request_id)
        )
        try:
            return self.get_response(request)
        finally:
            reset_context(token)
