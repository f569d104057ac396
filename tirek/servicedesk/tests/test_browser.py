"""The issue's journeys in a real browser (Chromium through Playwright).

An employee and a student report that Platonus is down; staff declare a major incident for
both reports from the queue, resolve it, and both requesters are told by e-mail and see their
reports resolved. A head of unit files a publication request, staff return it for changes,
the head resubmits, staff schedule and publish it with its URL, and the head confirms.

Sessions are made with Django's test client (sign-in has its own browser tests) and handed to
the browser as a cookie; everything after that goes through the pages.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tirek.servicedesk.models import Status, Ticket
from tirek.servicedesk.tests.test_services import IMMEDIATE
from tirek.testing.browser import sign_in

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.xdist_group("browser"),
    pytest.mark.usefixtures("services"),
]


def report_outage(page, live_server, user, subject: str) -> Ticket:
    sign_in(page, live_server, user)
    page.goto(live_server.url + "/servicedesk/")
    page.get_by_test_id("new-incident").click()
    page.select_option("#id_system", label="Platonus")
    page.fill("#id_subject", subject)
    page.fill("#id_description", "The login page answers 502")
    page.fill("#id_affected_people", "40")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("status")).to_be_visible()
    return Ticket.objects.get(subject=subject)


def transition(page, to: str, comment: str = "", url: str = "") -> None:
    form = page.get_by_test_id("transition-form")
    form.locator("select[name=to]").select_option(to)
    if comment:
        form.locator("textarea[name=comment]").fill(comment)
    if url:
        form.locator("input[name=published_url]").fill(url)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_platonus_outage_as_a_major_incident(
    page,
    live_server,
    personas,
    settings,
    mailoutbox,
):
    settings.TASKS = IMMEDIATE
    settings.LANGUAGE_CODE = "en"
    first = report_outage(page, live_server, personas["employee"], "Platonus is down")
    second = report_outage(page, live_server, personas["student"], "Cannot open Platonus")

    sign_in(page, live_server, personas["dept_staff"])
    page.goto(live_server.url + "/servicedesk/queue/")
    queue = page.get_by_test_id("queue")
    queue.get_by_label(first.number).check()
    queue.get_by_label(second.number).check()
    queue.locator("select[name=action]").select_option("major")
    queue.locator("input[name=subject]").fill("Platonus outage")
    queue.locator("button[type=submit]").click()
    expect(page.get_by_test_id("linked-reports")).to_contain_text(first.number)
    expect(page.get_by_test_id("linked-reports")).to_contain_text(second.number)

    page.goto(live_server.url + "/servicedesk/status/")
    expect(page.get_by_test_id("systems")).to_contain_text("Platonus")
    page.go_back()
    mailoutbox.clear()
    transition(page, "resolved", comment="Platonus is back: the database was restarted")
    expect(page.get_by_test_id("status").first).to_have_text("resolved")

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == Status.RESOLVED
    told = {address for m in mailoutbox for address in m.to}
    assert {"employee@test.edu.kz", "student@test.edu.kz"} <= told

    sign_in(page, live_server, personas["employee"])
    page.goto(f"{live_server.url}/servicedesk/t/{first.pk}/")
    expect(page.get_by_test_id("status").first).to_have_text("resolved")
    expect(page.get_by_test_id("comment").last).to_contain_text("Platonus is back")


def test_publication_request_returned_then_published_and_confirmed(
    page,
    live_server,
    personas,
    settings,
):
    settings.TASKS = IMMEDIATE
    settings.LANGUAGE_CODE = "en"
    head, staff = personas["unit_head"], personas["dept_staff"]
    sign_in(page, live_server, head)
    page.goto(live_server.url + "/servicedesk/")
    page.get_by_test_id("new-publication").click()
    page.fill("#id_subject", "Open day on 5 December")
    page.fill("#id_section", "News")
    page.fill("#id_wanted_date", "2026-12-01")
    page.fill("#id_title_kk", "Ашық есік күні")
    page.fill("#id_text_kk", "5 желтоқсанда ашық есік күні өтеді.")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("status")).to_have_text("submitted")
    ticket = Ticket.objects.get(subject="Open day on 5 December")
    ticket_url = f"{live_server.url}/servicedesk/t/{ticket.pk}/"

    sign_in(page, live_server, staff)
    page.goto(ticket_url)
    transition(page, "returned", comment="Please add the Russian text")
    expect(page.get_by_test_id("status")).to_have_text("returned for changes")

    sign_in(page, live_server, head)
    page.goto(ticket_url)
    expect(page.get_by_test_id("returned-comment")).to_contain_text("Russian text")
    transition(page, "resubmitted", comment="Added")

    sign_in(page, live_server, staff)
    page.goto(ticket_url)
    transition(page, "scheduled")
    transition(page, "published")  # without the URL: refused, stays scheduled
    expect(page.get_by_test_id("status")).to_have_text("scheduled")
    transition(page, "published", url="https://ksu.edu.kz/news/open-day")
    expect(page.get_by_test_id("published-url")).to_have_text("https://ksu.edu.kz/news/open-day")

    sign_in(page, live_server, head)
    page.goto(ticket_url)
    transition(page, "confirmed")
    expect(page.get_by_test_id("status")).to_have_text("confirmed")
    ticket.refresh_from_db()
    assert ticket.status == Status.CONFIRMED and ticket.publication.confirmed_at
