"""The pages, driven as the personas: the request → approve → provision → one-time link journey."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tirek.access import operations, services
from tirek.access.models import Account, CredentialDelivery, SystemRole
from tirek.access.permissions import decidable_approvals
from tirek.testing.personas import login_as

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def client(user) -> Client:
    return login_as(Client(HTTP_ACCEPT_LANGUAGE="en"), user)


def test_journey_request_approve_provision_one_time_link(personas, ldap_system, running_slapd):
    services.update_system(personas["dept_head"], ldap_system, owner=personas["faculty"].person)
    role = SystemRole.objects.get(system=ldap_system)
    employee = personas["employee"]
    head = client(personas["unit_head"])
    response = head.post(
        reverse("access:request_create"),
        {"person": employee.person.pk, "role": role.pk, "reason": "Deposits theses"},
    )
    assert response.status_code == 302
    req_url = response["Location"]
    owner = client(personas["faculty"])
    inbox = owner.get(reverse("access:inbox"))
    assert employee.person.last_name in inbox.content.decode()
    assert (
        employee.person.last_name
        not in client(personas["outsider"]).get(reverse("access:inbox")).content.decode()
    )
    approval = decidable_approvals(personas["faculty"]).get()
    owner.post(reverse("access:decide", args=[approval.pk]), {"decision": "approve", "comment": ""})
    assert "approved" in owner.get(req_url).content.decode()
    operations.run_due("test")
    account = Account.objects.get(person=employee.person, system=ldap_system)
    from tirek.access.models import Operation

    errors = list(Operation.objects.values_list("kind", "status", "last_error"))
    assert account.status == "active", errors
    mine = client(employee)
    page = mine.get(reverse("access:my_access")).content.decode()
    delivery = CredentialDelivery.objects.get(account=account)
    link = reverse("access:credential", args=[delivery.pk])
    assert link in page
    assert client(personas["dept_staff"]).post(link).status_code == 403
    shown = mine.post(link)
    secret = shown.context["secret"]
    assert secret in shown.content.decode() and shown["Cache-Control"] == "no-store"
    running_slapd.connect(account.external_id, secret).unbind_s()
    again = mine.post(link)
    assert again.context.get("gone") and secret not in again.content.decode()
    # The person page lists the account and the role, for the person and for staff.
    person_page = client(personas["dept_staff"]).get(
        reverse("people:person_detail", args=[employee.person.pk])
    )
    assert account.login in person_page.content.decode()


def test_staff_retry_and_cancel_from_the_needs_attention_list(personas, catalogue):
    from tirek.access.models import Operation, System
    from tirek.manualwork import services as manual
    from tirek.manualwork.models import WorkItem

    account, _ = services.create_account(
        None, personas["employee"].person, System.objects.get(code="platonus")
    )
    manual.collect()  # a manual system: the operation is a work item, and staff hit a problem
    item = WorkItem.objects.get(operation__account=account)
    manual.report_problem(personas["dept_staff"], item, note="Platonus refuses the record")
    op = Operation.objects.get(account=account)
    staff = client(personas["dept_staff"])
    listing = staff.get(reverse("access:operation_list")).content.decode()
    assert account.login in listing and "Platonus refuses the record" in listing
    staff.post(
        reverse("access:operation_action", args=[op.pk, "retry"]), {"next": "https://evil.example/"}
    )
    assert Operation.objects.get(pk=op.pk).status == "pending"
    response = staff.post(reverse("access:operation_action", args=[op.pk, "cancel"]))
    assert response["Location"] == reverse("access:operation_list")
    assert Operation.objects.get(pk=op.pk).status == "cancelled"
    assert (
        client(personas["auditor"])
        .post(reverse("access:operation_action", args=[op.pk, "retry"]))
        .status_code
        == 403
    )


def test_system_edit_refuses_secrets(personas, catalogue):
    staff = client(personas["dept_staff"])
    url = reverse("access:system_edit", args=["ldap"])
    response = staff.post(
        url,
        {
            "name_kk": "LDAP",
            "connector_kind": "ldap",
            "login_pattern": "{first}.{last}",
            "max_concurrency": 2,
            "max_per_minute": 0,
            "is_active": "on",
            "connector_settings": '{"bind_password": "hunter2"}',
            "approval_chain": ["owner"],
        },
    )
    assert response.status_code == 200 and "environment variable" in response.content.decode()
    response = staff.post(
        url,
        {
            "name_kk": "LDAP",
            "connector_kind": "ldap",
            "login_pattern": "{first}.{last}",
            "max_concurrency": 2,
            "max_per_minute": 0,
            "is_active": "on",
            "connector_settings": '{"secret_env": "TIREK_LDAP_BIND_PASSWORD"}',
            "approval_chain": ["owner", "unit_head"],
        },
    )
    assert response.status_code == 302
    from tirek.access.models import System

    assert System.objects.get(code="ldap").approval_chain == ["unit_head", "owner"]
