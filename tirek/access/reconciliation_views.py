"""Pages of reconciliation: a system's runs, a run's findings, actions one by one and in bulk.

Reading needs access.view_all (department head, staff, auditors); acting and starting a run
need access.reconcile. Objects come from permissions.py querysets."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from tirek.access import reconciliation
from tirek.access.models import FindingKind, Resolution, System
from tirek.access.permissions import visible_findings, visible_runs
from tirek.core.permissions import can, capability_required
from tirek.people.models import Person

PAGE_SIZE = 100
BULK_ACTIONS = [
    ("link_suggested", gettext_lazy("link to the likely person")),
    ("fix", gettext_lazy("fix in the system")),
    ("accept", gettext_lazy("take the system's value")),
    ("disable", gettext_lazy("disable in the system")),
    ("recreate", gettext_lazy("create again")),
    ("mark_deleted", gettext_lazy("mark deleted")),
    ("ignore", gettext_lazy("ignore")),
]


def _back(request, run_id: int):
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        return redirect(back)
    return redirect("access:run_detail", pk=run_id)


@capability_required("access.view_all")
def run_list(request, code: str):
    system = get_object_or_404(System, code=code)
    runs = visible_runs(request.user).filter(system=system).select_related("started_by")
    return render(
        request,
        "access/reconciliation_list.html",
        {
            "system": system,
            "page": Paginator(runs, 50).get_page(request.GET.get("page")),
            "can_reconcile": can(request.user, "access.reconcile")
            and reconciliation.reconcilable(system),
        },
    )


@require_POST
@capability_required("access.reconcile")
def reconcile_now(request, code: str):
    system = get_object_or_404(System, code=code)
    try:
        run = reconciliation.request_run(request.user, system)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("access:system_detail", code=system.code)
    messages.success(request, _("Reconciliation is queued; the worker reads the system now."))
    return redirect("access:run_detail", pk=run.pk)


@capability_required("access.view_all")
def run_detail(request, pk: int):
    run = get_object_or_404(
        visible_runs(request.user).select_related("system", "started_by"), pk=pk
    )
    kind = request.GET.get("kind", "")
    resolution = request.GET.get("resolution", Resolution.OPEN)
    findings = run.findings.select_related(
        "account__person", "suggested_person", "resolved_by"
    ).order_by("kind", "login")
    if kind in FindingKind.values:
        findings = findings.filter(kind=kind)
    if resolution in Resolution.values:
        findings = findings.filter(resolution=resolution)
    page = Paginator(findings, PAGE_SIZE).get_page(request.GET.get("page"))
    for finding in page:
        finding.acceptable = finding.kind == FindingKind.STATUS or (
            finding.kind == FindingKind.DRIFT
            and set(finding.tirek_values) <= set(reconciliation.ACCEPTABLE)
        )
    return render(
        request,
        "access/reconciliation_run.html",
        {
            "run": run,
            "page": page,
            "kind": kind,
            "resolution": resolution,
            "kinds": FindingKind.choices,
            "resolutions": Resolution.choices,
            "bulk_actions": BULK_ACTIONS,
            "can_reconcile": can(request.user, "access.reconcile"),
        },
    )


@require_POST
@capability_required("access.reconcile")
def finding_action(request, pk: int, action: str):
    finding = get_object_or_404(visible_findings(request.user).select_related("run"), pk=pk)
    person = None
    if action == "link":
        raw = request.POST.get("person", "").strip()
        person = Person.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
        if person is None:
            messages.error(request, _("No person has this number."))
            return _back(request, finding.run_id)
    try:
        reconciliation.act(
            request.user, finding, action, reason=request.POST.get("reason", ""), person=person
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Done."))
    return _back(request, finding.run_id)


@require_POST
@capability_required("access.reconcile")
def bulk_action(request, pk: int):
    run = get_object_or_404(visible_runs(request.user), pk=pk)
    action = request.POST.get("action", "")
    if action not in dict(BULK_ACTIONS):
        messages.error(request, _("Choose an action."))
        return _back(request, run.pk)
    findings = run.findings.filter(resolution=Resolution.OPEN)
    if request.POST.get("scope") == "filtered":
        kind = request.POST.get("kind", "")
        if kind in FindingKind.values:
            findings = findings.filter(kind=kind)
    else:
        ids = [int(x) for x in request.POST.getlist("finding") if x.isdigit()]
        findings = findings.filter(pk__in=ids)
    if not findings.exists():
        messages.error(request, _("Choose the findings to act on."))
        return _back(request, run.pk)
    done, errors = reconciliation.act_in_bulk(
        request.user, findings, action, reason=request.POST.get("reason", "")
    )
    if done:
        messages.success(
            request, ngettext("%(n)d finding done.", "%(n)d findings done.", done) % {"n": done}
        )
    for error in errors[:20]:
        messages.error(request, error)
    if len(errors) > 20:
        more = len(errors) - 20
        messages.error(
            request, ngettext("%(n)d more refused.", "%(n)d more refused.", more) % {"n": more}
        )
    return _back(request, run.pk)
