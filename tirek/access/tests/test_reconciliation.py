"""Reconciliation against a real slapd and a real scim2-server: findings, actions, faults."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import ldap
import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from tirek.access import operations, reconciliation, services
from tirek.access.models import (
    Account,
    AccountStatus,
    CredentialDelivery,
    Finding,
    FindingKind,
    Grant,
    Operation,
    OperationKind,
    OperationStatus,
    ReconciliationRun,
    Resolution,
    RunStatus,
    RunTrigger,
    SystemRole,
)
from tirek.access.tests.conftest import make_person
from tirek.connectors import AccountData, TargetUnavailable, for_kind
from tirek.connectors.ldap import LDAPConnector
from tirek.core import jobs
from tirek.core.models import AuditEvent
from tirek.people.models import Person

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def english(settings):
    """The tests read messages in English, whatever language an earlier test left active."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def provision(system, *people) -> list[Account]:
    made = [services.create_account(None, p, system)[0] for p in people]
    outcome = operations.run_due("t")
    assert not outcome.attention and not outcome.retry, list(
        Operation.objects.values_list("kind", "last_error")
    )
    return [Account.objects.get(pk=a.pk) for a in made]


def connector(system):
    return for_kind(system.connector_kind, system.connector_settings)


def run_outbox() -> None:
    Operation.objects.filter(status=OperationStatus.PENDING).update(next_attempt_at=timezone.now())
    outcome = operations.run_due("t")
    assert not outcome.attention and not outcome.retry, list(
        Operation.objects.values_list("kind", "last_error")
    )


def findings(run, kind=None) -> list[Finding]:
    qs = run.findings.all()
    return list(qs.filter(kind=kind) if kind else qs)


def test_ldap_finds_orphans_missing_drift_and_status_and_each_fix_reaches_the_directory(
    ldap_system, running_slapd, personas
):
    staff = personas["dept_staff"]
    drifted, gone, locked, fine = (
        make_person("Омарова", "Айгерім", email="a.omarova@ksu.edu.kz"),
        make_person("Сейітов", "Нұрлан", email="n.seitov@ksu.edu.kz"),
        make_person("Ахметов", "Бауыржан", email="b.akhmetov@ksu.edu.kz"),
        make_person("Жаңабаев", "Ерлан", email="e.zhanabayev@ksu.edu.kz"),
    )
    owner = make_person("Қасымова", "Дана", email="d.kassymova@ksu.edu.kz")
    a_drift, a_gone, a_locked, _a_fine = provision(ldap_system, drifted, gone, locked, fine)
    conn = connector(ldap_system)
    raw = running_slapd.connect()
    raw.modify_s(a_drift.external_id, [(ldap.MOD_REPLACE, "sn", [b"Renamed"])])
    raw.unbind_s()
    running_slapd.delete(a_gone.external_id)
    Account.objects.filter(pk=a_locked.pk).update(status=AccountStatus.DISABLED)
    conn.create(
        AccountData(login="d.kassymova", family_name="Kassymova", person_key=f"tirek-{owner.pk}"),
        None,
    )
    conn.create(AccountData(login="svc.backup", family_name="Backup"), None)
    conn.close()

    run = reconciliation.reconcile(ldap_system, trigger=RunTrigger.COMMAND)

    assert run.status == RunStatus.DONE, run.error
    assert run.counts == {"orphan": 2, "missing": 1, "drift": 1, "status": 1}
    assert run.entries_read == 5 and run.started_at and run.finished_at
    (drift,) = findings(run, FindingKind.DRIFT)
    assert drift.account == a_drift
    assert drift.target_values == {"family_name": "Renamed"}
    assert drift.tirek_values["family_name"] != "Renamed"
    (missing,) = findings(run, FindingKind.MISSING)
    assert missing.account == a_gone
    (status,) = findings(run, FindingKind.STATUS)
    assert status.account == a_locked
    assert (status.tirek_values, status.target_values) == (
        {"status": "disabled"},
        {"status": "active"},
    )
    orphans = {f.login: f for f in findings(run, FindingKind.ORPHAN)}
    assert set(orphans) == {"d.kassymova", "svc.backup"}
    assert orphans["d.kassymova"].suggested_person == owner
    assert orphans["svc.backup"].suggested_person is None

    linked = reconciliation.link(staff, orphans["d.kassymova"], owner)
    disabled = reconciliation.disable_orphan(staff, orphans["svc.backup"])
    reconciliation.fix(staff, drift)
    reconciliation.fix(staff, status)
    reconciliation.recreate(staff, missing)

    assert linked.person == owner and linked.status == AccountStatus.ACTIVE
    assert disabled.person is None and disabled.status == AccountStatus.DISABLED
    kinds = dict(
        Operation.objects.filter(status=OperationStatus.PENDING).values_list("account_id", "kind")
    )
    assert kinds == {
        linked.pk: OperationKind.UPDATE,
        disabled.pk: OperationKind.DISABLE,
        a_drift.pk: OperationKind.UPDATE,
        a_locked.pk: OperationKind.DISABLE,
        a_gone.pk: OperationKind.CREATE,
    }
    assert CredentialDelivery.objects.filter(account=a_gone, secret__isnull=False).count() == 2
    assert sorted(run.findings.values_list("kind", "resolution")) == [
        ("drift", Resolution.FIXED),
        ("missing", Resolution.RECREATED),
        ("orphan", Resolution.DISABLED),
        ("orphan", Resolution.LINKED),
        ("status", Resolution.FIXED),
    ]
    events = AuditEvent.objects.filter(object_type="access.finding")
    assert events.count() == 5 and set(events.values_list("actor", flat=True)) == {staff.pk}

    run_outbox()
    conn = connector(ldap_system)
    assert conn.read("svc.backup").active is False
    assert conn.read("d.kassymova").person_key == f"tirek-{owner.pk}"
    assert conn.read(a_drift.login).family_name == drift.tirek_values["family_name"]
    assert conn.read(a_locked.login).active is False
    assert conn.read(a_gone.login) is not None
    conn.close()
    assert Account.objects.get(pk=a_gone.pk).status == AccountStatus.ACTIVE

    again = reconciliation.reconcile(ldap_system)
    assert again.status == RunStatus.DONE and again.counts == {}, list(
        again.findings.values_list("kind", "login", "target_values", "tirek_values")
    )


