"""Delivering passwords: group slips (PDF), mailed one-time links (real SMTP), staff reset by
channel; and the expiry of temporary grants. After a delivery the secret is nowhere in the
database in the clear, nor in the audit log."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tirek.access import credentials, deliveries, services
from tirek.access.models import (
    Account,
    CredentialDelivery,
    DeliveryChannel,
    Grant,
    MailStatus,
    Operation,
    OperationKind,
    System,
    SystemRole,
)
from tirek.access.tests.conftest import mail_text, make_person, pdf_text, plaintext_in_database
from tirek.core.models import AuditEvent
from tirek.people import services as people
from tirek.testing.personas import login_as

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue")]

GROUP = "ИС-24-2"


def client(user=None) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    return login_as(c, user) if user is not None else c


def audit_text() -> str:
    return json.dumps(
        list(AuditEvent.objects.values("changes", "object_repr")),
        ensure_ascii=False,
        default=str,
    )


_n = itertools.count(1)


def student(org, last: str, first: str, group: str = GROUP, unit=None) -> object:
    person = make_person(last, first, personal_email=f"student{next(_n)}@mail.kz")
    people.add_affiliation(
        None,
        person,
        kind="student",
        unit=unit or org.chair_a1,
        programme="6B06101 Information systems",
        group=group,
        study_year=1,
    )
    return person


@pytest.fixture
def dspace(db) -> System:
    system = System.objects.get(code="dspace")
    system.login_url = "https://dspace.ksu.edu.kz/login"
    system.save(update_fields=["login_url"])
    return system


@pytest.fixture
def intake(org, dspace):
    """Three new students of one group with accounts and undelivered passwords, one whose
    password was already seen (needs a reset), one with no account."""
    a = student(org, "Абенов", "Арман")
    b = student(org, "Бекова", "Дана")
    c = student(org, "Сейітов", "Ерлан")
    seen = student(org, "Оспанова", "Әлия")
    student(org, "Нұрланов", "Тимур")  # no account
    services.onboard(None, dspace, [a, b, c, seen])
    CredentialDelivery.objects.filter(account__person=seen).update(
        secret=None, viewed_at=timezone.now(), wiped_at=timezone.now()
    )
    secrets = {
        d.account.person_id: credentials.decrypt(d.secret)
        for d in CredentialDelivery.objects.filter(secret__isnull=False).select_related("account")
    }
    return {"ready": [a, b, c], "seen": seen, "secrets": secrets}


# -- slips -------------------------------------------------------------------------------------


def test_group_slips_print_once_and_wipe(personas, dspace, intake):
    staff = personas["dept_staff"]
    c = client(staff)
    url = reverse("access:slips")
    preview = c.get(url, {"system": dspace.pk, "group": GROUP, "unit": ""})
    assert preview.status_code == 200
    states = {r.person.last_name: r.state for r in preview.context["rows"]}
    assert states == {
        "Абенов": "ready",
        "Бекова": "ready",
        "Сейітов": "ready",
        "Оспанова": "needs_reset",
        "Нұрланов": "no_account",
    }
    assert CredentialDelivery.objects.filter(secret__isnull=False).count() == 3  # preview: kept

    response = c.post(url, {"system": dspace.pk, "group": GROUP, "unit": ""})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    text = pdf_text(response.content)
    for person in intake["ready"]:
        account = Account.objects.get(person=person, system=dspace)
        assert person.last_name in text and account.login in text
        assert intake["secrets"][person.pk] in text
    assert "https://dspace.ksu.edu.kz/login" in text
    assert "Change the password at first sign-in." in text
    assert "Смените пароль при первом входе." in text
    assert "Алғаш кірген кезде" in text
    assert "needs a reset" in text and "Оспанова" in text and "no account" in text

    # Wiped in the same transaction, recorded as delivered by slip, by whom.
    for d in CredentialDelivery.objects.filter(account__person__in=intake["ready"]):
        assert d.secret is None and d.channel == DeliveryChannel.SLIP
        assert d.delivered_by == staff and d.delivered_at is not None
    assert AuditEvent.objects.filter(changes__extra__channel="slip").count() == 3
    # The PDF was not kept, and no secret is anywhere in the clear.
    for secret in intake["secrets"].values():
        assert plaintext_in_database(secret) == []
        assert secret not in audit_text()

    # A second print has nothing left: everyone needs a reset.
    again = c.post(url, {"system": dspace.pk, "group": GROUP, "unit": ""})
    text = pdf_text(again.content)
    assert not any(s in text for s in intake["secrets"].values())
    assert text.count("needs a reset") == 4


def test_unit_slips_and_the_unit_heads_scope(org, personas, dspace, intake):
    head = client(personas["unit_head"])
    url = reverse("access:slips")
    # Their own unit (Chair A1 is inside Institute A): allowed.
    mine = head.post(url, {"system": dspace.pk, "group": "", "unit": org.inst_a.pk})
    assert mine.status_code == 200 and mine["Content-Type"] == "application/pdf"
    assert intake["secrets"][intake["ready"][0].pk] in pdf_text(mine.content)
    # Another unit is not even offered, and a group studying there is refused.
    other = head.get(url, {"system": dspace.pk, "group": "", "unit": org.inst_b.pk})
    assert other.status_code == 200 and "unit" in other.context["form"].errors
    elsewhere = student(org, "Қасымов", "Нұрлан", group="ФМ-23-1", unit=org.inst_b)
    services.onboard(None, dspace, [elsewhere])
    denied = head.post(url, {"system": dspace.pk, "group": "ФМ-23-1", "unit": ""})
    assert denied.status_code == 403
    assert CredentialDelivery.objects.get(account__person=elsewhere).secret is not None
    assert AuditEvent.objects.filter(action="permission_denied", object_id=url).exists()
    # Someone with no slips capability at all.
    assert client(personas["employee"]).get(url).status_code == 403
    with pytest.raises(PermissionDenied):
        deliveries.slip_people(personas["unit_head"], unit=org.inst_b)


def test_slips_bad_input(personas, dspace, intake):
    c = client(personas["dept_staff"])
    url = reverse("access:slips")
    empty = c.post(url, {"system": dspace.pk, "group": "НЕТ-99", "unit": ""})
    assert empty.status_code == 200
    assert "Nobody is in this group or unit now." in empty.content.decode()
    neither = c.post(url, {"system": dspace.pk, "group": "", "unit": ""})
    assert "Choose a group or a unit." in neither.content.decode()
    no_system = c.post(url, {"system": "", "group": GROUP, "unit": ""})
    assert "system" in no_system.context["form"].errors
    assert CredentialDelivery.objects.filter(secret__isnull=False).count() == 3
    with pytest.raises(ValidationError):
        deliveries.slip_people(personas["dept_staff"], group="  ")


# -- staff reset -------------------------------------------------------------------------------


def test_staff_reset_by_slip_prints_the_new_password(personas, dspace):
    employee = personas["employee"]
    account, _token = services.create_account(None, employee.person, dspace)
    response = client(personas["dept_staff"]).post(
        reverse("access:account_action", args=[account.pk, "reset_password"]), {"channel": "slip"}
    )
    assert response["Content-Type"] == "application/pdf"
    op = Operation.objects.get(account=account, kind=OperationKind.SET_PASSWORD)
    new = credentials.decrypt(op.secret)
    assert new in pdf_text(response.content)
    # The first (unseen) link was wiped; the new one is delivered and wiped too.
    assert not CredentialDelivery.objects.filter(account=account, secret__isnull=False).exists()
    latest = CredentialDelivery.objects.filter(account=account).latest("created_at")
    assert latest.channel == "slip" and latest.delivered_by == personas["dept_staff"]
    # A slip delivery cannot be opened as a link.
    with pytest.raises(services.CredentialUnavailable):
        services.view_credential_by_id(employee, latest.pk)
    assert new not in audit_text()


def test_reset_by_mail_needs_a_personal_address(personas, dspace):
    person = personas["employee"].person
    account, _ = services.create_account(None, person, dspace)
    person.personal_email = ""
    person.save(update_fields=["personal_email"])
    with pytest.raises(ValidationError):
        services.reset_password(personas["dept_staff"], account, "mail")
    page = client(personas["dept_staff"]).post(
        reverse("access:account_action", args=[account.pk, "reset_password"]),
        {"channel": "mail"},
        follow=True,
    )
    assert "no personal e-mail address" in page.content.decode()
    assert not Operation.objects.filter(kind=OperationKind.SET_PASSWORD).exists()
    # The first link is still there: a refused reset changes nothing.
    assert CredentialDelivery.objects.filter(account=account, secret__isnull=False).exists()
    with pytest.raises(ValidationError):
        services.reset_password(personas["dept_staff"], account, "pigeon")


# -- mail --------------------------------------------------------------------------------------


def _reset_by_mail(personas, dspace, language="ru"):
    employee = personas["employee"]
    employee.language = language
    employee.save(update_fields=["language"])
    account, _ = services.create_account(None, employee.person, dspace)
    assert services.reset_password(personas["dept_staff"], account, "mail") == ""
    return account, CredentialDelivery.objects.get(account=account, channel="mail")


@pytest.mark.integration
def test_mailed_link_in_the_persons_language_opens_once(personas, dspace, smtp, settings):
    account, delivery = _reset_by_mail(personas, dspace)
    assert delivery.mail_status == MailStatus.QUEUED and delivery.secret is not None
    secret = credentials.decrypt(
        Operation.objects.get(account=account, kind=OperationKind.SET_PASSWORD).secret
    )
    assert deliveries.send_due_mail() == {"sent": 1, "retry": 0, "failed": 0}
    assert deliveries.send_due_mail()["sent"] == 0  # sent once
    (message,) = smtp
    assert message["To"] == "employee.home@example.kz"
    body = mail_text(message)
    assert f"Учётная запись: {account.login}" in body  # Russian: the person's language
    assert "https://dspace.ksu.edu.kz/login" in body
    assert secret not in body  # the mail carries a link, never the password
    link = re.search(r"https?://\S+/access/c/(\S+)/", body)
    token = link.group(1)
    delivery.refresh_from_db()
    assert delivery.mail_status == "sent" and delivery.token_hash == credentials.token_hash(token)
    assert delivery.expires_at <= timezone.now() + services.MAIL_LINK_LIFETIME
    url = reverse("access:mailed_credential", args=[token])

    # A mail scanner's GET uses nothing up; someone signed in as another user is refused.
    anonymous = client()
    assert 'data-testid="reveal"' in anonymous.get(url).content.decode()
    other = client(personas["outsider"]).post(url)
    assert other.context["gone"] and secret not in other.content.decode()
    assert AuditEvent.objects.filter(
        action="permission_denied", changes__extra__credential_delivery=delivery.pk
    ).exists()
    # The new student, not signed in, sees it once.
    shown = anonymous.post(url)
    assert shown.context["secret"] == secret and shown["Cache-Control"] == "no-store"
    again = anonymous.post(url)
    assert again.context["gone"] and secret not in again.content.decode()
    delivery.refresh_from_db()
    assert delivery.secret is None and delivery.delivered_at is not None
    assert secret not in audit_text() and token not in audit_text()
    assert AuditEvent.objects.filter(changes__extra__channel="mail").count() >= 2  # mailed, viewed
    # Until the worker has set it, only the operation holds it, encrypted; then nothing.
    Operation.objects.filter(account=account).update(secret=None)
    assert plaintext_in_database(secret) == []


@pytest.mark.integration
def test_mail_server_down_retries_then_fails_visibly(personas, dspace, smtp_down, settings):
    account, delivery = _reset_by_mail(personas, dspace, language="en")
    assert deliveries.send_mail(delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert delivery.mail_status == "queued" and delivery.mail_error
    assert delivery.mail_next_attempt_at > timezone.now()
    assert deliveries.send_mail(delivery.pk) == ""  # not due yet
    staff = client(personas["dept_staff"])
    problems = staff.get(reverse("access:delivery_list"), {"show": "problems"})
    assert account.login in problems.content.decode()
    assert 'data-testid="mail-error"' in problems.content.decode()
    # The last attempt gives up: the secret is wiped and the failure stays listed.
    CredentialDelivery.objects.filter(pk=delivery.pk).update(
        mail_attempts=deliveries.MAIL_MAX_ATTEMPTS - 1, mail_next_attempt_at=timezone.now()
    )
    assert deliveries.send_due_mail() == {"sent": 0, "retry": 0, "failed": 1}
    delivery.refresh_from_db()
    assert delivery.mail_status == "failed" and delivery.secret is None
    page = staff.get(reverse("access:account_detail", args=[account.pk])).content.decode()
    assert "could not be sent" in page
    assert client(personas["auditor"]).get(reverse("access:delivery_list")).status_code == 200
    assert client(personas["unit_head"]).get(reverse("access:delivery_list")).status_code == 403


@pytest.mark.integration
def test_mail_comes_back_up_and_is_sent(personas, dspace, smtp, settings):
    from tirek.access.tests.conftest import _free_port

    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = _free_port()
    _account, delivery = _reset_by_mail(personas, dspace, language="en")
    assert deliveries.send_mail(delivery.pk) == "retry"
    settings.EMAIL_PORT = port
    CredentialDelivery.objects.filter(pk=delivery.pk).update(mail_next_attempt_at=timezone.now())
    assert deliveries.send_due_mail()["sent"] == 1 and len(smtp) == 1
    assert "Your new password for" in smtp[0]["Subject"]


def test_a_newer_reset_stops_an_unsent_mail(personas, dspace):
    account, delivery = _reset_by_mail(personas, dspace, language="en")
    services.reset_password(personas["dept_staff"], account, "link")
    delivery.refresh_from_db()
    assert delivery.secret is None and delivery.mail_status == "failed"
    assert deliveries.send_mail(delivery.pk) == ""


# -- temporary grants --------------------------------------------------------------------------


def _temporary(personas, dspace, days: int) -> Grant:
    """The unit head asked for a DSpace role for the employee, until `days` from today."""
    role = SystemRole.objects.get(system=dspace, code="submitter")
    today = timezone.localdate()
    req = services.request_access(
        personas["unit_head"],
        personas["employee"].person,
        role,
        reason="Theses",
        valid_until=today + dt.timedelta(days=max(days, 0)),
    )
    from tirek.access.models import Approval

    for approval in Approval.objects.filter(request=req, status="pending"):
        services.decide(personas["dept_head"], approval, approve=True)
    grant = Grant.objects.get(request=req)
    if days < 0:
        Grant.objects.filter(pk=grant.pk).update(valid_until=today + dt.timedelta(days=days))
        grant.refresh_from_db()
    return grant


@pytest.mark.integration
def test_expired_grants_are_revoked_through_the_outbox_and_warned_before(personas, dspace, smtp):
    services.update_system(personas["dept_head"], dspace, approval_chain=["unit_head"])
    grant = _temporary(personas, dspace, days=3)
    account = grant.account
    # Warned once, the person and the requester, each in their language.
    personas["unit_head"].language = "ru"
    personas["unit_head"].save(update_fields=["language"])
    assert services.expire_grants() == {"expired": 0, "warned": 1}
    assert sorted(m["To"] for m in smtp) == ["employee@test.edu.kz", "unit_head@test.edu.kz"]
    to_head = next(m for m in smtp if m["To"] == "unit_head@test.edu.kz")
    assert "Учётная запись" in mail_text(to_head)
    assert services.expire_grants() == {"expired": 0, "warned": 0}
    assert len(smtp) == 2
    # The person's page and the account page show when it ends.
    page = client(personas["employee"]).get(reverse("access:my_access")).content.decode()
    assert 'data-testid="grant-expiry"' in page
    # After the date: revoked, the group removed through the outbox, audited as expired.
    Grant.objects.filter(pk=grant.pk).update(valid_until=timezone.localdate() - dt.timedelta(1))
    assert services.expire_grants() == {"expired": 1, "warned": 0}
    assert not Grant.objects.filter(pk=grant.pk).exists()
    assert Operation.objects.filter(
        account=account, kind=OperationKind.REMOVE_FROM_GROUP, status="pending"
    ).exists()
    assert AuditEvent.objects.filter(
        action="delete", object_type="access.grant", changes__extra__reason="expired"
    ).exists()
    # A grant valid through today stays.
    today_grant = _temporary(personas, dspace, days=0)
    assert services.expire_grants()["expired"] == 0
    assert Grant.objects.filter(pk=today_grant.pk).exists()


@pytest.mark.integration
def test_expiry_warning_is_retried_when_mail_is_down(personas, dspace, smtp_down):
    services.update_system(personas["dept_head"], dspace, approval_chain=["unit_head"])
    grant = _temporary(personas, dspace, days=2)
    assert services.expire_grants() == {"expired": 0, "warned": 0}
    grant.refresh_from_db()
    assert grant.expiry_warned_at is None


def test_the_periodic_jobs_are_registered():
    from tirek.access import tasks

    assert tasks.expire_grants() == "0 grants expired, 0 people warned"
    assert tasks.send_credential_mails() == "sent: 0, retry: 0, failed: 0"


def test_api_lists_deliveries_without_secrets(personas, dspace):
    account, _ = services.create_account(None, personas["employee"].person, dspace)
    services.reset_password(personas["dept_staff"], account, "mail")
    body = client(personas["auditor"]).get("/api/v1/access/deliveries/").json()
    rows = body["results"] if isinstance(body, dict) else body
    assert {r["channel"] for r in rows} == {"link", "mail"}
    assert all("secret" not in r and "token_hash" not in r for r in rows)
    assert client(personas["employee"]).get("/api/v1/access/deliveries/").status_code == 403


@pytest.mark.integration
def test_group_links_mailed_instead_of_printed(personas, dspace, intake, smtp):
    no_mail = intake["ready"][2]
    no_mail.personal_email = ""
    no_mail.save(update_fields=["personal_email"])
    c = client(personas["dept_staff"])
    url = reverse("access:slips")
    form = {"system": dspace.pk, "group": GROUP, "unit": ""}
    done = c.post(url, {**form, "action": "mail"})
    assert done.status_code == 302
    assert deliveries.send_due_mail()["sent"] == 2
    assert sorted(m["To"] for m in smtp) == sorted(p.personal_email for p in intake["ready"][:2])
    for message in smtp:
        assert not any(s in mail_text(message) for s in intake["secrets"].values())
    states = {r.person.pk: r.state for r in c.get(url, form).context["rows"]}
    assert states[intake["ready"][0].pk] == "mailed" and states[no_mail.pk] == "ready"
    # The slip then prints only the one left.
    text = pdf_text(c.post(url, form).content)
    assert intake["secrets"][no_mail.pk] in text
    assert intake["secrets"][intake["ready"][0].pk] not in text
