"""Roles that follow from a person's record rather than from an assigned group."""

from __future__ import annotations

from tirek.core.roles import Role

# An affiliation of these kinds makes the role of the same code.
_KIND_ROLES = (Role.EMPLOYEE, Role.FACULTY, Role.STUDENT)


def derived_roles_sql(user_pk: int) -> tuple[str, list]:
    """SQL (and its parameters) whose rows are (role code or NULL, person id) for the person
    linked to the user: a row per kind of current affiliation (one with NULL when there is
    none), and unit_head when the person heads an active unit. No row when no person is linked.
    tirek.core.roles runs it in one query with the user's groups."""
    from tirek.people.models import CURRENT_STATUSES, Affiliation, OrgUnit, Person

    person = Person._meta
    affiliation = Affiliation._meta
    unit = OrgUnit._meta

    def col(meta, name: str) -> str:
        return meta.get_field(name).column

    kinds = ", ".join(["%s"] * len(_KIND_ROLES))
    statuses = ", ".join(["%s"] * len(CURRENT_STATUSES))
    # Table and column names come from the models; every value is a parameter.
    sql = (
        f"SELECT DISTINCT a.{col(affiliation, 'kind')}, p.id FROM {person.db_table} p "  # noqa: S608
        f"LEFT JOIN {affiliation.db_table} a ON a.{col(affiliation, 'person')} = p.id "
        f"AND a.{col(affiliation, 'kind')} IN ({kinds}) "
        f"AND a.{col(affiliation, 'status')} IN ({statuses}) "
        f"WHERE p.{col(person, 'user')} = %s "
        f"UNION ALL SELECT '{Role.UNIT_HEAD.value}', p.id FROM {person.db_table} p "
        f"WHERE p.{col(person, 'user')} = %s AND EXISTS (SELECT 1 FROM {unit.db_table} u "
        f"WHERE u.{col(unit, 'head')} = p.id AND u.{col(unit, 'is_active')})"
    )
    params = [
        *(r.value for r in _KIND_ROLES),
        *(str(s) for s in CURRENT_STATUSES),
        user_pk,
        user_pk,
    ]
    return sql, params
