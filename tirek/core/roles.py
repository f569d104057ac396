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
_PERSON_ATTR = "_tirek_person_id"


def roles_for(user) -> frozenset[Role]:
    """Every role `user` holds now; cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    _load(user)
    return getattr(user, _CACHE_ATTR)


def own_person_id(user) -> int | None:
    """The id of the Person record linked to `user`, read with the roles (no query of its own)."""
    roles_for(user)  # reads the person too (nothing for anonymous or inactive users)
    return getattr(user, _PERSON_ATTR, None)


def _load(user) -> None:
    # Every signed-in page needs the roles (menu, permission checks) and the person (the
    # profile link): one hand-written query instead of four ORM ones, which cost more to build
    # in Python than to run. The SQL is plain enough for SQLite and PostgreSQL alike.
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connections

    from tirek.people.roles import derived_roles_sql  # people builds on core, not the reverse

    User = get_user_model()
    through = User.groups.through._meta
    # Table and column names come from the models; every value is a parameter.
    groups = (
        f"SELECT g.name, NULL FROM {Group._meta.db_table} g "  # noqa: S608
        f"INNER JOIN {through.db_table} ug ON ug.{through.get_field('group').column} = g.id "
        f"WHERE ug.{through.get_field(User._meta.model_name).column} = %s"
    )
    derived, params = derived_roles_sql(user.pk)
    with connections[user._state.db or "default"].cursor() as cursor:
        cursor.execute(f"{groups} UNION ALL {derived}", [user.pk, *params])
        rows = cursor.fetchall()
    roles: set[Role] = set()
    person_id = None
    for code, person in rows:
        if person is None:  # a group: only the roles assigned by hand count
            if code in ASSIGNED_ROLES:
                roles.add(Role(code))
            continue
        person_id = person
        if code is not None and code not in ASSIGNED_ROLES:
            roles.add(Role(code))
    if user.is_superuser:
        roles.add(Role.DEPT_HEAD)
    setattr(user, _CACHE_ATTR, frozenset(roles))
    setattr(user, _PERSON_ATTR, person_id)


def forget_roles(user) -> None:
    for attr in (_CACHE_ATTR, _PERSON_ATTR):
        if hasattr(user, attr):
            delattr(user, attr)


def has_role(user, *roles: Role) -> bool:
    return bool(roles_for(user) & set(roles))
