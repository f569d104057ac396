"""Roles and the linked person are read in one query: what counts, what does not."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from tirek.core.roles import Role, forget_roles, own_person_id, roles_for
from tirek.people.models import Affiliation, AffiliationStatus, OrgUnit

pytestmark = pytest.mark.django_db


def fresh(user):
    """The user as the next request loads it: nothing remembered."""
    return get_user_model().objects.get(pk=user.pk)


def test_each_persona_holds_its_role_and_its_person(personas):
    expected = {
        "dept_head": {Role.DEPT_HEAD, Role.EMPLOYEE},
        "dept_staff": {Role.DEPT_STAFF, Role.EMPLOYEE},
        "unit_head": {Role.UNIT_HEAD, Role.FACULTY},
        "employee": {Role.EMPLOYEE},
        "faculty": {Role.FACULTY},
        "student": {Role.STUDENT},
        "auditor": {Role.AUDITOR},
        "vice_rector": {Role.VICE_RECTOR, Role.EMPLOYEE},
        "outsider": {Role.EMPLOYEE},
    }
    for name, roles in expected.items():
        user = fresh(personas[name])
        assert roles_for(user) == roles, name
        assert own_person_id(user) == personas[name].person.pk, name


def test_roles_and_person_cost_one_query(personas, django_assert_num_queries):
    user = fresh(personas["unit_head"])
    with django_assert_num_queries(1):
        assert Role.UNIT_HEAD in roles_for(user)
        assert own_person_id(user) == personas["unit_head"].person.pk
        roles_for(user)


def test_only_groups_of_assigned_roles_count(personas):
    user = fresh(personas["outsider"])
    for name in ("student", "unit_head", "faculty", "helpdesk"):
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    assert roles_for(fresh(user)) == {Role.EMPLOYEE}
    user.groups.add(Group.objects.get_or_create(name="dept_staff")[0])
    assert roles_for(fresh(user)) == {Role.EMPLOYEE, Role.DEPT_STAFF}


def test_ended_affiliations_give_no_role_and_leave_keeps_one(personas):
    student = personas["student"]
    affiliation = Affiliation.objects.get(person=student.person)
    affiliation.status = AffiliationStatus.ACADEMIC_LEAVE
    affiliation.save()
    assert roles_for(fresh(student)) == {Role.STUDENT}
    for status in set(AffiliationStatus.values) - {"active", "academic_leave"}:
        affiliation.status = status
        affiliation.save()
        user = fresh(student)
        assert roles_for(user) == frozenset(), status
        # Still the same person: the profile link stays.
        assert own_person_id(user) == student.person.pk


def test_heading_an_inactive_unit_is_not_heading(personas, org):
    unit_head = personas["unit_head"]
    OrgUnit.objects.filter(pk=org.inst_a.pk).update(is_active=False)
    assert roles_for(fresh(unit_head)) == {Role.FACULTY}


def test_user_without_person_superuser_and_inactive(personas):
    User = get_user_model()
    bare = User.objects.create(username="bare")
    assert roles_for(bare) == frozenset()
    assert own_person_id(bare) is None
    root = User.objects.create(username="root", is_superuser=True)
    assert roles_for(root) == {Role.DEPT_HEAD}
    gone = fresh(personas["dept_staff"])
    gone.is_active = False
    assert roles_for(gone) == frozenset()
    assert own_person_id(gone) is None


def test_forget_roles_reads_again(personas):
    user = fresh(personas["employee"])
    assert roles_for(user) == {Role.EMPLOYEE}
    user.groups.add(Group.objects.get_or_create(name="auditor")[0])
    assert roles_for(user) == {Role.EMPLOYEE}  # remembered for the request
    forget_roles(user)
    assert roles_for(user) == {Role.EMPLOYEE, Role.AUDITOR}
