"""The tickets API: same scoping and the same actions as the pages."""

from __future__ import annotations

from django.urls import reverse

from tirek.servicedesk.models import Status, Ticket
from tirek.servicedesk.tests.test_services import report


def test_create_list_retrieve(client_for, personas, platonus):
    client = client_for("employee")
    response = client.post(
        reverse("ticket-list"),
        {"kind": "incident", "subject": "Mail is down", "system": "yandex360", "urgency": 1},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["number"].startswith("TKT-") and data["status"] == "new"
    assert data["priority"] == 2 and data["system"] == "yandex360"
    other = report(personas["outsider"], platonus)
    listed = [t["id"] for t in client.get(reverse("ticket-list")).json()["results"]]
    assert listed == [data["id"]]
    assert client.get(reverse("ticket-detail", args=[other.pk])).status_code == 404
    staff = client_for("dept_staff")
    listed = [
        t["id"] for t in staff.get(reverse("ticket-list"), {"system": "platonus"}).json()["results"]
    ]
    assert listed == [other.pk]


def test_bad_input_gets_field_errors(client_for):
    client = client_for("student")
    response = client.post(
        reverse("ticket-list"), {"kind": "nonsense", "subject": ""}, content_type="application/json"
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"kind", "subject"}
    response = client.post(
        reverse("ticket-list"),
        {
            "kind": "publication",
            "subject": "x",
            "publication": {"target_site": "ksu.edu.kz", "wanted_date": "2026-12-01"},
        },
        content_type="application/json",
    )
    assert response.status_code == 403  # students do not request publications
    assert not Ticket.objects.exists()


def test_comment_and_transition(client_for, personas, platonus):
    ticket = report(personas["employee"], platonus)
    staff = client_for("dept_staff")
    url = reverse("ticket-comments", args=[ticket.pk])
    assert (
        staff.post(
            url, {"body": "note", "internal": True}, content_type="application/json"
        ).status_code
        == 201
    )
    employee = client_for("employee")
    assert (
        employee.post(
            url, {"body": "secret", "internal": True}, content_type="application/json"
        ).status_code
        == 403
    )
    assert employee.get(url).json() == []  # the internal note is not shown
    response = staff.post(
        reverse("ticket-transition", args=[ticket.pk]),
        {"to": "resolved"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["status"] == Status.RESOLVED
    response = staff.post(
        reverse("ticket-transition", args=[ticket.pk]),
        {"to": "submitted"},
        content_type="application/json",
    )
    assert response.status_code == 400
