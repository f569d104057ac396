"""The department head's pages for Tirek's logins: who holds which role, two-factor, lockouts.

Access rule: capability `admin.manage_roles` (the department head) for every page and action.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tirek.core.permissions import capability_required
from tirek.core.roles import ASSIGNED_ROLES, roles_for
from tirek.security import services, users
from tirek.security.forms import AssignedRolesForm, UserSearchForm

PAGE_SIZE = 50


@capability_required("admin.manage_roles")
def user_list(request: HttpRequest) -> HttpResponse:
    form = UserSearchForm(request.GET or None)
    q = role = ""
    if form.is_valid():
        q, role = form.cleaned_data["q"], form.cleaned_data["role"]
    page = Paginator(users.search_users(q, role), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {"user": u, "assigned": [r for r in roles_for(u) if r in ASSIGNED_ROLES]}
        for u in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "security/user_list.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


@capability_required("admin.manage_roles")
@require_http_methods(["GET", "POST"])
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(get_user_model().objects.select_related("person"), pk=pk)
    # An empty POST (every box unticked) is still a submission: not `request.POST or None`.
    data = request.POST if request.method == "POST" else None
    form = AssignedRolesForm(data, initial={"roles": users.assigned_roles(user)})
    if request.method == "POST" and form.is_valid():
        try:
            users.set_assigned_roles(request.user, user, form.cleaned_data["roles"])
        except users.UserAdminError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Roles saved."))
        return redirect("security:user_detail", pk=user.pk)
    context = {
        "subject": user,
        "form": form,
        "roles": sorted(roles_for(user), key=lambda r: r.label),
        "has_two_factor": services.confirmed_totp(user) is not None,
        "locked_out": users.is_locked_out(user),
        "is_self": user.pk == request.user.pk,
    }
    return render(request, "security/user_detail.html", context)


@require_POST
@capability_required("admin.manage_roles")
def user_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = get_object_or_404(get_user_model(), pk=pk)
    try:
        if action == "reset-2fa":
            users.reset_two_factor(request.user, user)
            messages.success(request, _("Two-factor devices removed: they enrol again at sign-in."))
        elif action == "unlock":
            users.unlock(request.user, user)
            messages.success(request, _("The lockout is lifted."))
        elif action == "deactivate":
            users.set_active(request.user, user, False)
            messages.success(request, _("The login is switched off."))
        elif action == "activate":
            users.set_active(request.user, user, True)
            messages.success(request, _("The login is switched on."))
        else:
            return HttpResponse(status=404)
    except users.UserAdminError as exc:
        messages.error(request, str(exc))
    return redirect("security:user_detail", pk=user.pk)