def test_other_actions_refusals_and_ignored_findings_stay_ignored(
    ldap_system, running_slapd, personas
):
    staff = personas["dept_staff"]
    renamed = make_person("Омарова", "Айгерім", email="a.omarova@ksu.edu.kz")
    gone = make_person("Сейітов", "Нұрлан", email="n.seitov@ksu.edu.kz")
    inactive = make_person("Ахметов", "Бауыржан", email="b.akhmetov@ksu.edu.kz")
    a_renamed, a_gone, a_inactive = provision(ldap_system, renamed, gone, inactive)
    services.grant_role(None, gone, SystemRole.objects.get(system=ldap_system))
    run_outbox()
    raw = running_slapd.connect()
    raw.modify_s(a_renamed.external_id, [(ldap.MOD_REPLACE, "givenName", [b"Aygerim"])])
    raw.unbind_s()
    running_slapd.delete(a_gone.external_id)
    conn = connector(ldap_system)
    conn.disable(operations.account_data(a_inactive))
    conn.create(AccountData(login="guest", family_name="Guest"), None)
    conn.close()
    run = reconciliation.reconcile(ldap_system)
    assert run.counts == {"orphan": 1, "missing": 1, "drift": 1, "status": 1}
    (drift,) = findings(run, FindingKind.DRIFT)
    (missing,) = findings(run, FindingKind.MISSING)
    (status,) = findings(run, FindingKind.STATUS)
    (orphan,) = findings(run, FindingKind.ORPHAN)

    # Refusals: wrong kind, no reason, someone who has an account already.
    with pytest.raises(ValidationError):
        reconciliation.recreate(staff, drift)
    with pytest.raises(ValidationError):
        reconciliation.ignore(staff, orphan, reason="  ")
    with pytest.raises(ValidationError, match="already has the account"):
        reconciliation.link(staff, orphan, renamed)
    with pytest.raises(ValidationError):
        reconciliation.act(staff, orphan, "link_suggested")

    # The directory's spelling of the name is taken into the person's record.
    reconciliation.accept(staff, drift)
    assert Person.objects.get(pk=renamed.pk).first_name_latin == "Aygerim"
    # The directory says disabled: Tirek agrees, and nothing is sent.
    reconciliation.accept(staff, status)
    assert Account.objects.get(pk=a_inactive.pk).status == AccountStatus.DISABLED
    reconciliation.mark_deleted(staff, missing)
    assert Account.objects.get(pk=a_gone.pk).status == AccountStatus.DELETED
    assert not Grant.objects.filter(account=a_gone).exists()
    reconciliation.ignore(staff, orphan, reason="The backup robot's account")
    with pytest.raises(ValidationError, match="resolved already"):
        reconciliation.ignore(staff, orphan, reason="twice")
    pending = Operation.objects.filter(status=OperationStatus.PENDING)
    assert list(pending.values_list("account", "kind")) == [(a_renamed.pk, OperationKind.UPDATE)]
    run_outbox()

    again = reconciliation.reconcile(ldap_system)
    assert again.counts == {"orphan": 1}
    (kept,) = findings(again)
    assert kept.resolution == Resolution.IGNORED and kept.note == "The backup robot's account"


