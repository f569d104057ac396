"""Manual work: operations of systems with no interface become work items staff carry out."""

import csv
import datetime as dt
import io

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tirek.access import credentials, operations
from tirek.access import services as access_services
from tirek.access.models import (
    AccountStatus,
    LoginReservation,
    Operation,
    OperationStatus,
    System,
)
from tirek.core.models import AuditAction, AuditEvent
from tirek.manualwork import services
from tirek.manualwork.models import ItemStatus, WorkBatch, WorkItem
from tirek.people import services as people_services
from tirek.people.iin import make_iin

pytestmark = pytest.mark.django_db


@pytest.fixture
def platonus():
    return System.objects.get(code="platonus")


def student(org, n: int, last_name: str | None = None):
    born = dt.date(2006, 2, 1 + n % 27)
    person = people_services.create_person(
        None, last_name=last_name or f"Қолмен{n}", first_name="Әлия", sex="F", birth_date=born,
        iin=make_iin(born, "F", 4000 + n),
    )  # fmt: skip
    people_services.add_affiliation(None, person, kind="student", unit=org.chair_a1, group="ИС-25")
    return person


def item_for(org, system, n: int, **kw) -> WorkItem:
    account, _token = access_services.create_account(None, student(org, n, **kw), system)
    services.collect()
    return WorkItem.objects.get(operation__account=account)


def test_operations_of_manual_systems_become_items_not_worker_jobs(org, platonus):
    item = item_for(org, platonus, 1)
    assert item.status == ItemStatus.OPEN and item.due_at > timezone.now()
    assert operations.claim("w") == []
    assert services.collect() == {"created": 0, "reopened": 0, "cancelled": 0}  # idempotent


def test_staff_see_what_to_enter_and_reveal_password_once_audited(org, platonus, client_for):
    item = item_for(org, platonus, 2)
    client = client_for("dept_staff")
    page = client.get(reverse("manualwork:item_detail", args=[item.pk]))
    assert page.context["row"]["last_name"] == "Қолмен2"
    assert "password" not in page.context["row"]
    shown = client.post(reverse("manualwork:item_password", args=[item.pk]))
    assert shown["Cache-Control"] == "no-store"
    password = credentials.decrypt(item.operation.secret)
    assert shown.context["password"] == password
    event = AuditEvent.objects.filter(action=AuditAction.VIEW_PERSONAL).last()
    assert password not in str(event.changes)


def test_confirm_with_the_login_the_system_gave(org, platonus, personas):
    item = item_for(org, platonus, 3)
    account = item.operation.account
    services.confirm(personas["dept_staff"], item, result_login="2025000123")
    account.refresh_from_db()
    op = Operation.objects.get(pk=item.operation_id)
    assert account.login == "2025000123" and account.status == AccountStatus.ACTIVE
    assert op.status == OperationStatus.DONE and op.secret is None
    assert LoginReservation.objects.filter(system=platonus, login="2025000123").exists()
    with pytest.raises(services.WorkError):
        services.confirm(personas["dept_staff"], item)


def test_login_taken_is_refused(org, platonus, personas):
    first = item_for(org, platonus, 4)
    second = item_for(org, platonus, 5)
    taken = first.operation.account.login
    with pytest.raises(ValidationError):
        services.confirm(personas["dept_staff"], second, result_login=taken)
    second.refresh_from_db()
    assert second.status == ItemStatus.OPEN


def test_problem_then_retry_reopens_and_cancel_cancels(org, platonus, personas):
    item = item_for(org, platonus, 6)
    with pytest.raises(services.WorkError):
        services.report_problem(personas["dept_staff"], item, note="  ")
    services.report_problem(personas["dept_staff"], item, note="Platonus rejects the IIN")
    op = Operation.objects.get(pk=item.operation_id)
    assert op.status == OperationStatus.NEEDS_ATTENTION and "IIN" in op.last_error
    access_services.retry_operation(personas["dept_staff"], op)
    assert services.collect()["reopened"] == 1
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN
    op.refresh_from_db()
    access_services.cancel_operation(personas["dept_staff"], op)
    assert services.collect()["cancelled"] == 1
    item.refresh_from_db()
    assert item.status == ItemStatus.CANCELLED


