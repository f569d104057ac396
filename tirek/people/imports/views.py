"""Import pages: sources and their mapping, upload (a dry run), review, apply, export.

All of them need the capability imports.run (department head and staff)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from tirek.core.audit import record
from tirek.core.exports import csv_lines
from tirek.core.models import AuditAction
from tirek.core.permissions import capability_required
from tirek.people.imports import services
from tirek.people.imports.errors import ImportFileError, message, with_messages
from tirek.people.imports.forms import ApplyForm, ImportSourceForm, UploadForm
from tirek.people.imports.mapping import TARGETS
from tirek.people.imports.models import ImportRun, ImportSource, RunStatus
from tirek.people.imports.readers import MAX_BYTES, preview, read_table

CAP = "imports.run"
FIELD_LABELS = {t.name: t.label for t in TARGETS}


@capability_required(CAP)
def import_list(request):
    runs = ImportRun.objects.select_related("source", "created_by").order_by("-created_at", "-id")
    context = {
        "sources": ImportSource.objects.all(),
        "page": Paginator(runs, 25).get_page(request.GET.get("page")),
        "form": UploadForm(),
    }
    return render(request, "people/imports/list.html", context)


@capability_required(CAP)
def import_upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        run = services.upload(
            request.user, form.cleaned_data["source"], upload.read(), filename=upload.name
        )
        return redirect("people:import_run", pk=run.pk)
    return render(request, "people/imports/upload.html", {"form": form})


def _labelled(rows: list[dict]) -> list[dict]:
    return [
        {
            **row,
            "changes": [
                {"field": FIELD_LABELS.get(f, f), "old": old, "new": new}
                for f, old, new in row.get("changes", [])
            ],
        }
        for row in rows
    ]


@capability_required(CAP)
def import_run(request, pk: int):
    run = get_object_or_404(ImportRun.objects.select_related("source"), pk=pk)
    errors = with_messages(run.errors)
    result = run.result or {}
    context = {
        "run": run,
        "file_errors": [e for e in errors if not e["row"]],
        "row_errors": [e for e in errors if e["row"]],
        "new": _labelled(result.get("new", [])),
        "changed": _labelled(result.get("changed", [])),
        "leaving": _labelled(result.get("leaving", [])),
        "leaving_share": result.get("leaving_share", 0),
        "form": ApplyForm(),
        "needs_confirmation": run.status == RunStatus.NEEDS_CONFIRMATION,
        "RunStatus": RunStatus,
    }
    return render(request, "people/imports/run.html", context)


@capability_required(CAP)
def import_apply(request, pk: int):
    run = get_object_or_404(ImportRun, pk=pk)
    if request.method != "POST":
        return redirect("people:import_run", pk=pk)
    form = ApplyForm(request.POST)
    form.is_valid()
    try:
        run = services.apply_run(
            request.user,
            run,
            exclude_errors=form.cleaned_data.get("exclude_errors", False),
            confirm_leavers=form.cleaned_data.get("confirm_leavers", False),
        )
    except services.ImportRefused as exc:
        text = {
            "errors": _("Some rows have errors: fix the file, or leave those rows out."),
            "confirm": _(
                "More people would leave than this source allows: confirm that the file is "
                "complete."
            ),
            "applied": _("This run is already applied."),
        }.get(exc.code, _("The file cannot be imported."))
        messages.error(request, text)
    else:
        c = run.counts
        messages.success(
            request,
            _("Imported: %(new)s new, %(changed)s changed, %(leaving)s leaving.")
            % {"new": c["new"], "changed": c["changed"], "leaving": c["leaving"]},
        )
    return redirect("people:import_run", pk=run.pk)


@capability_required(CAP)
def import_run_export(request, pk: int):
    """The run's errors and changes as CSV; every cell is neutralised against formulas."""
    run = get_object_or_404(ImportRun, pk=pk)
    record(AuditAction.EXPORT, run, actor=request.user, extra={"what": "import run report"})
    rows = [
        ["error", e["row"], e["column"], e["message"], "", ""] for e in with_messages(run.errors)
    ]
    result = run.result or {}
    for kind in ("new", "changed", "leaving"):
        for item in result.get(kind, []):
            changes = item.get("changes") or [["", "", ""]]
            for field, old, new in changes:
                rows.append([kind, item.get("row", ""), field, item.get("name", ""), old, new])
    header = [
        _("kind"),
        _("row"),
        _("column or field"),
        _("name or message"),
        _("before"),
        _("after"),
    ]
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="import-run-{run.pk}.csv"'
    return response


@capability_required(CAP)
def import_source_edit(request, pk: int | None = None):
    source = get_object_or_404(ImportSource, pk=pk) if pk else ImportSource()
    form = ImportSourceForm(request.POST or None, request.FILES or None, instance=source)
    sample = None
    if request.method == "POST" and "preview" in request.POST:
        # The preview helps to write the mapping, so it works before the mapping is valid.
        upload = request.FILES.get("sample")
        if upload is not None and upload.size <= MAX_BYTES:
            sample = _preview(upload, request.POST)
    elif request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "sample"}
        source = services.save_source(request.user, source, **fields)
        messages.success(request, _("Import source saved."))
        return redirect("people:import_list")
    context = {"form": form, "source": source, "sample": sample}
    return render(request, "people/imports/source_form.html", context)


def _preview(upload, cleaned) -> dict:
    try:
        table = read_table(
            upload.read(),
            file_format=cleaned.get("file_format") or "auto",
            encoding=cleaned.get("encoding") or "auto",
            delimiter=cleaned.get("delimiter") or "",
        )
        rows = preview(table, 10)
    except ImportFileError as exc:
        return {"error": message(exc.code, exc.params)}
    mapped = {v.strip() for k, v in cleaned.items() if k.startswith("map_") and v.strip()}
    return {
        "header": [{"name": h, "mapped": h in mapped} for h in table.header],
        "rows": rows,
        "encoding": table.encoding,
        "delimiter": table.delimiter,
    }