def test_open_findings_of_an_earlier_run_are_superseded(ldap_system, running_slapd):
    conn = connector(ldap_system)
    conn.create(AccountData(login="stray", family_name="Stray"), None)
    conn.close()
    first = reconciliation.reconcile(ldap_system)
    second = reconciliation.reconcile(ldap_system)
    assert findings(first)[0].resolution == Resolution.SUPERSEDED
    assert findings(second)[0].resolution == Resolution.OPEN
    with pytest.raises(ValidationError):
        reconciliation.disable_orphan(None, findings(first)[0])


def test_target_down_fails_the_run_with_a_clear_error_and_no_findings(ldap_system, running_slapd):
    conn = connector(ldap_system)
    conn.create(AccountData(login="stray", family_name="Stray"), None)
    conn.close()
    running_slapd.stop()
    try:
        run = reconciliation.reconcile(ldap_system)
    finally:
        running_slapd.start()
    assert run.status == RunStatus.FAILED
    assert "LDAP" in run.error and "contact" in run.error.lower()
    assert run.findings.count() == 0 and run.finished_at
    event = AuditEvent.objects.filter(object_type="access.reconciliationrun").last()
    assert event.changes["extra"]["status"] == "failed"


def test_a_target_failing_half_way_through_writes_no_findings(
    ldap_system, running_slapd, monkeypatch
):
    conn = connector(ldap_system)
    for i in range(3):
        conn.create(AccountData(login=f"stray{i}", family_name="Stray"), None)
    conn.close()
    real = LDAPConnector.list_accounts

    def breaks(self):
        for n, entry in enumerate(real(self)):
            if n == 2:
                raise TargetUnavailable("LDAP: connection lost")
            yield entry

    monkeypatch.setattr(LDAPConnector, "list_accounts", breaks)
    run = reconciliation.reconcile(ldap_system)
    assert run.status == RunStatus.FAILED and "connection lost" in run.error
    assert not Finding.objects.exists()


def test_missing_secret_fails_at_once(ldap_system, monkeypatch):
    monkeypatch.delenv("TIREK_TEST_LDAP_PW")
    run = reconciliation.reconcile(ldap_system)
    assert run.status == RunStatus.FAILED and "TIREK_TEST_LDAP_PW" in run.error