def test_batch_file_then_close_confirms_all(org, platonus, client_for):
    items = [item_for(org, platonus, 10 + n) for n in range(3)]
    client = client_for("dept_staff")
    response = client.post(reverse("manualwork:batch_create", args=["platonus"]))
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:2] == ["operation", "login"] and len(rows) == 4
    logins = {r[1] for r in rows[1:]}
    assert logins == {i.operation.account.login for i in items}
    passwords = {r[rows[0].index("password")] for r in rows[1:]}
    assert passwords == {credentials.decrypt(i.operation.secret) for i in items}
    batch = WorkBatch.objects.get()
    assert set(batch.items.values_list("pk", flat=True)) == {i.pk for i in items}
    again = client.post(reverse("manualwork:batch_create", args=["platonus"]), follow=True)
    assert WorkBatch.objects.count() == 1 and again.status_code == 200  # nothing left to batch
    client.post(reverse("manualwork:batch_close", args=[batch.pk]))
    assert set(WorkItem.objects.values_list("status", flat=True)) == {ItemStatus.DONE}
    assert not Operation.objects.filter(secret__isnull=False, work_item__in=items).exists()
    refused = client.post(reverse("manualwork:batch_download", args=[batch.pk]), follow=True)
    assert refused.redirect_chain and not refused["Content-Type"].startswith("text/csv")


def test_xlsx_layout_with_personal_fields_and_formula_safety(org, platonus, personas):
    platonus.connector_settings = {
        "import_layout": {
            "format": "xlsx",
            "columns": [["ИИН", "iin"], ["Фамилия", "last_name"], ["Логин", "login"]],
        }
    }
    platonus.save()
    item = item_for(org, platonus, 20, last_name="=HYPERLINK(1)")
    batch, body = services.create_batch(personas["dept_staff"], platonus)
    sheet = load_workbook(io.BytesIO(body)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("ИИН", "Фамилия", "Логин")
    person = item.operation.account.person
    assert rows[1] == (person.iin, "'=HYPERLINK(1)", item.operation.account.login)
    event = AuditEvent.objects.filter(action=AuditAction.EXPORT, object_id=str(batch.pk)).get()
    assert event.changes["extra"]["personal"] == ["iin"]
    assert event.changes["extra"]["passwords"] is False


def test_bad_layout_is_refused_and_makes_no_batch(org, platonus, client_for):
    platonus.connector_settings = {"import_layout": {"columns": [["X", "shoe_size"]]}}
    platonus.save()
    item_for(org, platonus, 21)
    response = client_for("dept_staff").post(
        reverse("manualwork:batch_create", args=["platonus"]), follow=True
    )
    assert "shoe_size" in response.content.decode()
    assert not WorkBatch.objects.exists()


def test_overdue_reminders_in_each_language_once_a_day(org, platonus, personas):
    item = item_for(org, platonus, 22)
    staff = personas["dept_staff"]
    staff.email, staff.language = "staff@ksu.edu.kz", "ru"
    staff.save()
    assert services.remind() == 0  # not overdue yet
    later = item.due_at + dt.timedelta(minutes=1)
    assert services.remind(later) >= 1
    message = next(m for m in mail.outbox if m.to == ["staff@ksu.edu.kz"])
    assert "Platonus" in message.body or "Платонус" in message.body
    mail.outbox.clear()
    assert services.remind(later + dt.timedelta(hours=1)) == 0
    assert services.remind(later + dt.timedelta(hours=25)) >= 1


def test_only_the_department_works_items(org, platonus, client_for):
    item = item_for(org, platonus, 23)
    for role in ("employee", "unit_head", "auditor", "student"):
        client = client_for(role)
        assert client.get(reverse("manualwork:worklist")).status_code == 403
        assert client.post(reverse("manualwork:item_password", args=[item.pk])).status_code == 403
        assert (
            client.post(reverse("manualwork:item_detail", args=[item.pk]), {"action": "confirm"})
        ).status_code == 403
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN


def test_an_ojs_batch_is_its_pkp_users_file(org, personas):
    from lxml import etree

    from tirek.connectors.tests.test_ojs import XSD

    ojs = System.objects.get(code="ojs")
    ojs.connector_kind = "ojs_file"
    ojs.connector_settings = {"journal_path": "vestnik"}
    ojs.save()
    item = item_for(org, ojs, 30)
    assert operations.claim("w") == []  # staff's work, not the worker's
    batch, body = services.create_batch(personas["dept_staff"], ojs)
    doc = etree.fromstring(body)
    assert etree.XMLSchema(etree.parse(str(XSD))).validate(doc), "not valid PKP users XML"
    assert item.operation.account.login.encode() in body
    assert credentials.decrypt(item.operation.secret).encode() not in body  # a bcrypt hash only
    assert batch.file_format == "xml"
    services.close_batch(personas["dept_staff"], batch)
    item.refresh_from_db()
    assert item.status == ItemStatus.DONE
