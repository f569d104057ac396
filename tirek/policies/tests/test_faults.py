"""Faults of issue 5: a truncated snapshot disables no one without confirmation; a policy
change for 5,000 people survives the directory going down half-way, every operation done once.
"""

from __future__ import annotations

import threading

import ldap
import pytest
from django.db import connection
from ldap.ldapobject import SimpleLDAPObject

from tirek.access import operations
from tirek.access.models import Account, AccountStatus, Operation, OperationStatus, SystemRole
from tirek.core.models import AuditEvent
from tirek.people.imports import services as imports
from tirek.people.imports.models import ImportSource
from tirek.people.models import Affiliation, AffiliationStatus, Person
from tirek.people.tests.files import STUDENT_MAPPING, student, to_csv
from tirek.policies import services
from tirek.policies.models import Policy, PolicyRun, RunStatus

pytestmark = pytest.mark.django_db


def test_truncated_snapshot_disables_no_one_without_confirmation(
    org, personas, settings, django_capture_on_commit_callbacks
):
    """The Platonus export here; an HR export goes through the same import and policies."""
    settings.POLICY_CONFIRM_THRESHOLD = 10
    source = ImportSource.objects.create(
        code="platonus", name="Platonus", origin="platonus", affiliation_kind="student",
        mapping=STUDENT_MAPPING, leaver_threshold=10,
    )  # fmt: skip
    Policy.objects.create(
        name="Students in the directory",
        role=SystemRole.objects.get(system__code="ldap", code="students"),
        affiliation_kinds=["student"],
    )
    rows = [student(n) for n in range(60)]
    with django_capture_on_commit_callbacks(execute=True):
        run = imports.upload(None, source, to_csv(rows), filename="full.csv")
        imports.apply_run(None, run)
    accounts = Account.objects.filter(system__code="ldap", person__platonus_id__startswith="P")
    assert accounts.filter(status=AccountStatus.PENDING).count() == 60

    # The next export stops after 20 rows: 40 students look like leavers.
    truncated = imports.upload(None, source, to_csv(rows[:20]), filename="cut.csv")
    with pytest.raises(imports.ImportRefused):
        imports.apply_run(None, truncated)
    assert not accounts.filter(status=AccountStatus.DISABLED).exists()

    # Even when the operator waves the import's own guard through, the policies hold back.
    with django_capture_on_commit_callbacks(execute=True):
        imports.apply_run(personas["dept_staff"], truncated, confirm_leavers=True)
    ended = Affiliation.objects.filter(person__platonus_id__startswith="P").exclude(
        status=AffiliationStatus.ACTIVE
    )
    assert ended.count() == 40
    assert not accounts.filter(status=AccountStatus.DISABLED).exists()
    waiting = PolicyRun.objects.get(status=RunStatus.WAITING)
    assert waiting.people == 40 and waiting.summary["disable"] == 40
    services.discard(personas["dept_head"], waiting)
    assert not accounts.filter(status=AccountStatus.DISABLED).exists()


N = 5000


@pytest.mark.integration
def test_policy_for_5000_people_with_the_directory_down_half_way(
    org, personas, ldap_system, running_slapd, monkeypatch
):
    people = Person.objects.bulk_create(
        Person(last_name="Студент", first_name=f"Бес{i}", platonus_id=f"F{i:05d}") for i in range(N)
    )
    if connection.vendor != "postgresql":  # SQLite's bulk_create does not return ids
        people = list(Person.objects.filter(platonus_id__startswith="F"))
    Affiliation.objects.bulk_create(
        Affiliation(person=p, kind="student", unit=org.chair_a1, group="Б-1") for p in people
    )
    ldap_system.login_pattern = "s{student_number}"
    ldap_system.max_per_minute = 0
    ldap_system.save()
    role = ldap_system.roles.get()
    role.target_group = ""  # one create per person: the directory's own work under test
    role.save()
    # Everyone studying now: the 5,000 and the student persona of the small university.
    total = Affiliation.objects.filter(kind="student", status="active").count()
    assert total >= N
    policy = Policy(name="Every student", role=role, affiliation_kinds=["student"])
    _policy, run, waiting = services.save_policy(personas["dept_staff"], policy)
    assert waiting is None and run.grants_added == total

    real = SimpleLDAPObject.add_ext
    calls = {"n": 0}

    def kill_half_way(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == N // 2:
            threading.Thread(target=running_slapd.kill).start()
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SimpleLDAPObject, "add_ext", kill_half_way)
    first = operations.run_due("t", batch=500)
    assert 0 < len(first.done) < total and not first.attention and not first.retry
    pending = Operation.objects.filter(system=ldap_system, status=OperationStatus.PENDING)
    assert pending.count() == total - len(first.done)

    running_slapd.start()
    Operation.objects.filter(system=ldap_system).exclude(status="done").update(
        next_attempt_at=run.started_at
    )
    operations.run_due("t", batch=500)
    ops = Operation.objects.filter(system=ldap_system)
    assert ops.count() == total and set(ops.values_list("status", flat=True)) == {"done"}
    assert set(ops.values_list("attempts", flat=True)) == {1}
    done = [
        pk
        for event in AuditEvent.objects.filter(object_type="access.operation", object_id="batch")
        for pk in event.changes["extra"]["done"]
    ]
    assert sorted(done) == sorted(ops.values_list("pk", flat=True))
    conn = running_slapd.connect()
    try:
        found = conn.search_s(
            ldap_system.connector_settings["base_dn"], ldap.SCOPE_ONELEVEL, "(uid=*)", ["uid"]
        )
    finally:
        conn.unbind_s()
    assert len(found) == total
    logins = set(Account.objects.filter(system=ldap_system).values_list("login", flat=True))
    assert {e["uid"][0].decode() for _dn, e in found} == logins
