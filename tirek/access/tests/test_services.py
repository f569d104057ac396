"""Logins, passwords, grants, requests and approvals, one-time credentials."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tirek.access import credentials, logins, services
from tirek.access.models import (
    AccessRequest,
    Account,
    AccountStatus,
    ApprovalStatus,
    CredentialDelivery,
    Operation,
    OperationKind,
    OperationStatus,
    RequestStatus,
    System,
    SystemRole,
)
from tirek.access.permissions import decidable_approvals, visible_accounts
from tirek.access.tests.conftest import make_person
from tirek.core.models import AuditEvent

pytestmark = pytest.mark.usefixtures("catalogue")


def test_catalogue_is_loaded_with_roles():
    codes = set(System.objects.values_list("code", flat=True))
    assert {"ldap", "platonus", "arta-synergy", "rating", "irbis64", "kabis", "ojs", "dspace",
            "bbb", "hr", "perco", "eotinish", "yandex360"} <= codes  # fmt: skip
    platonus = set(
        SystemRole.objects.filter(system__code="platonus").values_list("code", flat=True)
    )
    assert platonus == {"student", "teacher", "adviser", "registrar"}
    assert {"author", "reviewer", "editor", "journal-manager"} == set(
        SystemRole.objects.filter(system__code="ojs").values_list("code", flat=True)
    )
    for system in System.objects.all():
        assert system.name_kk and system.name_ru and system.name_en and system.description_en
        assert "password" not in system.connector_settings  # secrets only from the env


def test_login_patterns_and_collisions_never_reuse_a_leavers_login():
    system = System.objects.get(code="dspace")
    a = make_person("Жұмабаева", "Әйгерім")
    assert logins.base_login("{first}.{last}", a) == "aigerim.zhumabaeva"
    assert logins.base_login("{f}.{last}", a) == "a.zhumabaeva"
    acc_a, _ = services.create_account(None, a, system)
    assert acc_a.login == "aigerim.zhumabaeva"
    services.delete_account(None, acc_a)  # a leaver
    b = make_person("Жұмабаева", "Әйгерім")  # a namesake joins later
    acc_b, _ = services.create_account(None, b, system)
    assert acc_b.login == "aigerim.zhumabaeva2"
    # The leaver comes back: their own login again, on the same account row.
    acc_a2, _ = services.create_account(None, a, system)
    assert (acc_a2.pk, acc_a2.login, acc_a2.status) == (acc_a.pk, acc_a.login, "pending")


def test_password_generator_follows_the_policy():
    for _ in range(200):
        pw = credentials.generate_password(
            {"length": 14, "classes": ["lower", "upper", "digit", "symbol"]}
        )
        assert len(pw) == 14
        assert not set(pw) & credentials.AMBIGUOUS
        assert any(c.islower() for c in pw) and any(c.isupper() for c in pw)
        assert any(c.isdigit() for c in pw) and any(c in "!#%+-=?@_" for c in pw)
    assert len(credentials.generate_password({"length": 3})) == 8  # never shorter than 8
    assert len(credentials.generate_password({"length": 300})) == 300


def test_no_plaintext_password_in_database_or_audit(personas):
    system = System.objects.get(code="dspace")
    person = personas["employee"].person
    account, token = services.create_account(personas["dept_staff"], person, system)
    op = Operation.objects.get(account=account, kind=OperationKind.CREATE)
    delivery = CredentialDelivery.objects.get(account=account)
    password = credentials.decrypt(op.secret)
    assert credentials.decrypt(delivery.secret) == password
    assert token not in delivery.token_hash and len(delivery.token_hash) == 64
    assert password.encode() not in bytes(op.secret) + bytes(delivery.secret)
    for event in AuditEvent.objects.all():
        assert password not in str(event.changes) and token not in str(event.changes)


def test_one_time_credential_only_for_the_person_and_only_once(personas):
    system = System.objects.get(code="dspace")
    employee = personas["employee"]
    account, token = services.create_account(personas["dept_staff"], employee.person, system)
    with pytest.raises(services.CredentialUnavailable):
        services.view_credential(personas["dept_staff"], token)  # staff may not read it
    assert AuditEvent.objects.filter(action="permission_denied", object_id=str(account.pk)).exists()
    acc, secret = services.view_credential(employee, token)
    assert acc == account and len(secret) >= 12
    with pytest.raises(services.CredentialUnavailable):
        services.view_credential(employee, token)  # single view
    delivery = CredentialDelivery.objects.get(account=account)
    assert delivery.secret is None and delivery.viewed_at is not None
    with pytest.raises(services.CredentialUnavailable):
        services.view_credential(employee, "not-a-token")


def test_expired_credentials_are_wiped(personas):
    system = System.objects.get(code="dspace")
    account, token = services.create_account(None, personas["employee"].person, system)
    CredentialDelivery.objects.filter(account=account).update(expires_at=timezone.now())
    with pytest.raises(services.CredentialUnavailable):
        services.view_credential(personas["employee"], token)
    assert services.wipe_expired_credentials() == 1
    assert CredentialDelivery.objects.get(account=account).secret is None


def test_reset_password_makes_a_new_delivery_and_wipes_the_old(personas):
    system = System.objects.get(code="dspace")
    account, first = services.create_account(None, personas["employee"].person, system)
    second = services.reset_password(personas["dept_staff"], account)
    with pytest.raises(services.CredentialUnavailable):
        services.view_credential(personas["employee"], first)
    _, secret = services.view_credential(personas["employee"], second)
    op = Operation.objects.get(account=account, kind=OperationKind.SET_PASSWORD)
    assert credentials.decrypt(op.secret) == secret


def _owned_dspace(personas, owner_role="faculty"):
    system = System.objects.get(code="dspace")
    services.update_system(personas["dept_head"], system, owner=personas[owner_role].person)
    return system, SystemRole.objects.get(system=system, code="submitter")


def test_unit_head_requests_for_staff_then_owner_approves(personas):
    system, role = _owned_dspace(personas)
    head, employee, owner = personas["unit_head"], personas["employee"], personas["faculty"]
    req = services.request_access(head, employee.person, role, reason="Deposits theses")
    steps = list(req.approvals.values_list("step", "status"))
    # The head asked: their step is approved by the asking; the owner's is next.
    assert steps == [("unit_head", ApprovalStatus.APPROVED), ("owner", ApprovalStatus.PENDING)]
    assert list(decidable_approvals(head)) == []
    assert list(decidable_approvals(personas["outsider"])) == []
    (step,) = decidable_approvals(owner)
    with pytest.raises(PermissionDenied):
        services.decide(personas["outsider"], step, approve=True)
    services.decide(owner, step, approve=True, comment="ok")
    req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED
    account = Account.objects.get(person=employee.person, system=system)
    assert account.grants.get().role == role
    kinds = list(Operation.objects.filter(account=account).values_list("kind", flat=True))
    assert kinds == [OperationKind.CREATE, OperationKind.ADD_TO_GROUP]


def test_employee_asks_for_self_unit_head_then_owner(personas):
    _system, role = _owned_dspace(personas)
    employee = personas["employee"]
    req = services.request_access(
        employee,
        employee.person,
        role,
        reason="Need it",
        valid_until=dt.date.today() + dt.timedelta(days=30),
    )
    assert list(decidable_approvals(personas["faculty"])) == []  # owner waits for the head
    (step,) = decidable_approvals(personas["unit_head"])
    services.decide(personas["unit_head"], step, approve=True)
    (step,) = decidable_approvals(personas["faculty"])
    with pytest.raises(ValidationError):
        services.decide(personas["faculty"], step, approve=False)  # a rejection needs a reason
    services.decide(personas["faculty"], step, approve=False, comment="Not a researcher")
    req.refresh_from_db()
    assert req.status == RequestStatus.REJECTED
    assert not Account.objects.filter(person=employee.person).exists()


def test_who_may_request_for_whom(personas):
    _system, role = _owned_dspace(personas)
    with pytest.raises(PermissionDenied):  # an employee for a colleague
        services.request_access(personas["outsider"], personas["employee"].person, role, reason="x")
    with pytest.raises(PermissionDenied):  # a unit head outside their units
        services.request_access(
            personas["unit_head"], personas["outsider"].person, role, reason="x"
        )
    with pytest.raises(ValidationError):
        services.request_access(personas["employee"], personas["employee"].person, role, reason=" ")
    with pytest.raises(ValidationError):
        services.request_access(
            personas["employee"], personas["employee"].person, role, reason="x",
            valid_until=dt.date(2000, 1, 1),
        )  # fmt: skip
    services.request_access(personas["employee"], personas["employee"].person, role, reason="x")
    with pytest.raises(ValidationError):  # the same one twice
        services.request_access(personas["employee"], personas["employee"].person, role, reason="x")


def test_system_without_owner_falls_to_the_department_head(personas):
    role = SystemRole.objects.get(system__code="ojs", code="author")
    req = services.request_access(
        personas["unit_head"], personas["employee"].person, role, reason="x"
    )
    assert [a.step for a in req.approvals.all()] == ["unit_head", "owner", "dept_head"]
    (step,) = decidable_approvals(personas["dept_head"])
    services.decide(personas["dept_head"], step, approve=True)
    assert AccessRequest.objects.get(pk=req.pk).status == RequestStatus.APPROVED


def test_revoke_and_disable_write_operations(personas):
    _system, role = _owned_dspace(personas)
    grant = services.grant_role(
        personas["dept_staff"], personas["employee"].person, role, reason="x"
    )
    account = grant.account
    services.revoke_grant(personas["dept_staff"], grant, reason="moved")
    services.disable_account(personas["dept_staff"], account)
    account.refresh_from_db()
    assert account.status == AccountStatus.DISABLED
    kinds = list(Operation.objects.filter(account=account).values_list("kind", flat=True))
    assert kinds[-2:] == [OperationKind.REMOVE_FROM_GROUP, OperationKind.DISABLE]
    op = Operation.objects.filter(account=account).last()
    with pytest.raises(ValidationError):
        services.retry_operation(personas["dept_staff"], op)  # still pending: nothing to retry
    services.cancel_operation(personas["dept_staff"], op)
    assert Operation.objects.get(pk=op.pk).status == OperationStatus.CANCELLED


def test_visible_accounts_are_scoped(personas):
    system = System.objects.get(code="dspace")
    mine, _ = services.create_account(None, personas["employee"].person, system)
    other, _ = services.create_account(None, personas["outsider"].person, system)
    assert set(visible_accounts(personas["dept_staff"])) >= {mine, other}
    assert set(visible_accounts(personas["employee"])) == {mine}
    assert mine in visible_accounts(personas["unit_head"])
    assert other not in visible_accounts(personas["unit_head"])
    assert not visible_accounts(personas["student"]).exists()


def test_settings_with_a_secret_are_refused(personas):
    system = System.objects.get(code="ldap")
    with pytest.raises(ValidationError):
        services.update_system(
            personas["dept_head"], system, connector_settings={"bind_password": "x"}
        )
    services.update_system(personas["dept_head"], system, connector_settings={"secret_env": "X"})


@pytest.mark.django_db
def test_onboard_writes_every_row_create_account_would():
    from tirek.access.models import CredentialDelivery, LoginReservation, Operation, System

    system = System.objects.get(code="platonus")
    system.login_pattern = "{f}.{last}"
    system.save()
    first = make_person("Ахметова", "Айгерім")
    twin = make_person("Ахметова", "Айжан")  # the same login base: a.akhmetova
    before = AuditEvent.objects.count()
    accounts = services.onboard(None, system, [first, twin])
    assert {a.login for a in accounts} == {"a.akhmetova", "a.akhmetova2"}
    for account in accounts:
        account = Account.objects.get(pk=account.pk)
        assert account.status == AccountStatus.PENDING and account.system == system
        assert LoginReservation.objects.get(system=system, login=account.login).person_id == (
            account.person_id
        )
        op = Operation.objects.get(account=account)
        assert (op.kind, op.status, op.attempts, op.payload) == ("create", "pending", 0, {})
        assert op.system == system and op.next_attempt_at <= timezone.now()
        assert op.idempotency_key.startswith(f"create:{account.pk}:") and op.created_at
        delivery = CredentialDelivery.objects.get(account=account)
        assert len(delivery.token_hash) == 64 and delivery.expires_at > timezone.now()
        # The operation carries the very password the one-time link will show.
        assert credentials.decrypt(op.secret) == credentials.decrypt(delivery.secret)
    assert AuditEvent.objects.count() == before + 1
    # Again: people who have an account already are left as they are.
    assert services.onboard(None, system, [first, twin]) == []
    assert Operation.objects.filter(account__system=system).count() == 2
