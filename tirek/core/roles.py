"""The roles people hold in Tirek.

Four roles are assigned by hand (a Django group of the same code): department head, department
staff, auditor, vice-rector. The others follow from the person's record: a head of an OrgUnit is
a unit head; an active affiliation makes an employee, a faculty member or a student.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DEPT_HEAD = "dept_head", _("Department head")
    DEPT_STAFF = "dept_staff", _("Department staff")
    UNIT_HEAD = "unit_head", _("Head of unit")
    EMPLOYEE = "employee", _("Employee")
    FACULTY = "faculty", _("Faculty member")
    STUDENT = "student", _("Student")
    AUDITOR = "auditor", _("Auditor")
    VICE_RECTOR = "vice_rector", _("Vice-rector")


# Roles given by membership of the Django group with the same name.
ASSIGNED_ROLES = frozenset({Role.DEPT_HEAD, Role.DEPT_STAFF, Role.AUDITOR, Role.VICE_RECTOR})
# Roles that must use two-factor authentication.
TWO_FACTOR_ROLES = frozenset({Role.DEPT_HEAD, Role.DEPT_STAFF})

_CACHE_ATTR = "_tirek_roles"


def roles_for(user) -> frozenset[Role]:
    """Every role `user` holds now; cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    roles: set[Role] = set()
    for name in user.groups.values_list("name", flat=True):
        if name in Role.values and Role(name) in ASSIGNED_ROLES:
            roles.add(Role(name))
    if user.is_superuser:
        roles.add(Role.DEPT_HEAD)
    from tirek.people.roles import derived_roles  # people builds on core, not the reverse

    roles |= derived_roles(user)
    result = frozenset(roles)
    setattr(user, _CACHE_ATTR, result)
    return result


def forget_roles(user) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def has_role(user, *roles: Role) -> bool:
    return bool(roles_for(user) & set(roles))
