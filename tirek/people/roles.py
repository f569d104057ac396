"""Roles that follow from a person's record rather than from an assigned group."""

from __future__ import annotations

from tirek.core.roles import Role

_KIND_ROLE = {"employee": Role.EMPLOYEE, "faculty": Role.FACULTY, "student": Role.STUDENT}


def derived_roles(user) -> set[Role]:
    """unit_head if the user's person heads an active unit; employee/faculty/student for each
    kind of current affiliation. Two queries, none when the user has no id."""
    from tirek.people.models import Affiliation, OrgUnit

    if user is None or not getattr(user, "pk", None):
        return set()
    roles: set[Role] = set()
    kinds = (
        Affiliation.objects.current()
        .filter(person__user_id=user.pk)
        .values_list("kind", flat=True)
        .distinct()
    )
    roles.update(_KIND_ROLE[k] for k in kinds if k in _KIND_ROLE)
    if OrgUnit.objects.filter(head__user_id=user.pk, is_active=True).exists():
        roles.add(Role.UNIT_HEAD)
    return roles