def test_scim_findings_bulk_link_and_bulk_ignore(scim_system, personas):
    staff = personas["dept_staff"]
    drifted, gone, paused = (
        make_person("Омарова", "Айгерім", email="a.omarova@ksu.edu.kz"),
        make_person("Сейітов", "Нұрлан", email="n.seitov@ksu.edu.kz"),
        make_person("Ахметов", "Бауыржан", email="b.akhmetov@ksu.edu.kz"),
    )
    guests = [make_person("Қонақ", f"Лектор{i}", email=f"guest{i}@ksu.edu.kz") for i in range(3)]
    a_drift, a_gone, a_paused = provision(scim_system, drifted, gone, paused)
    conn = connector(scim_system)
    data = operations.account_data(a_drift)
    data.email = "someone.else@ksu.edu.kz"
    conn.update(data)
    conn.delete(operations.account_data(a_gone))
    conn.disable(operations.account_data(a_paused))
    for i, guest in enumerate(guests):  # made by hand in the target, found by e-mail
        conn.create(AccountData(login=f"guest{i}", family_name="Guest", email=guest.email), None)
    conn.create(AccountData(login="robot1", family_name="Robot"), None)
    conn.create(AccountData(login="robot2", family_name="Robot"), None)
    conn.close()

    run = reconciliation.reconcile(scim_system)
    assert run.status == RunStatus.DONE, run.error
    assert run.counts == {"orphan": 5, "missing": 1, "drift": 1, "status": 1}
    (drift,) = findings(run, FindingKind.DRIFT)
    assert drift.target_values == {"email": "someone.else@ksu.edu.kz"}
    (status,) = findings(run, FindingKind.STATUS)
    assert status.target_values == {"status": "inactive"}
    assert status.tirek_values == {"status": "active"}

    orphans = run.findings.filter(kind=FindingKind.ORPHAN)
    done, errors = reconciliation.act_in_bulk(staff, orphans, "link_suggested")
    assert done == 3 and len(errors) == 2 and all("robot" in e for e in errors)
    for i, guest in enumerate(guests):
        assert Account.objects.get(system=scim_system, person=guest).login == f"guest{i}"
    done, errors = reconciliation.act_in_bulk(
        staff, run.findings.filter(resolution=Resolution.OPEN, kind="orphan"), "ignore",
        reason="Robots",
    )  # fmt: skip
    assert (done, errors) == (2, [])
    done, errors = reconciliation.act_in_bulk(
        staff, run.findings.filter(resolution=Resolution.OPEN), "fix"
    )
    assert done == 2 and len(errors) == 1  # a missing account cannot be "fixed"
    reconciliation.recreate(staff, findings(run, FindingKind.MISSING)[0])
    run_outbox()

    again = reconciliation.reconcile(scim_system)
    assert again.counts == {"orphan": 2}, list(
        again.findings.values_list("kind", "login", "target_values", "tirek_values")
    )
    assert set(again.findings.values_list("resolution", flat=True)) == {Resolution.IGNORED}
    conn = connector(scim_system)
    assert conn.read(f"guest{0}").person_key == f"tirek-{guests[0].pk}"
    assert conn.read(a_paused.login).active is True
    conn.close()


def test_twenty_thousand_entries_take_a_handful_of_queries(
    ldap_system, django_assert_max_num_queries
):
    people = Person.objects.bulk_create(
        [
            Person(last_name="Студент", first_name=f"N{i}", email=f"s{i}@ksu.edu.kz")
            for i in range(2000)
        ]
    )
    Account.objects.bulk_create(
        [
            Account(person=p, system=ldap_system, login=f"s{i}", status=AccountStatus.ACTIVE)
            for i, p in enumerate(people)
        ]
    )
    entries = [
        AccountData(
            login=f"s{i}",
            given_name=f"N{i}",
            family_name="Student",
            email=f"s{i}@ksu.edu.kz",
            person_key=f"tirek-{p.pk}",
        )
        for i, p in enumerate(people)
    ] + [
        AccountData(login=f"x{i}", family_name="X", email=f"x{i}@ksu.edu.kz") for i in range(18000)
    ]
    with django_assert_max_num_queries(100):
        result = reconciliation.compare(ldap_system, iter(entries))
    assert result.entries == 20000
    kinds = {}
    for f in result.findings:
        kinds[f.kind] = kinds.get(f.kind, 0) + 1
    assert kinds["orphan"] == 18000 and "missing" not in kinds


def test_the_nightly_job_is_registered_and_runs_in_its_hour_only(
    ldap_system, running_slapd, settings
):
    assert "access.reconcile" in jobs.registry()
    settings.RECONCILE_HOUR = 2
    zone = ZoneInfo(settings.TIME_ZONE)
    day = dt.datetime(2026, 11, 26, tzinfo=zone)
    assert reconciliation.nightly(now=day.replace(hour=14)) == []
    runs = reconciliation.nightly(now=day.replace(hour=2, minute=10))
    (mine,) = [r for r in runs if r.system == ldap_system]
    assert mine.trigger == RunTrigger.SCHEDULE and mine.status == RunStatus.DONE
    # Once a night: a second tick in the same hour leaves the system alone.
    later = reconciliation.nightly(now=day.replace(hour=2, minute=40))
    assert ldap_system not in [r.system for r in later]


def test_a_queued_run_whose_task_never_came_is_run_by_the_nightly_job(
    ldap_system, running_slapd, settings
):
    settings.RECONCILE_HOUR = 2
    queued = ReconciliationRun.objects.create(system=ldap_system, trigger=RunTrigger.MANUAL)
    night = dt.datetime(2026, 11, 26, 2, 5, tzinfo=ZoneInfo(settings.TIME_ZONE))
    runs = reconciliation.nightly(now=night)
    assert queued.pk in [r.pk for r in runs]
    queued.refresh_from_db()
    assert queued.status == RunStatus.DONE


