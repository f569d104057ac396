"""The department head's user administration: roles by hand, 2FA reset, lockouts, on/off."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from tirek.core.models import AuditAction, AuditEvent
from tirek.core.roles import Role, forget_roles, roles_for
from tirek.security import users

pytestmark = pytest.mark.django_db


def detail(user) -> str:
    return reverse("security:user_detail", args=[user.pk])


def action(user, name: str) -> str:
    return reverse("security:user_action", args=[user.pk, name])


def test_head_gives_and_takes_roles_audited(personas, client_for):
    employee = personas["employee"]
    head = client_for("dept_head")
    response = head.post(detail(employee), {"roles": ["dept_staff", "auditor"]})
    assert response.status_code == 302
    forget_roles(employee)
    assert {Role.DEPT_STAFF, Role.AUDITOR} <= roles_for(employee)
    event = (
        AuditEvent.objects.filter(object_id=str(employee.pk), action=AuditAction.UPDATE)
        .order_by("id")
        .last()
    )
    assert event.changes["after"]["roles"] == ["auditor", "dept_staff"]

    head.post(detail(employee), {"roles": []})
    forget_roles(employee)
    assert not roles_for(employee) & {Role.DEPT_STAFF, Role.AUDITOR}
    # Derived roles are not touched by the form.
    assert Role.EMPLOYEE in roles_for(employee)


def test_roles_that_follow_from_records_cannot_be_given(personas, client_for):
    employee = personas["employee"]
    response = client_for("dept_head").post(detail(employee), {"roles": ["student"]})
    assert response.status_code == 200  # the form refuses the choice
    assert response.context["form"].errors["roles"]
    with pytest.raises(users.UserAdminError):
        users.set_assigned_roles(personas["dept_head"], employee, ["unit_head"])
    assert not employee.groups.filter(name="unit_head").exists()


def test_head_cannot_demote_or_switch_off_themself(personas, client_for):
    head_user = personas["dept_head"]
    head = client_for("dept_head")
    head.post(detail(head_user), {"roles": []}, follow=True)
    assert head_user.groups.filter(name=Role.DEPT_HEAD).exists()
    with pytest.raises(users.UserAdminError):
        users.set_active(head_user, head_user, False)
    head_user.refresh_from_db()
    assert head_user.is_active


def test_the_last_department_head_stays(personas):
    head_user, other = personas["dept_head"], personas["dept_staff"]
    users.set_assigned_roles(head_user, other, ["dept_head"])
    users.set_assigned_roles(other, head_user, [])  # two heads: one may step down
    forget_roles(head_user)
    assert Role.DEPT_HEAD not in roles_for(head_user)
    # Now `other` is the only head: nobody can demote or switch them off.
    with pytest.raises(users.UserAdminError):
        users.set_assigned_roles(head_user, other, [])
    with pytest.raises(users.UserAdminError):
        users.set_active(head_user, other, False)
    other.refresh_from_db()
    assert other.is_active and other.groups.filter(name=Role.DEPT_HEAD).exists()


def test_switch_off_and_on_ends_access(personas, client_for, login_as):
    from django.test import Client

    employee = personas["employee"]
    employee_client = login_as(Client(), employee)
    assert employee_client.get(reverse("core:home")).status_code == 200
    head = client_for("dept_head")
    assert head.post(action(employee, "deactivate")).status_code == 302
    employee.refresh_from_db()
    assert not employee.is_active
    # The employee's open session no longer works.
    assert employee_client.get(reverse("core:home")).status_code == 302
    head.post(action(employee, "activate"))
    employee.refresh_from_db()
    assert employee.is_active
    events = AuditEvent.objects.filter(
        object_id=str(employee.pk), action=AuditAction.UPDATE
    ).order_by("id")
    assert [e.changes["after"]["is_active"] for e in events] == [False, True]


def test_reset_two_factor_and_unlock(personas, client_for, settings):
    staff = personas["dept_staff"]
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    AccessAttempt.objects.create(
        username=staff.username,
        ip_address="10.0.0.9",
        user_agent="x",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
        attempt_time=timezone.now(),
        get_data="",
        post_data="",
    )
    head = client_for("dept_head")
    page = head.get(detail(staff))
    assert page.context["has_two_factor"] and page.context["locked_out"]
    head.post(action(staff, "reset-2fa"))
    head.post(action(staff, "unlock"))
    assert not TOTPDevice.objects.filter(user=staff, name="phone").exists()
    assert not AccessAttempt.objects.filter(username=staff.username).exists()
    page = head.get(detail(staff))
    assert not page.context["locked_out"]
    assert AuditEvent.objects.filter(action=AuditAction.TWO_FACTOR, object_id=str(staff.pk))


def test_unknown_action_and_denials(personas, client_for):
    employee = personas["employee"]
    assert client_for("dept_head").post(action(employee, "explode")).status_code == 404
    for role in ("dept_staff", "auditor", "unit_head", "employee"):
        client = client_for(role)
        assert client.get(reverse("security:user_list")).status_code == 403
        assert client.post(detail(employee), {"roles": ["dept_head"]}).status_code == 403
    assert not employee.groups.filter(name=Role.DEPT_HEAD).exists()


def test_list_search_and_role_filter(personas, client_for):
    Group.objects.get_or_create(name="auditor")
    head = client_for("dept_head")
    listed = head.get(reverse("security:user_list"), {"role": "auditor"})
    logins = {row["user"].username for row in listed.context["rows"]}
    assert personas["auditor"].username in logins
    assert personas["employee"].username not in logins
    found = head.get(reverse("security:user_list"), {"q": personas["student"].username})
    assert [r["user"] for r in found.context["rows"]] == [personas["student"]]
