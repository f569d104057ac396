"""The work list of manual systems. Access rule: `access.manage` (department head and staff)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from tirek.access.models import MANUAL_KINDS, ConnectorKind, System
from tirek.core.permissions import capability_required
from tirek.manualwork import layouts, services
from tirek.manualwork.models import ItemStatus, WorkBatch, WorkItem

CAP = "access.manage"


class ConfirmForm(forms.Form):
    result_login = forms.CharField(
        label=gettext_lazy("Login the system gave (if not the one shown)"),
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )


class ProblemForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("What went wrong"),
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )


def _file_response(batch: WorkBatch, body: bytes, layout: layouts.Layout) -> HttpResponse:
    if batch.system.connector_kind == ConnectorKind.OJS_FILE:
        content_type, extension = "application/xml", "xml"
    else:
        content_type, extension = layout.content_type, layout.file_format
    response = HttpResponse(body, content_type=content_type)
    name = f"{batch.system.code}-batch-{batch.pk}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"  # it may hold initial passwords
    return response


@capability_required(CAP)
def worklist(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or ItemStatus.OPEN
    if status not in ItemStatus.values:
        status = ItemStatus.OPEN
    items = WorkItem.objects.filter(status=status).select_related(
        "system", "operation__account__person", "batch"
    )
    system_code = request.GET.get("system") or ""
    if system_code:
        items = items.filter(system__code=system_code)
    now = timezone.now()
    systems = System.objects.filter(connector_kind__in=MANUAL_KINDS).order_by("code")
    summary = {
        row["system_id"]: row
        for row in WorkItem.objects.filter(status=ItemStatus.OPEN)
        .values("system_id")
        .annotate(
            open=Count("id"),
            overdue=Count("id", filter=Q(due_at__lt=now)),
            unbatched=Count("id", filter=Q(batch__isnull=True)),
        )
    }
    return render(
        request,
        "manualwork/worklist.html",
        {
            "items": items[:500],
            "status": status,
            "statuses": ItemStatus.choices,
            "system_code": system_code,
            "systems": [(s, summary.get(s.pk, {})) for s in systems],
            "now": now,
        },
    )


@capability_required(CAP)
@require_http_methods(["GET", "POST"])
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(
        WorkItem.objects.select_related("system", "operation__account__person", "batch"), pk=pk
    )
    confirm_form = ConfirmForm(request.POST if request.POST.get("action") == "confirm" else None)
    problem_form = ProblemForm(request.POST if request.POST.get("action") == "problem" else None)
    if request.method == "POST":
        try:
            if confirm_form.is_bound and confirm_form.is_valid():
                services.confirm(request.user, item, **confirm_form.cleaned_data)
                messages.success(request, _("Done: the item is closed."))
                return redirect("manualwork:worklist")
            if problem_form.is_bound and problem_form.is_valid():
                services.report_problem(request.user, item, **problem_form.cleaned_data)
                messages.warning(
                    request, _("The problem is recorded; the operation needs attention.")
                )
                return redirect("manualwork:worklist")
        except (services.WorkError, ValidationError) as exc:
            messages.error(request, exc.messages[0] if hasattr(exc, "messages") else str(exc))
            return redirect("manualwork:item_detail", pk=item.pk)
    row = services.row_for(item, with_password=False)
    return render(
        request,
        "manualwork/item_detail.html",
        {
            "item": item,
            "row": row,
            "has_password": item.status == ItemStatus.OPEN and bool(item.operation.secret),
            "confirm_form": confirm_form,
            "problem_form": problem_form,
        },
    )


@require_POST
@capability_required(CAP)
def item_password(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(WorkItem, pk=pk)
    try:
        password = services.reveal_password(request.user, item)
    except services.WorkError as exc:
        messages.error(request, str(exc))
        return redirect("manualwork:item_detail", pk=item.pk)
    response = render(request, "manualwork/password.html", {"item": item, "password": password})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@capability_required(CAP)
def batch_create(request: HttpRequest, code: str) -> HttpResponse:
    system = get_object_or_404(System, code=code, connector_kind__in=MANUAL_KINDS)
    try:
        layout = layouts.layout_for(system)
        batch, body = services.create_batch(request.user, system)
    except (services.WorkError, layouts.LayoutError) as exc:
        messages.error(request, str(exc))
        return redirect("manualwork:worklist")
    return _file_response(batch, body, layout)


@capability_required(CAP)
def batch_list(request: HttpRequest) -> HttpResponse:
    batches = WorkBatch.objects.select_related("system", "created_by").annotate(
        total=Count("items"), open=Count("items", filter=Q(items__status=ItemStatus.OPEN))
    )[:200]
    return render(request, "manualwork/batch_list.html", {"batches": batches})


@capability_required(CAP)
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(WorkBatch.objects.select_related("system"), pk=pk)
    items = batch.items.select_related("operation__account__person").order_by("id")
    return render(request, "manualwork/batch_detail.html", {"batch": batch, "items": items})


@require_POST
@capability_required(CAP)
def batch_download(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(WorkBatch.objects.select_related("system"), pk=pk)
    try:
        layout = layouts.layout_for(batch.system)
        body = services.download_again(request.user, batch)
    except (services.WorkError, layouts.LayoutError) as exc:
        messages.error(request, str(exc))
        return redirect("manualwork:batch_detail", pk=batch.pk)
    return _file_response(batch, body, layout)


@require_POST
@capability_required(CAP)
def batch_close(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(WorkBatch, pk=pk)
    try:
        n = services.close_batch(request.user, batch)
    except (services.WorkError, ValidationError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Batch closed: %(n)d items confirmed.") % {"n": n})
    return redirect("manualwork:batch_detail", pk=batch.pk)