def test_a_run_left_unfinished_is_closed(ldap_system):
    stuck = ReconciliationRun.objects.create(system=ldap_system, trigger=RunTrigger.MANUAL)
    ReconciliationRun.objects.filter(pk=stuck.pk).update(
        status=RunStatus.RUNNING, created_at=timezone.now() - dt.timedelta(hours=4)
    )
    reconciliation.prune()
    stuck.refresh_from_db()
    assert stuck.status == RunStatus.FAILED and "did not finish" in stuck.error


def test_scim_target_down_fails_the_run(scim_system, scim_server):
    conn = connector(scim_system)
    conn.create(AccountData(login="stray", family_name="Stray"), None)
    conn.close()
    scim_server.stop()
    run = reconciliation.reconcile(scim_system)
    assert run.status == RunStatus.FAILED and "SCIM" in run.error
    assert run.findings.count() == 0


def test_old_runs_are_pruned_but_the_latest_is_kept(ldap_system, running_slapd):
    old = [reconciliation.reconcile(ldap_system) for _ in range(3)]
    ReconciliationRun.objects.filter(pk__in=[r.pk for r in old]).update(
        created_at=timezone.now() - reconciliation.RETENTION - dt.timedelta(days=1)
    )
    assert reconciliation.prune() == 2
    assert list(ReconciliationRun.objects.values_list("pk", flat=True)) == [old[-1].pk]


def test_command(ldap_system, running_slapd, capsys):
    call_command("reconcile", ldap_system.code)
    assert f"{ldap_system.code}: run" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no such system"):
        call_command("reconcile", "nope")
    running_slapd.stop()
    try:
        with pytest.raises(CommandError, match="failed"):
            call_command("reconcile", ldap_system.code)
    finally:
        running_slapd.start()


def test_request_run_queues_one_task(ldap_system, running_slapd, personas, settings):
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "provisioning", "notifications"],
        }
    }
    with pytest.raises(ValidationError):
        manual = ldap_system.__class__.objects.create(code="paper", name_kk="paper")
        reconciliation.request_run(personas["dept_staff"], manual)
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        run = reconciliation.request_run(personas["dept_staff"], ldap_system)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and run.trigger == RunTrigger.MANUAL
    assert run.started_by == personas["dept_staff"]


# -- pages and API -------------------------------------------------------------------------------


def client(user):
    from django.test import Client

    from tirek.testing.personas import login_as

    return login_as(Client(HTTP_ACCEPT_LANGUAGE="en"), user)


