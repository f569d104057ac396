"""The audit viewer: only the head and auditors; filters, detail, CSV export, chain check."""

import csv
import io

import pytest
from django.db import connection
from django.urls import reverse

from tirek.core.audit import record
from tirek.core.exports import neutralise
from tirek.core.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

ALLOWED = ("dept_head", "auditor")
REFUSED = ("dept_staff", "unit_head", "employee", "faculty", "student", "vice_rector", "outsider")
PAYLOAD = "=cmd|' /C calc'!A0"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english(settings):
    # Pages are read in the English source strings (Kazakh is the default language).
    settings.LANGUAGE_CODE = "en"


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


@pytest.mark.parametrize("role", ALLOWED)
def test_head_and_auditor_may_open_the_viewer(client_for, role):
    record(AuditAction.CREATE, object_type="test.thing", object_id="1", object_repr="visible")
    response = client_for(role).get(reverse("core:audit_list"))
    assert response.status_code == 200
    assert "visible" in response.content.decode()


@pytest.mark.parametrize("role", REFUSED)
@pytest.mark.parametrize("url_name", ["core:audit_list", "core:audit_export"])
def test_every_other_role_is_refused_and_the_refusal_audited(client_for, role, url_name):
    client = client_for(role)
    before = AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED).count()
    response = client.get(reverse(url_name))
    assert response.status_code == 403
    assert "Access denied" in response.content.decode()  # the layout's 403 page
    denied = AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED)
    assert denied.count() == before + 1
    assert denied.first().actor_label == role


@pytest.mark.parametrize("role", REFUSED)
def test_other_roles_cannot_see_an_event_or_run_the_check(client_for, role):
    event = record(AuditAction.CREATE, object_type="test.thing", object_id="1")
    client = client_for(role)
    assert client.get(reverse("core:audit_detail", args=[event.pk])).status_code == 403
    assert client.post(reverse("core:audit_verify")).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("core:audit_list"))
    assert response.status_code == 302
    assert reverse("security:login") in response["Location"]


def test_filters_narrow_the_list(client_for):
    client = client_for("auditor")
    record(AuditAction.CREATE, object_type="test.person", object_id="7", object_repr="Alpha")
    record(AuditAction.DELETE, object_type="test.unit", object_id="8", object_repr="Beta")
    record(AuditAction.LOGIN_FAILED, object_type="core.user", object_id="eve", object_repr="eve")

    def rows(**params):
        response = client.get(reverse("core:audit_list"), params)
        assert response.status_code == 200
        return {e.object_repr for e in response.context["page"].object_list}

    assert rows(action="delete", object_type="test.unit") == {"Beta"}
    assert "Beta" not in rows(action="create")
    assert rows(object_type="test.person") == {"Alpha"}
    assert rows(object_id="eve") == {"eve"}
    assert rows(q="alph") == {"Alpha"}
    assert rows(actor="nobody-by-this-name") == set()
    assert "Alpha" in rows(date_from="2000-01-01")
    assert rows(date_to="2000-01-01") == set()


def test_bad_filters_show_errors_not_everything(client_for):
    record(AuditAction.CREATE, object_type="test.thing", object_id="1", object_repr="secret")
    client = client_for("auditor")
    response = client.get(
        reverse("core:audit_list"), {"date_from": "2026-05-02", "date_to": "2026-05-01"}
    )
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0
    assert "The end date is before the start date" in response.content.decode()
    response = client.get(reverse("core:audit_list"), {"action": "no-such-action"})
    assert response.context["page"].paginator.count == 0
    assert client.get(reverse("core:audit_export"), {"date_from": "not a date"}).status_code == 400


def test_htmx_request_gets_only_the_results(client_for):
    record(AuditAction.CREATE, object_type="test.thing", object_id="1", object_repr="partial")
    response = client_for("auditor").get(
        reverse("core:audit_list"), {"q": "partial"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "partial" in html
    assert "<html" not in html


def test_list_is_paginated(client_for):
    for i in range(55):
        record(AuditAction.CREATE, object_type="test.thing", object_id=str(i))
    client = client_for("auditor")
    first = client.get(reverse("core:audit_list"), {"object_type": "test.thing"})
    assert len(first.context["page"].object_list) == 50
    second = client.get(reverse("core:audit_list"), {"object_type": "test.thing", "page": 2})
    assert len(second.context["page"].object_list) == 5


def test_detail_shows_before_and_after_as_a_table(client_for):
    event = record(
        AuditAction.UPDATE,
        object_type="people.person",
        object_id="3",
        object_repr="Person 3",
        before={"last_name": "Old", "iin": "990101300123", "same": 1},
        after={"last_name": "New", "iin": "990101300124", "same": 1},
    )
    response = client_for("dept_head").get(reverse("core:audit_detail", args=[event.pk]))
    assert response.status_code == 200
    rows = {r["field"]: (r["before"], r["after"]) for r in response.context["rows"]}
    assert rows["last_name"] == ("Old", "New")
    assert "same" not in rows  # only what changed
    html = response.content.decode()
    assert 'data-testid="audit-changes"' in html
    assert "990101300123" not in html  # personal data stays masked
    assert event.hash in html


def test_detail_labels_fields_of_a_known_model(client_for, personas):
    from tirek.core import services

    user = personas["student"]
    services.set_user_language(user, user, "ru")
    event = AuditEvent.objects.filter(object_type="core.user", action=AuditAction.UPDATE).first()
    response = client_for("auditor").get(reverse("core:audit_detail", args=[event.pk]))
    assert response.context["rows"] == [
        {
            "field": "language",
            "label": "language",
            "before": "",
            "after": "ru",
            "in_before": True,
            "in_after": True,
        }
    ]


def test_detail_of_a_missing_event_is_404(client_for):
    assert client_for("auditor").get(reverse("core:audit_detail", args=[999999])).status_code == 404


def test_export_neutralises_formula_injection_and_is_audited(client_for):
    record(AuditAction.CREATE, object_type="test.thing", object_id="1", object_repr=PAYLOAD)
    client = client_for("auditor")
    response = client.get(reverse("core:audit_export"), {"object_type": "test.thing"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    table = _csv(response)
    header, rows = table[0], table[1:]
    assert len(rows) == 1
    cell = rows[0][header.index("object")]
    assert cell == "'" + PAYLOAD
    # The export itself is in the log, with the filters used and the number of rows.
    export = AuditEvent.objects.filter(action=AuditAction.EXPORT).get()
    assert export.actor_label == "auditor"
    assert export.changes["extra"] == {"filters": {"object_type": "test.thing"}, "rows": 1}


@pytest.mark.parametrize(
    "value, expected",
    [
        (PAYLOAD, "'" + PAYLOAD),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (42, "42"),
        (-5, "'-5"),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_verify_button_reports_ok_and_names_a_broken_event(client_for):
    events = [record(AuditAction.CREATE, object_type="t", object_id=str(i)) for i in range(3)]
    client = client_for("auditor")
    response = client.post(reverse("core:audit_verify"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'data-testid="verify-ok"' in response.content.decode()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditevent SET object_id = 'forged' WHERE id = %s", [events[1].pk]
        )
    response = client.post(reverse("core:audit_verify"))
    html = response.content.decode()
    assert 'data-testid="verify-broken"' in html
    assert f"event {events[1].pk}: its content was edited" in html
    assert "<html" in html  # without htmx: a whole page


def test_verify_is_post_only(client_for):
    assert client_for("auditor").get(reverse("core:audit_verify")).status_code == 405
