"""The outbox carried out against a real slapd: idempotence, backoff, faults."""

from __future__ import annotations

import ldap
import pytest
from django.utils import timezone

from tirek.access import operations, services
from tirek.access.models import (
    Account,
    AccountStatus,
    CredentialDelivery,
    Operation,
    OperationKind,
    OperationStatus,
    SystemRole,
)
from tirek.access.tests.conftest import make_person
from tirek.connectors.ldap import LDAPConnector

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _make_due():
    Operation.objects.exclude(status__in=["done", "cancelled"]).update(
        next_attempt_at=timezone.now()
    )


def entries(slapd, login: str, system) -> int:
    conn = slapd.connect()
    base = system.connector_settings["base_dn"]
    try:
        return len(conn.search_s(base, ldap.SCOPE_SUBTREE, f"(uid={login})", ["uid"]))
    finally:
        conn.unbind_s()


def test_grant_is_provisioned_and_the_one_time_password_works(ldap_system, running_slapd):
    person = make_person("Сейітов", "Нұрлан", email="n.seitov@ksu.edu.kz")
    person.user = None
    role = SystemRole.objects.get(system=ldap_system)
    grant = services.grant_role(None, person, role, reason="new staff")
    outcome = operations.run_due("test")
    assert len(outcome.done) == 2 and not outcome.attention
    account = Account.objects.get(pk=grant.account_id)
    assert account.status == AccountStatus.ACTIVE and account.last_synced_at
    assert account.external_id == f"uid={account.login},{ldap_system.connector_settings['base_dn']}"
    assert Operation.objects.get(account=account, kind=OperationKind.CREATE).secret is None
    # The one-time secret is the password that now opens the directory.
    from tirek.access import credentials

    secret = credentials.decrypt(CredentialDelivery.objects.get(account=account).secret)
    running_slapd.connect(account.external_id, secret).unbind_s()
    conn = LDAPConnector(ldap_system.connector_settings)
    assert conn.groups_of(operations.account_data(account)) == [role.target_group]
    # Re-running a done operation changes nothing.
    Operation.objects.filter(account=account).update(status=OperationStatus.PENDING)
    assert len(operations.run_due("again").done) == 2
    assert entries(running_slapd, account.login, ldap_system) == 1
    conn.close()


def test_order_is_kept_per_account_and_failures_back_off(ldap_system, running_slapd, monkeypatch):
    person = make_person("Петров", "Сергей")
    account, _ = services.create_account(None, person, ldap_system)
    services.enqueue(account, OperationKind.ADD_TO_GROUP, payload={"group": "g-order"})
    calls = {"n": 0}
    real = LDAPConnector.create

    def flaky(self, data, password):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ldap.OTHER({"desc": "transient"})
        return real(self, data, password)

    monkeypatch.setattr(LDAPConnector, "create", flaky)
    outcome = operations.run_due("t")
    create = Operation.objects.get(account=account, kind="create")
    group = Operation.objects.get(account=account, kind="add_to_group")
    assert create.status == OperationStatus.FAILED and "transient" in create.last_error
    assert create.next_attempt_at > timezone.now()  # backing off
    assert group.status == OperationStatus.PENDING  # never ran before the account exists
    assert outcome.retry == [create.pk]
    _make_due()
    operations.run_due("t")
    assert set(Operation.objects.filter(account=account).values_list("status", flat=True)) == {
        "done"
    }


def test_needs_attention_after_the_budget_then_retry(ldap_system, monkeypatch):
    account, _ = services.create_account(None, make_person("Ахметов", "Қанат"), ldap_system)

    def boom(*args):
        raise ldap.OTHER({"desc": "boom"})

    with monkeypatch.context() as patch:
        patch.setattr(LDAPConnector, "create", boom)
        for _ in range(operations.MAX_ATTEMPTS):
            _make_due()
            operations.run_due("t")
    op = Operation.objects.get(account=account)
    assert op.status == OperationStatus.NEEDS_ATTENTION and op.attempts == operations.MAX_ATTEMPTS
    assert "boom" in op.last_error
    services.retry_operation(None, op)
    operations.run_due("t")
    assert Operation.objects.get(pk=op.pk).status == OperationStatus.DONE


def test_worker_killed_mid_operation_is_retried_and_completes_once(ldap_system, running_slapd):
    account, _ = services.create_account(None, make_person("Смирнов", "Андрей"), ldap_system)
    (op,) = operations.claim("doomed")
    # The worker reached the directory, then died before recording anything.
    LDAPConnector(ldap_system.connector_settings).create(operations.account_data(account), None)
    assert Operation.objects.get(pk=op.pk).status == OperationStatus.RUNNING
    assert operations.claim("other") == []  # the lease still holds
    Operation.objects.filter(pk=op.pk).update(lease_expires_at=timezone.now())
    outcome = operations.run_due("survivor")
    assert outcome.done == [op.pk]
    assert Operation.objects.get(pk=op.pk).attempts == 2
    assert entries(running_slapd, account.login, ldap_system) == 1
    # The dead worker's late write is not taken: the claim is no longer its.
    operations._record([(op, OperationStatus.NEEDS_ATTENTION, "late", {})], operations.Outcome())
    assert Operation.objects.get(pk=op.pk).status == OperationStatus.DONE


def test_concurrency_limit_holds_back_a_second_worker(ldap_system):
    ldap_system.max_concurrency = 1
    ldap_system.save()
    for i in range(3):
        services.create_account(None, make_person("Тест", f"Лимит{i}"), ldap_system)
    first = operations.claim("a", limit=1)
    assert len(first) == 1
    assert operations.claim("b") == []


def test_worker_leaves_manual_systems_to_staff(catalogue):
    from tirek.access.models import System

    account, _ = services.create_account(
        None, make_person("Қолмен", "Жүйе"), System.objects.get(code="platonus")
    )
    assert operations.claim("t") == []
    operations.run_due("t", time_budget=1)
    op = Operation.objects.get(account=account)
    assert op.status == OperationStatus.PENDING and op.attempts == 0
