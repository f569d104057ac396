"""Faults at the issue's size: a 1,000-account intake while the target dies and comes back.

Each test checks the target itself (the directory, the SCIM server's store), not only Tirek's
rows: every account exists exactly once, every operation is done exactly once (one attempt that
counts, one "done" in the audit log), none is lost.
"""

from __future__ import annotations

import threading

import ldap
import pytest
from django.utils import timezone
from ldap.ldapobject import SimpleLDAPObject

from tirek.access import operations, services
from tirek.access.models import Account, AccountStatus, Operation, OperationStatus
from tirek.connectors.scim import SCIMConnector
from tirek.core.models import AuditEvent
from tirek.people.models import Person

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

N = 1000
BATCH = 200


def intake(system, tag: str, n: int = N) -> list[Account]:
    """n new students (bulk rows: the people are not under test) onboarded into `system`."""
    Person.objects.bulk_create(
        Person(last_name="Студент", first_name=f"{tag}{i}", platonus_id=f"{tag}{i:05d}")
        for i in range(n)
    )
    system.login_pattern = "s{student_number}"
    system.save()
    people = list(Person.objects.filter(platonus_id__startswith=tag))
    return services.onboard(None, system, people)


def make_due() -> None:
    Operation.objects.exclude(status__in=["done", "cancelled"]).update(
        next_attempt_at=timezone.now()
    )


def statuses(system) -> dict[str, int]:
    rows = Operation.objects.filter(system=system).values_list("status", flat=True)
    out: dict[str, int] = {}
    for status in rows:
        out[status] = out.get(status, 0) + 1
    return out


def assert_done_exactly_once(system, accounts: list[Account]) -> None:
    ops = list(Operation.objects.filter(system=system))
    assert len(ops) == len(accounts)  # one create per account, none added, none lost
    assert {op.account_id for op in ops} == {a.pk for a in accounts}
    assert {op.status for op in ops} == {OperationStatus.DONE}
    # An outage gives the attempt back: each operation counted one attempt, the one that worked.
    assert {op.attempts for op in ops} == {1}
    assert not any(op.secret for op in ops)
    # The audit log names each operation done once, across all the batches.
    done = [
        pk
        for event in AuditEvent.objects.filter(object_type="access.operation", object_id="batch")
        for pk in event.changes["extra"]["done"]
    ]
    assert sorted(done) == sorted(op.pk for op in ops)
    for account in Account.objects.filter(system=system):
        assert account.status == AccountStatus.ACTIVE and account.external_id


def directory_entries(slapd, base: str) -> list[tuple[str, str]]:
    conn = slapd.connect()
    try:
        rows = conn.search_s(base, ldap.SCOPE_ONELEVEL, "(uid=*)", ["uid", "employeeNumber"])
    finally:
        conn.unbind_s()
    return [(e["uid"][0].decode(), e["employeeNumber"][0].decode()) for _dn, e in rows]


def test_slapd_killed_mid_batch_of_1000_then_restarted(ldap_system, running_slapd, monkeypatch):
    accounts = intake(ldap_system, "L")
    assert len(accounts) == N
    real = SimpleLDAPObject.add_ext
    calls = {"n": 0}

    def kill_midway(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 450:
            # SIGKILL from another thread while adds are on their way: they may land or not.
            threading.Thread(target=running_slapd.kill).start()
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SimpleLDAPObject, "add_ext", kill_midway)
    first = operations.run_due("t", batch=BATCH)
    assert 0 < len(first.done) < N and not first.retry and not first.attention
    assert statuses(ldap_system) == {"done": len(first.done), "pending": N - len(first.done)}

    # Still down: nothing is lost, nothing fails, no attempt is used up.
    make_due()
    again = operations.run_due("t", batch=BATCH)
    assert not again.done and not again.retry and not again.attention
    assert Operation.objects.filter(status="pending", attempts=0).count() == N - len(first.done)

    running_slapd.start()
    make_due()
    operations.run_due("t", batch=BATCH)
    assert statuses(ldap_system) == {"done": N}
    assert_done_exactly_once(ldap_system, accounts)
    found = directory_entries(running_slapd, ldap_system.connector_settings["base_dn"])
    assert len(found) == N  # no duplicates and nobody missing
    by_login = {a.login: f"tirek-{a.person_id}" for a in accounts}
    assert dict(found) == by_login


def test_scim_answers_lost_then_server_gone_mid_batch_of_1000(
    scim_system, scim_target, monkeypatch
):
    accounts = intake(scim_system, "C")
    real = SCIMConnector.create
    calls = {"n": 0}

    def fail_midway(self, data, password):
        calls["n"] += 1
        if calls["n"] != 450:
            return real(self, data, password)
        # The server creates this user but its answer is lost; then the server goes away.
        scim_target.cut()
        try:
            return real(self, data, password)
        finally:
            scim_target.refuse()

    monkeypatch.setattr(SCIMConnector, "create", fail_midway)
    first = operations.run_due("t", batch=BATCH)
    assert scim_target.cut_count == 1
    assert len(first.done) == 449 and not first.retry and not first.attention
    # The server holds one more user than Tirek knows it made.
    assert len(scim_target.server.users()) == 450
    assert statuses(scim_system) == {"done": 449, "pending": N - 449}

    make_due()
    again = operations.run_due("t", batch=BATCH)
    assert not again.done and not again.retry and not again.attention
    assert Operation.objects.filter(status="pending", attempts=0).count() == N - 449

    scim_target.start()
    make_due()
    operations.run_due("t", batch=BATCH)
    assert statuses(scim_system) == {"done": N}
    assert_done_exactly_once(scim_system, accounts)
    users = scim_target.server.users()
    assert len(users) == N
    assert {u.user_name: u.external_id for u in users} == {
        a.login: f"tirek-{a.person_id}" for a in accounts
    }
