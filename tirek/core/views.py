"""Pages of the core app: home dashboards, the audit viewer, language, health."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from tirek.core import services
from tirek.core.audit import record, verify
from tirek.core.dashboards import panels_for
from tirek.core.exports import csv_lines
from tirek.core.forms import AuditFilterForm
from tirek.core.models import AuditAction, AuditEvent
from tirek.core.permissions import capability_required
from tirek.core.roles import roles_for

AUDIT_PAGE_SIZE = 50


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Open to everyone signed in: it shows only the panels of the roles the user holds (and
    a note to a user who holds none, rather than a refusal on the page after login)."""
    return render(
        request,
        "core/home.html",
        {"roles": roles_for(request.user), "panels": panels_for(request.user)},
    )


# --- Audit log -------------------------------------------------------------------------------


def _audit_queryset(form: AuditFilterForm):
    return form.filter(AuditEvent.objects.order_by("-id"))


@capability_required("audit.view")
def audit_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    qs = _audit_queryset(form) if request.GET else AuditEvent.objects.order_by("-id")
    page = Paginator(qs, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form if request.GET else AuditFilterForm(),
        "page": page,
        "query": query.urlencode(),
    }
    template = "core/audit/_results.html" if request.htmx else "core/audit/list.html"
    return render(request, template, context)


def _field_labels(object_type: str) -> dict[str, str]:
    """Field name -> its translated label, when the event names a model that still exists."""
    from django.apps import apps

    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return {}
    return {f.name: str(getattr(f, "verbose_name", "")) for f in model._meta.get_fields()}


@capability_required("audit.view")
def audit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(AuditEvent, pk=pk)
    changes = event.changes or {}
    before, after = changes.get("before") or {}, changes.get("after") or {}
    labels = _field_labels(event.object_type)
    rows = [
        {
            "field": key,
            "label": labels.get(key, ""),
            "before": before.get(key),
            "after": after.get(key),
            "in_before": key in before,
            "in_after": key in after,
        }
        for key in sorted(set(before) | set(after))
    ]
    return render(
        request,
        "core/audit/detail.html",
        {"event": event, "rows": rows, "extra": changes.get("extra") or {}},
    )


AUDIT_CSV_HEADER = (
    "id",
    "time",
    "actor",
    "ip",
    "action",
    "object_type",
    "object_id",
    "object",
    "changes",
    "request_id",
    "hash",
)


@capability_required("audit.view")
def audit_export(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(_("The filters are not valid."))
    qs = _audit_queryset(form)
    count = qs.count()
    # The export is itself an audited event, written before any row leaves the server.
    record(
        AuditAction.EXPORT,
        object_type="core.auditevent",
        object_repr="audit log CSV",
        extra={"filters": form.active_filters(), "rows": count},
    )
    import json

    def rows():
        for e in qs.iterator(chunk_size=1000):
            yield (
                e.pk,
                timezone.localtime(e.created_at).isoformat(timespec="seconds"),
                e.actor_label,
                e.ip or "",
                e.action,
                e.object_type,
                e.object_id,
                e.object_repr,
                json.dumps(e.changes, ensure_ascii=False, sort_keys=True) if e.changes else "",
                e.request_id,
                e.hash,
            )

    response = StreamingHttpResponse(
        csv_lines(AUDIT_CSV_HEADER, rows()), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="tirek-audit-{stamp}.csv"'
    return response


@require_POST
@capability_required("audit.view")
def audit_verify(request: HttpRequest) -> HttpResponse:
    """Checks the whole chain on demand (it reads every row: never on a page load)."""
    problems = list(verify())
    context = {
        "problems": problems,
        "count": AuditEvent.objects.count(),
        "checked_at": timezone.now(),
    }
    template = "core/audit/_verify.html" if request.htmx else "core/audit/verify.html"
    return render(request, template, context)


# --- Language --------------------------------------------------------------------------------


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; a signed-in user keeps it for every later visit."""
    code = request.POST.get("language", "")
    next_url = request.POST.get("next") or request.META.get("HTTP_REFERER") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("core:home")
    if not translation.check_for_language(code) or code not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(_("Unknown language."))
    if request.user.is_authenticated:
        try:
            services.set_user_language(request.user, request.user, code)
        except ValidationError:
            return HttpResponseBadRequest(_("Unknown language."))
    response = HttpResponseRedirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


# --- Health ----------------------------------------------------------------------------------


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers: no login, no personal data, 503 when the database does not answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": "error"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
