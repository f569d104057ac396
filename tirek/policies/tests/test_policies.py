"""Birthright policies: joiners, movers, leavers, academic leave, manual grants kept apart,
the confirmation threshold, preview, and the pages."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tirek.access import services as access_services
from tirek.access.models import (
    Account,
    AccountStatus,
    DisabledReason,
    Grant,
    GrantSource,
    LoginReservation,
    Operation,
    OperationKind,
    SystemRole,
)
from tirek.core.models import AuditEvent
from tirek.people import events
from tirek.people import services as people_services
from tirek.people.iin import make_iin
from tirek.people.models import AffiliationStatus
from tirek.policies import engine, services
from tirek.policies.models import Entitlement, Policy, PolicyRun, RunStatus, RunTrigger

pytestmark = pytest.mark.django_db


@pytest.fixture
def ldap_students():
    return SystemRole.objects.select_related("system").get(system__code="ldap", code="students")


@pytest.fixture
def student_policy(org, ldap_students):
    return Policy.objects.create(
        name="Students of A1 in the directory",
        role=ldap_students,
        affiliation_kinds=["student"],
        unit=org.inst_a,
        include_subunits=True,
    )


def new_student(org, n: int, unit=None):
    born = dt.date(2006, 1, 1 + n % 27)
    person = people_services.create_person(
        None, last_name=f"Студентов{n}", first_name="Тест", sex="M", birth_date=born,
        iin=make_iin(born, "M", 3000 + n),
    )  # fmt: skip
    people_services.add_affiliation(
        None, person, kind="student", unit=unit or org.chair_a1, group="ИС-25-1"
    )
    return person


def policy_grant(person, role):
    return Grant.objects.filter(
        account__person=person, role=role, source=GrantSource.POLICY
    ).first()


def test_joiner_gets_account_role_group_and_why(org, student_policy, ldap_students):
    person = new_student(org, 1)
    run, waiting = services.evaluate([person.pk], trigger=RunTrigger.EVENT)
    assert waiting is None and run.grants_added == 1
    grant = policy_grant(person, ldap_students)
    assert grant is not None and grant.reason == student_policy.name
    account = grant.account
    kinds = set(Operation.objects.filter(account=account).values_list("kind", flat=True))
    assert kinds == {OperationKind.CREATE, OperationKind.ADD_TO_GROUP}
    assert account.deliveries.filter(secret__isnull=False).count() == 1  # one-time password
    ent = Entitlement.objects.get(person=person, role=ldap_students)
    assert list(ent.policies.all()) == [student_policy]
    # Idempotent: a second evaluation changes nothing.
    again, _ = services.evaluate([person.pk], trigger=RunTrigger.NIGHTLY)
    assert (again.grants_added, again.grants_removed, again.accounts_disabled) == (0, 0, 0)
    assert Operation.objects.filter(account=account).count() == 2


def test_rules_match_kind_unit_subtree_and_category(org, ldap_students):
    outside = new_student(org, 2, unit=org.inst_b)
    inside = new_student(org, 3)
    flat = Policy.objects.create(
        name="Only Institute A itself", role=ldap_students, unit=org.inst_a, include_subunits=False
    )
    plan = {p.person_id: p for p in engine.plan_for([outside.pk, inside.pk]).people}
    assert not plan[outside.pk].desired and not plan[inside.pk].desired  # chair A1 is below A
    flat.include_subunits = True
    flat.position_categories = ["faculty"]  # students have no position
    flat.save()
    plan = {p.person_id: p for p in engine.plan_for([inside.pk]).people}
    assert not plan[inside.pk].desired
    flat.position_categories = []
    flat.save()
    plan = {p.person_id: p for p in engine.plan_for([outside.pk, inside.pk]).people}
    assert set(plan[inside.pk].desired) == {ldap_students.pk}
    assert not plan[outside.pk].desired


def test_lifecycle_event_subscriber_evaluates(org, student_policy, ldap_students):
    person = new_student(org, 4)
    event = events.LifecycleEvent.objects.create(
        person=person, kind=events.EventKind.JOINER, reasons="new"
    )
    events.dispatch([event])
    assert policy_grant(person, ldap_students) is not None
    assert PolicyRun.objects.filter(trigger=RunTrigger.EVENT).exists()


def test_mover_loses_policy_role_but_keeps_manual_one(org, personas, student_policy, ldap_students):
    person = new_student(org, 5)
    services.evaluate([person.pk], trigger=RunTrigger.EVENT)
    account = policy_grant(person, ldap_students).account
    access_services.grant_role(personas["dept_staff"], person, ldap_students, reason="by hand")
    affiliation = person.affiliations.get()
    affiliation.unit = org.inst_b  # moved to another institute
    affiliation.save()
    run, _ = services.evaluate([person.pk], trigger=RunTrigger.EVENT)
    assert run.grants_removed == 1
    assert policy_grant(person, ldap_students) is None
    manual = Grant.objects.get(account=account, role=ldap_students)
    assert manual.source == GrantSource.MANUAL
    # The membership stays: no removal from the group while the manual grant holds it.
    assert not Operation.objects.filter(
        account=account, kind=OperationKind.REMOVE_FROM_GROUP
    ).exists()
    assert not Entitlement.objects.filter(person=person).exists()


def test_leaver_disabled_at_once_deleted_after_grace(org, student_policy, ldap_students):
    person = new_student(org, 6)
    services.evaluate([person.pk], trigger=RunTrigger.EVENT)
    account = policy_grant(person, ldap_students).account
    people_services.end_affiliation(
        None, person.affiliations.get(), status=AffiliationStatus.EXPELLED
    )
    run, _ = services.evaluate([person.pk], trigger=RunTrigger.EVENT)
    account.refresh_from_db()
    assert run.accounts_disabled == 1
    assert account.status == AccountStatus.DISABLED
    assert account.disabled_reason == DisabledReason.LEAVER
    assert policy_grant(person, ldap_students) is not None  # kept until deletion
    assert services.delete_after_grace(timezone.now() + dt.timedelta(days=89)) == 0
    assert services.delete_after_grace(timezone.now() + dt.timedelta(days=91)) == 1
    account.refresh_from_db()
    assert account.status == AccountStatus.DELETED
    assert Operation.objects.filter(account=account, kind=OperationKind.DELETE).exists()
    # The login is never given to anyone else.
    assert LoginReservation.objects.filter(system=account.system, login=account.login).exists()


def test_staff_disabled_account_is_not_reenabled(org, personas, student_policy, ldap_students):
    person = new_student(org, 7)
    services.evaluate([person.pk], trigger=RunTrigger.EVENT)
    account = policy_grant(person, ldap_students).account
    access_services.disable_account(personas["dept_staff"], account)
    run, _ = services.evaluate([person.pk], trigger=RunTrigger.NIGHTLY)
    account.refresh_from_db()
    assert run.accounts_enabled == 0 and account.status == AccountStatus.DISABLED


def test_academic_leave_suspends_and_return_enables(org, student_policy, ldap_students):
    person = new_student(org, 8)
    services.evaluate([person.pk], trigger=RunTrigger.EVENT)
    account = policy_grant(person, ldap_students).account
    affiliation = person.affiliations.get()
    affiliation.status = AffiliationStatus.ACADEMIC_LEAVE
    affiliation.save()
    services.evaluate([person.pk], trigger=RunTrigger.EVENT)
    account.refresh_from_db()
    assert (account.status, account.disabled_reason) == (
        AccountStatus.DISABLED,
        DisabledReason.LEAVE,
    )
    assert policy_grant(person, ldap_students) is not None  # suspended, not removed
    assert services.delete_after_grace(timezone.now() + dt.timedelta(days=400)) == 0
    affiliation.status = AffiliationStatus.ACTIVE
    affiliation.save()
    run, _ = services.evaluate([person.pk], trigger=RunTrigger.EVENT)
    account.refresh_from_db()
    assert run.accounts_enabled == 1 and account.status == AccountStatus.ACTIVE


def test_mass_leaving_waits_for_confirmation(org, personas, settings, student_policy):
    settings.POLICY_CONFIRM_THRESHOLD = 2
    people = [new_student(org, 10 + n) for n in range(3)]
    ids = [p.pk for p in people]
    services.evaluate(ids, trigger=RunTrigger.EVENT)
    for p in people:  # a truncated export: everyone looks like a leaver
        people_services.end_affiliation(None, p.affiliations.get())
    run, waiting = services.evaluate(ids, trigger=RunTrigger.EVENT)
    assert run.accounts_disabled == 0
    assert waiting is not None and waiting.status == RunStatus.WAITING
    assert waiting.summary["disable"] == 3
    assert Account.objects.filter(person__in=people, status=AccountStatus.DISABLED).count() == 0
    services.discard(personas["dept_head"], waiting)
    assert Account.objects.filter(person__in=people, status=AccountStatus.DISABLED).count() == 0
    with pytest.raises(services.PolicyError):
        services.confirm(personas["dept_head"], waiting)
    _run, waiting = services.evaluate(ids, trigger=RunTrigger.NIGHTLY)
    services.confirm(personas["dept_head"], waiting)
    waiting.refresh_from_db()
    assert waiting.status == RunStatus.CONFIRMED and waiting.decided_by == personas["dept_head"]
    assert Account.objects.filter(person__in=people, status=AccountStatus.DISABLED).count() == 3
    assert AuditEvent.objects.filter(object_type="policies.policyrun").count() >= 3


def test_preview_writes_nothing(org, ldap_students):
    people = [new_student(org, 20 + n) for n in range(2)]
    candidate = Policy(name="All students", role=ldap_students, affiliation_kinds=["student"])
    result = services.preview(candidate)
    assert result["add"] >= 2 and result["remove"] == 0
    assert {str(p) for p in people} <= set(result["add_people"])
    assert not Grant.objects.exists() and not Policy.objects.exists()


def test_pages_create_preview_save_and_drift(org, personas, client_for, ldap_students):
    person = new_student(org, 30)
    client = client_for("dept_staff")
    data = {
        "name": "Students in the directory",
        "role": ldap_students.pk,
        "affiliation_kinds": ["student"],
        "include_subunits": "on",
        "is_active": "on",
    }
    response = client.post(reverse("policies:policy_create"), {**data, "action": "preview"})
    assert response.status_code == 200 and response.context["preview"]["add"] >= 1
    assert not Policy.objects.exists()
    response = client.post(reverse("policies:policy_create"), {**data, "action": "save"})
    assert response.status_code == 302
    policy = Policy.objects.get()
    assert policy_grant(person, ldap_students) is not None
    assert AuditEvent.objects.filter(object_type="policies.policy", object_id=str(policy.pk))
    page = client.get(reverse("policies:person_entitlements", args=[person.pk]))
    rows = [r for e in page.context["systems"] for r in e["rows"]]
    assert [(r["role"], r["state"], r["because"]) for r in rows] == [
        (ldap_students, "ok", [policy.name])
    ]
    # Bad input: no role.
    response = client.post(
        reverse("policies:policy_create"), {**data, "role": "", "action": "save"}
    )
    assert response.status_code == 200 and response.context["form"].errors["role"]
    assert Policy.objects.count() == 1


def test_auditor_reads_but_cannot_change(org, client_for, student_policy):
    auditor = client_for("auditor")
    assert auditor.get(reverse("policies:policy_list")).status_code == 200
    edit = reverse("policies:policy_edit", args=[student_policy.pk])
    assert auditor.post(edit, {"action": "save", "name": "x"}).status_code == 403
    assert auditor.post(reverse("policies:run_now")).status_code == 403
    student_policy.refresh_from_db()
    assert student_policy.name != "x"


def test_periodic_jobs_registered():
    from tirek.core import jobs

    assert {"policies.full_pass", "policies.delete_after_grace"} <= set(jobs.registry())


def test_demo_policies_are_examples_switched_off(org):
    from tirek.policies.demo import create_demo_policies

    new_student(org, 40)
    assert create_demo_policies() >= 4
    assert create_demo_policies() == 0  # idempotent
    assert not Policy.objects.filter(is_active=True).exists()
    run, _ = services.full_pass()
    assert run.grants_added == 0 and not Grant.objects.exists()
