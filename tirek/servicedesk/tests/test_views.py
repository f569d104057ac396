"""The portal, the staff queue, files, figures and the status page, as the personas use them."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from tirek.servicedesk import services
from tirek.servicedesk.models import Kind, Status, Ticket
from tirek.servicedesk.tests.test_services import PNG, publication, report

EN = {"Accept-Language": "en"}


def test_employee_reports_a_failure_with_a_screenshot(client_for, platonus, team):
    client = client_for("employee")
    page = client.get(reverse("servicedesk:submit", args=["incident"]), headers=EN)
    assert page.status_code == 200 and "How many people are affected" in page.text
    response = client.post(
        reverse("servicedesk:submit", args=["incident"]),
        {
            "system": platonus.pk,
            "subject": "Platonus is down",
            "description": "Error 502 since 9:00",
            "affected_people": "60",
            "urgency": "1",
            "files": [SimpleUploadedFile("shot.png", PNG, "image/png")],
        },
        headers=EN,
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("servicedesk:ticket_detail", args=[ticket.pk])
    assert ticket.priority == 1 and ticket.impact == 1  # 60 people, cannot work
    assert ticket.assignee is not None
    detail = client.get(response["Location"], headers=EN)
    assert "Platonus is down" in detail.text and "shot.png" in detail.text
    listing = client.get(reverse("servicedesk:portal"), headers=EN)
    assert ticket.number in listing.text


def test_a_disguised_file_is_refused_with_a_message(client_for, platonus):
    client = client_for("employee")
    response = client.post(
        reverse("servicedesk:submit", args=["question"]),
        {
            "subject": "Q",
            "description": "?",
            "files": [SimpleUploadedFile("cv.pdf", b"MZ\x90\x00binary", "application/pdf")],
        },
        headers=EN,
    )
    assert response.status_code == 200
    assert "checked by its content" in response.text
    assert not Ticket.objects.exists()


def test_portal_scopes_unit_heads_to_their_units(client_for, personas, platonus):
    mine = report(personas["employee"], platonus, subject="Printer in A")
    other = report(personas["outsider"], platonus, subject="Printer in B")
    text = client_for("unit_head").get(reverse("servicedesk:portal"), headers=EN).text
    assert mine.number in text and other.number not in text
    text = client_for("student").get(reverse("servicedesk:portal"), headers=EN).text
    assert mine.number not in text and other.number not in text


def test_attachments_only_to_those_who_see_them(client_for, personas, platonus):
    ticket = report(
        personas["employee"], platonus, files=[SimpleUploadedFile("a.png", PNG, "image/png")]
    )
    public = ticket.attachments.get()
    services.comment(
        personas["dept_staff"],
        ticket,
        "server log",
        internal=True,
        files=[SimpleUploadedFile("log.pdf", b"%PDF-1.4\n%%EOF", "text/plain")],
    )
    internal = ticket.attachments.exclude(pk=public.pk).get()
    employee = client_for("employee")
    response = employee.get(reverse("servicedesk:attachment", args=[public.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert employee.get(reverse("servicedesk:attachment", args=[internal.pk])).status_code == 404
    staff = client_for("dept_staff")
    assert staff.get(reverse("servicedesk:attachment", args=[internal.pk])).status_code == 200
    assert (
        client_for("outsider").get(reverse("servicedesk:attachment", args=[public.pk])).status_code
        == 404
    )
    # The requester does not see the internal note either.
    assert (
        "server log"
        not in employee.get(reverse("servicedesk:ticket_detail", args=[ticket.pk]), headers=EN).text
    )
    assert (
        "server log"
        in staff.get(reverse("servicedesk:ticket_detail", args=[ticket.pk]), headers=EN).text
    )


def test_queue_filters_search_and_counts(
    client_for, personas, platonus, team, django_assert_max_num_queries
):
    a = report(personas["employee"], platonus, subject="Platonus grades missing")
    b = services.submit(
        personas["student"], kind=Kind.QUESTION, subject="Wi-Fi password", description="eduroam"
    )
    services.transition(personas["dept_staff"], b, Status.WAITING)
    client = client_for("dept_staff")
    url = reverse("servicedesk:queue")
    text = client.get(url, headers=EN).text
    assert a.number in text and b.number in text
    assert 'value="major"' in text  # the bulk actions are offered
    questions = client.get(url, {"kind": "question"}, headers=EN).text
    assert b.number in questions and a.number not in questions
    assert a.number in client.get(url, {"system": platonus.pk}, headers=EN).text
    assert b.number not in client.get(url, {"q": "grades"}, headers=EN).text
    assert a.number in client.get(url, {"q": "GRADES"}, headers=EN).text
    assert b.number in client.get(url, {"sla": "paused"}, headers=EN).text
    assert a.number not in client.get(url, {"sla": "paused"}, headers=EN).text
    assert a.number not in client.get(url, {"assignee": "none"}, headers=EN).text
    assert b.number in client.get(url, {"assignee": "none"}, headers=EN).text
    assert a.number in client.get(url, {"q": a.number}, headers=EN).text
    # htmx asks for the rows only.
    rows = client.get(
        url,
        {"kind": "incident"},
        headers={**EN, "HX-Request": "true", "HX-Target": "queue-results"},
    )
    assert "<html" not in rows.text and a.number in rows.text
    # More tickets must not mean more queries (rows and counts in a fixed number).
    for n in range(15):
        report(personas["faculty"], platonus, subject=f"load {n}")
    with django_assert_max_num_queries(20):
        assert client.get(url, headers=EN).status_code == 200


def test_bulk_assign_and_declare_major(client_for, personas, platonus):
    a = report(personas["employee"], platonus)
    b = report(personas["student"], platonus)
    client = client_for("dept_staff")
    response = client.post(
        reverse("servicedesk:queue_bulk"), {"action": "assign_me", "tickets": [a.pk, b.pk]}
    )
    assert response.status_code == 302
    assert set(Ticket.objects.values_list("assignee__username", flat=True)) == {"dept_staff"}
    response = client.post(
        reverse("servicedesk:queue_bulk"),
        {"action": "major", "tickets": [a.pk, b.pk], "subject": "Outage"},
    )
    major = Ticket.objects.get(is_major=True)
    assert response["Location"] == reverse("servicedesk:ticket_detail", args=[major.pk])
    assert set(major.linked_reports.all()) == {a, b}
    # The public status page names it, without a login.
    from django.test import Client

    status = Client().get(reverse("servicedesk:status"), headers=EN)
    assert status.status_code == 200 and "Outage" in status.text
    services.resolve(personas["dept_staff"], major, "fixed")
    assert (
        "All systems are working normally"
        in Client().get(reverse("servicedesk:status"), headers=EN).text
    )


def test_publication_journey_through_the_pages(client_for, personas):
    head, staff = client_for("unit_head"), client_for("dept_staff")
    response = head.post(
        reverse("servicedesk:submit", args=["publication"]),
        {
            "subject": "Open day",
            "target_site": "ksu.edu.kz",
            "section": "News",
            "wanted_date": "2026-12-01",
            "title_kk": "Ашық есік",
            "text_kk": "Мәтін",
        },
        headers=EN,
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and ticket.status == Status.SUBMITTED
    url = reverse("servicedesk:transition", args=[ticket.pk])
    staff.post(url, {"to": "returned", "comment": "Add the Russian text"})
    ticket.refresh_from_db()
    assert ticket.status == Status.RETURNED
    page = head.get(reverse("servicedesk:ticket_detail", args=[ticket.pk]), headers=EN)
    assert "Add the Russian text" in page.text
    head.post(url, {"to": "resubmitted"})
    staff.post(url, {"to": "published"})  # no URL: refused with a message
    ticket.refresh_from_db()
    assert ticket.status == Status.RESUBMITTED
    staff.post(url, {"to": "scheduled", "scheduled_for": "2026-11-30"})
    staff.post(url, {"to": "published", "published_url": "https://ksu.edu.kz/news/1"})
    head.post(url, {"to": "confirmed"})
    ticket.refresh_from_db()
    assert ticket.status == Status.CONFIRMED
    assert ticket.publication.published_url == "https://ksu.edu.kz/news/1"
    head.post(reverse("servicedesk:rate", args=[ticket.pk]), {"rating": "5", "comment": "ok"})
    ticket.refresh_from_db()
    assert ticket.rating == 5


def test_students_cannot_request_publications(client_for):
    response = client_for("student").get(reverse("servicedesk:submit", args=["publication"]))
    assert response.status_code == 403


def test_figures_and_exports(client_for, personas, platonus):
    t = report(personas["employee"], platonus, subject='=HYPERLINK("http://x")')
    services.resolve(personas["dept_staff"], t)
    services.rate(personas["employee"], t, 4)
    p = publication(personas["unit_head"])
    staff = personas["dept_staff"]
    services.transition(staff, p, Status.IN_REVIEW)
    services.transition(staff, p, Status.PUBLISHED, published_url="https://ksu.edu.kz/n")
    client = client_for("dept_head")
    page = client.get(reverse("servicedesk:figures"), headers=EN)
    assert page.status_code == 200 and "<svg" in page.text
    month = dt.date.today().strftime("%Y-%m")
    assert month in page.text and "By system" in page.text and "Platonus" in page.text
    body = b"".join(
        client.get(reverse("servicedesk:figures_export", args=["csv"])).streaming_content
    )
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "period"
    by_month = next(r for r in rows if r[0] == f"month: {month}")
    assert by_month[1] == "2" and by_month[2] == "2"  # opened, resolved
    assert by_month[6] == "4.0" or by_month[6] == "4"  # satisfaction
    assert by_month[7] == "100.0"  # the publication went out before its wanted date
    xlsx = client.get(reverse("servicedesk:figures_export", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet["A1"].value == "period" and sheet.max_row == len(rows)
    assert client.get(reverse("servicedesk:figures_export", args=["pdf"])).status_code == 404


def test_preferences_turn_off_replies(client_for, personas):
    client = client_for("employee")
    client.post(reverse("servicedesk:preferences"), {"status_change": "on"})
    prefs = personas["employee"].servicedesk_prefs
    assert prefs.status_change and not prefs.reply


@pytest.mark.parametrize("kind", ["incident", "service_request", "question", "publication"])
def test_each_kind_has_its_own_form(client_for, kind):
    text = client_for("unit_head").get(reverse("servicedesk:submit", args=[kind]), headers=EN).text
    marker = {
        "incident": "How many people are affected",
        "service_request": "What do you need",
        "question": "Your question",
        "publication": "Wanted publication date",
    }[kind]
    assert marker in text
