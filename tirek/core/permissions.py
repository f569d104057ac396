"""The one place that says who may do what.

`can(user, capability)` answers role-level questions; each app's `permissions.py` narrows
querysets to the objects a user may see (object scoping) using the same capabilities, so that
lists, detail pages, search, exports and the API agree. Views use `CapabilityRequiredMixin` or
`@capability_required`, API views `HasCapability`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.mixins import AccessMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from tirek.core.roles import Role, roles_for

R = Role
ANY_SIGNED_IN = frozenset(Role)

# capability -> roles that hold it
CAPABILITIES: dict[str, frozenset[Role]] = {
    # People and organisation
    "people.view_all": frozenset({R.DEPT_HEAD, R.DEPT_STAFF, R.AUDITOR}),
    "people.view_personal_data": frozenset({R.DEPT_HEAD, R.DEPT_STAFF}),
    "people.view_unit": frozenset({R.UNIT_HEAD}),
    "people.view_self": ANY_SIGNED_IN,
    "orgunits.view": ANY_SIGNED_IN,
    "people.edit": frozenset({R.DEPT_HEAD, R.DEPT_STAFF}),
    "orgunits.edit": frozenset({R.DEPT_HEAD, R.DEPT_STAFF}),
    # Authoritative imports (HR, Platonus): upload, review, apply, edit sources
    "imports.run": frozenset({R.DEPT_HEAD, R.DEPT_STAFF}),
    # Audit log
    "audit.view": frozenset({R.DEPT_HEAD, R.AUDITOR}),
    # Reports and dashboards of the whole department
    "reports.view": frozenset({R.DEPT_HEAD, R.VICE_RECTOR, R.AUDITOR}),
    # Administration (Django admin is for superusers only)
    "admin.manage_roles": frozenset({R.DEPT_HEAD}),
    # Cards and passes (tirek/cards): holders see their own through cards.view_own
    "cards.view_own": ANY_SIGNED_IN,
    "cards.view_all": frozenset({R.DEPT_HEAD, R.DEPT_STAFF}),
    "cards.view_unit": frozenset({R.UNIT_HEAD}),
    "cards.manage": frozenset({R.DEPT_STAFF}),
    "cards.figures": frozenset({R.DEPT_HEAD, R.DEPT_STAFF, R.VICE_RECTOR}),
    "cards.turnstile": frozenset({R.DEPT_STAFF}),
    # Accounts and access (tirek/access): catalogue, accounts, requests, operations
    "access.catalogue_view": ANY_SIGNED_IN,
    "access.catalogue_edit": frozenset({R.DEPT_HEAD, R.DEPT_STAFF}),
    "access.view_all": frozenset({R.DEPT_HEAD, R.DEPT_STAFF, R.AUDITOR}),
    "access.manage": frozenset({R.DEPT_HEAD, R.DEPT_STAFF}),
    "access.reconcile": frozenset({R.DEPT_HEAD, R.DEPT_STAFF}),  # act on findings
    "access.request": ANY_SIGNED_IN,  # for oneself; unit heads for their people (scoped)
    "access.approve": ANY_SIGNED_IN,  # only the steps that are one's own (scoped)
    "access.credentials": ANY_SIGNED_IN,  # only one's own one-time links
    # Printed password slips: staff for everyone, unit heads for their own units (scoped)
    "access.slips": frozenset({R.DEPT_HEAD, R.DEPT_STAFF, R.UNIT_HEAD}),
    # Birthright policies (tirek/policies): who is entitled to which role by their affiliations
    "policies.view": frozenset({R.DEPT_HEAD, R.DEPT_STAFF, R.AUDITOR}),
    "policies.edit": frozenset({R.DEPT_HEAD, R.DEPT_STAFF}),
    # SCIM service provider (/scim/v2/): read every person and group. Those who see everyone.
    "scim.read": frozenset({R.DEPT_HEAD, R.DEPT_STAFF, R.AUDITOR}),
    # Background jobs
    "jobs.view": frozenset({R.DEPT_HEAD, R.DEPT_STAFF, R.AUDITOR}),
    # Service desk
    "servicedesk.submit": ANY_SIGNED_IN,
    "servicedesk.request_publication": frozenset(
        {R.UNIT_HEAD, R.DEPT_HEAD, R.DEPT_STAFF, R.VICE_RECTOR}
    ),
    # A head of unit names delegates who file publication requests for the unit.
    "servicedesk.delegate": frozenset({R.UNIT_HEAD}),
    # Which team owns a system's tickets, and what the public status page lists.
    "servicedesk.configure": frozenset({R.DEPT_HEAD}),
    "servicedesk.work_queue": frozenset({R.DEPT_HEAD, R.DEPT_STAFF}),
    "servicedesk.view_all": frozenset({R.DEPT_HEAD, R.DEPT_STAFF, R.AUDITOR}),
    "servicedesk.figures": frozenset({R.DEPT_HEAD, R.VICE_RECTOR, R.AUDITOR}),
}


def can(user, capability: str) -> bool:
    try:
        allowed = CAPABILITIES[capability]
    except KeyError:
        raise KeyError(f"unknown capability {capability!r}") from None
    return bool(roles_for(user) & allowed)


def deny(request, capability: str) -> PermissionDenied:
    """Log the refusal in the audit log and return the exception to raise."""
    from tirek.core.audit import record
    from tirek.core.models import AuditAction

    record(
        AuditAction.PERMISSION_DENIED,
        object_type="url",
        object_id=request.path[:64],
        object_repr=request.path,
        extra={"capability": capability, "method": request.method},
        # DRF token callers are authenticated after the middleware set the audit context.
        actor=getattr(request, "user", None),
    )
    return PermissionDenied(capability)


class CapabilityRequiredMixin(AccessMixin):
    """A view that needs one of `capabilities` (any of them)."""

    capabilities: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not any(can(request.user, c) for c in self.capabilities):
            raise deny(request, ",".join(self.capabilities))
        return super().dispatch(request, *args, **kwargs)


def capability_required(*capabilities: str) -> Callable:
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not any(can(request.user, c) for c in capabilities):
                raise deny(request, ",".join(capabilities))
            return view(request, *args, **kwargs)

        wrapped.capabilities = capabilities
        return wrapped

    return decorator


class HasCapability(BasePermission):
    """DRF: the view's `capabilities` attribute lists what a caller needs (any of them)."""

    def has_permission(self, request, view) -> bool:
        needed = getattr(view, "capabilities", ())
        if not request.user or not request.user.is_authenticated:
            return False
        if any(can(request.user, c) for c in needed):
            return True
        deny(request, ",".join(needed))
        return False
