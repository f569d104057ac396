"""Policy pages. Access rule: `policies.view` to read (department and auditors), `policies.edit`
to change policies and decide held runs (department head and staff)."""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tirek.access.models import Account, Grant, GrantSource
from tirek.core.permissions import can, capability_required
from tirek.people.permissions import visible_people
from tirek.policies import engine, services
from tirek.policies.forms import PolicyForm
from tirek.policies.models import Policy, PolicyRun, RunStatus, RunTrigger


@capability_required("policies.view")
def policy_list(request: HttpRequest) -> HttpResponse:
    policies = (
        Policy.objects.select_related("role__system", "unit")
        .annotate(people=Count("entitlements", distinct=True))
        .order_by("role__system__code", "name")
    )
    waiting = PolicyRun.objects.filter(status=RunStatus.WAITING)
    return render(
        request,
        "policies/policy_list.html",
        {
            "policies": policies,
            "waiting": waiting,
            "can_edit": can(request.user, "policies.edit"),
            "threshold": services.threshold(),
        },
    )


@capability_required("policies.edit")
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    policy = get_object_or_404(Policy, pk=pk) if pk else None
    form = PolicyForm(request.POST or None, instance=policy)
    preview = None
    if request.method == "POST" and form.is_valid():
        candidate = form.save(commit=False)
        if request.POST.get("action") == "save":
            _saved, run, waiting = services.save_policy(request.user, candidate)
            messages.success(
                request,
                _("Policy saved: %(added)d roles given, %(removed)d taken.")
                % {"added": run.grants_added, "removed": run.grants_removed},
            )
            if waiting is not None:
                messages.warning(
                    request,
                    _("Changes for %(n)d people wait for confirmation.") % {"n": waiting.people},
                )
                return redirect("policies:run_detail", pk=waiting.pk)
            return redirect("policies:policy_list")
        preview = services.preview(candidate)
    return render(
        request,
        "policies/policy_form.html",
        {"form": form, "policy": policy, "preview": preview},
    )


@require_POST
@capability_required("policies.edit")
def policy_delete(request: HttpRequest, pk: int) -> HttpResponse:
    policy = get_object_or_404(Policy, pk=pk)
    run, waiting = services.delete_policy(request.user, policy)
    messages.success(request, _("Policy deleted: %(n)d roles taken.") % {"n": run.grants_removed})
    if waiting is not None:
        return redirect("policies:run_detail", pk=waiting.pk)
    return redirect("policies:policy_list")


@capability_required("policies.view")
def run_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(PolicyRun.objects.select_related("started_by"), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "policies/run_list.html",
        {"page": page, "can_edit": can(request.user, "policies.edit")},
    )


@capability_required("policies.view")
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(PolicyRun.objects.select_related("started_by", "decided_by"), pk=pk)
    return render(
        request,
        "policies/run_detail.html",
        {"run": run, "can_edit": can(request.user, "policies.edit")},
    )


@require_POST
@capability_required("policies.edit")
def run_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    run = get_object_or_404(PolicyRun, pk=pk)
    try:
        if decision == "confirm":
            services.confirm(request.user, run)
            messages.success(request, _("Confirmed: the held changes are applied."))
        elif decision == "discard":
            services.discard(request.user, run)
            messages.success(request, _("Discarded: nothing was changed."))
        else:
            return HttpResponse(status=404)
    except services.PolicyError as exc:
        messages.error(request, str(exc))
    return redirect("policies:run_detail", pk=run.pk)


@require_POST
@capability_required("policies.edit")
def run_now(request: HttpRequest) -> HttpResponse:
    run, waiting = services.full_pass(request.user, trigger=RunTrigger.MANUAL)
    messages.success(request, _("Full pass done over %(n)d people.") % {"n": run.people})
    return redirect("policies:run_detail", pk=(waiting or run).pk)


@capability_required("policies.view")
def person_entitlements(request: HttpRequest, pk: int) -> HttpResponse:
    """Drift: per system, what the policies say the person should hold, what they hold, why."""
    person = get_object_or_404(visible_people(request.user), pk=pk)
    plan = engine.plan_for([person.pk]).people[0]
    policy_names = dict(Policy.objects.values_list("pk", "name"))
    grants = defaultdict(list)
    for grant in Grant.objects.filter(account__person=person).select_related("role", "account"):
        grants[grant.role_id].append(grant)
    accounts = {
        a.system_id: a for a in Account.objects.filter(person=person).select_related("system")
    }
    from tirek.access.models import SystemRole

    role_ids = set(plan.desired) | set(grants)
    roles = SystemRole.objects.filter(pk__in=role_ids).select_related("system")
    systems: dict[int, dict] = {}
    for role in sorted(roles, key=lambda r: (r.system.code, r.code)):
        entry = systems.setdefault(
            role.system_id,
            {"system": role.system, "account": accounts.get(role.system_id), "rows": []},
        )
        held = grants.get(role.pk, [])
        sources = {g.source for g in held}
        should = role.pk in plan.desired
        if should and GrantSource.POLICY in sources:
            state = "ok"
        elif should and sources:
            state = "held_otherwise"
        elif should:
            state = "missing"
        elif GrantSource.POLICY in sources:
            state = "extra"
        else:
            state = "manual"
        entry["rows"].append(
            {
                "role": role,
                "should": should,
                "because": [policy_names.get(p, p) for p in sorted(plan.desired.get(role.pk, ()))],
                "grants": held,
                "state": state,
            }
        )
    for system_id, account in accounts.items():
        systems.setdefault(system_id, {"system": account.system, "account": account, "rows": []})
    return render(
        request,
        "policies/person_entitlements.html",
        {
            "person": person,
            "plan": plan,
            "systems": sorted(systems.values(), key=lambda e: e["system"].code),
        },
    )