def test_pages_staff_act_alone_and_in_bulk_others_cannot(
    ldap_system, running_slapd, personas, settings
):
    from django.test import TestCase
    from django.urls import reverse

    settings.LANGUAGE_CODE = "en"
    conn = connector(ldap_system)
    for login in ("stray1", "stray2", "stray3"):
        conn.create(AccountData(login=login, family_name="Stray"), None)
    conn.close()
    run = reconciliation.reconcile(ldap_system)
    stray = {f.login: f for f in run.findings.all()}
    run_url = reverse("access:run_detail", args=[run.pk])

    staff = client(personas["dept_staff"])
    page = staff.get(reverse("access:system_detail", args=[ldap_system.code])).content.decode()
    assert run_url in page and "Reconcile now" in page
    page = staff.get(run_url).content.decode()
    assert "stray1" in page and "Disable in the system" in page
    assert "stray1" not in staff.get(run_url, {"kind": "missing"}).content.decode()

    # Denied: an employee and a unit head neither see nor act; an auditor reads only.
    ignore_url = reverse("access:finding_action", args=[stray["stray1"].pk, "ignore"])
    for role in ("employee", "unit_head"):
        other = client(personas[role])
        assert other.get(run_url).status_code == 403
        assert other.post(ignore_url, {"reason": "x"}).status_code == 403
        assert other.post(reverse("access:bulk_action", args=[run.pk])).status_code == 403
        assert other.get(reverse("access-finding-list")).status_code == 403
        assert (
            other.post(reverse("access:reconcile_now", args=[ldap_system.code])).status_code == 403
        )
    auditor = client(personas["auditor"])
    page = auditor.get(run_url).content.decode()
    assert "stray1" in page and "Disable in the system" not in page
    assert auditor.post(ignore_url, {"reason": "x"}).status_code == 403
    assert auditor.get(reverse("access-finding-list"), {"run": run.pk}).json()["count"] == 3
    assert set(Finding.objects.values_list("resolution", flat=True)) == {Resolution.OPEN}

    # Bad input: no reason to ignore, no such person to link.
    response = staff.post(ignore_url, {"reason": ""}, follow=True)
    assert "Say why" in response.content.decode()
    link_url = reverse("access:finding_action", args=[stray["stray1"].pk, "link"])
    assert (
        "No person has this number"
        in staff.post(link_url, {"person": "999999"}, follow=True).content.decode()
    )
    assert (
        "Choose the findings"
        in staff.post(
            reverse("access:bulk_action", args=[run.pk]), {"action": "ignore"}, follow=True
        ).content.decode()
    )

    # One by one, then in bulk.
    assert staff.post(ignore_url, {"reason": "A test entry"}).status_code == 302
    bulk = staff.post(
        reverse("access:bulk_action", args=[run.pk]),
        {"action": "disable", "finding": [stray["stray2"].pk, stray["stray3"].pk]},
    )
    assert bulk.status_code == 302
    resolutions = dict(run.findings.values_list("login", "resolution"))
    assert resolutions == {
        "stray1": Resolution.IGNORED,
        "stray2": Resolution.DISABLED,
        "stray3": Resolution.DISABLED,
    }
    assert Operation.objects.filter(kind=OperationKind.DISABLE).count() == 2
    api = staff.get(reverse("access-finding-list"), {"run": run.pk, "resolution": "disabled"})
    assert api.json()["count"] == 2
    runs = staff.get(reverse("access-reconciliation-run-list"), {"system": ldap_system.code})
    assert runs.json()["results"][0]["counts"] == {"orphan": 3}

    # Reconcile now: queued as a task (run at once by the immediate backend here).
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "provisioning", "notifications"],
        }
    }
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = staff.post(reverse("access:reconcile_now", args=[ldap_system.code]))
    newest = ReconciliationRun.objects.order_by("-id").first()
    assert response["Location"] == reverse("access:run_detail", args=[newest.pk])
    assert newest.status == RunStatus.DONE and newest.trigger == RunTrigger.MANUAL
    # The two disabled strays are accounts with no person now; the ignored one stays ignored.
    assert newest.counts == {"orphan": 1}


@pytest.mark.parametrize("kind", ["ldap", "scim"])
def test_group_membership_differences_are_found_and_fixed(kind, request, personas):
    system = request.getfixturevalue("ldap_system" if kind == "ldap" else "scim_system")
    if kind == "ldap":
        request.getfixturevalue("running_slapd")
    staff = personas["dept_staff"]
    role = SystemRole.objects.get(system=system)
    member = make_person("Омарова", "Айгерім", email="a.omarova@ksu.edu.kz")
    outsider = make_person("Сейітов", "Нұрлан", email="n.seitov@ksu.edu.kz")
    keeper = make_person("Ахметов", "Бауыржан", email="b.akhmetov@ksu.edu.kz")
    services.grant_role(None, member, role)
    services.grant_role(None, keeper, role)
    (a_outsider,) = provision(system, outsider)
    a_member = Account.objects.get(person=member, system=system)
    conn = connector(system)
    # By hand in the target: the member taken out of the role's group, an outsider put in.
    conn.remove_from_group(operations.account_data(a_member), role.target_group)
    conn.add_to_group(operations.account_data(a_outsider), role.target_group)
    conn.close()

    run = reconciliation.reconcile(system)
    assert run.status == RunStatus.DONE, run.error
    assert run.counts == {"groups": 2}
    found = {f.account_id: f for f in findings(run)}
    assert found[a_member.pk].tirek_values == {"groups": [role.target_group]}
    assert found[a_member.pk].target_values == {"groups": []}
    assert found[a_outsider.pk].target_values == {"groups": [role.target_group]}
    done, errors = reconciliation.act_in_bulk(staff, run.findings.all(), "fix")
    assert (done, errors) == (2, [])
    assert sorted(
        Operation.objects.filter(status=OperationStatus.PENDING).values_list("account", "kind")
    ) == sorted(
        [
            (a_member.pk, OperationKind.ADD_TO_GROUP),
            (a_outsider.pk, OperationKind.REMOVE_FROM_GROUP),
        ]
    )
    with pytest.raises(ValidationError):
        reconciliation.accept(staff, found[a_member.pk])
    run_outbox()
    again = reconciliation.reconcile(system)
    assert again.counts == {}, list(again.findings.values_list("login", "target_values"))
