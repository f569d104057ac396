"""The queue and the ticket page in a fixed number of queries, whatever the number of tickets,
and the queue's short-lived cache: per user, current after every change, off when set to 0."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from tirek.servicedesk import services
from tirek.servicedesk.models import Comment
from tirek.servicedesk.tests.test_services import report

EN = {"Accept-Language": "en"}

# Every signed-in page: session, user, its second factor, and one for the roles with the
# person the user menu links to (tirek.core.roles).
BASE = 4
# The queue (first render): the data version, the counts, the page's rows (the default view
# reuses the open count), the form's staff and systems. From the cache: the version only.
QUEUE_QUERIES = BASE + 5
QUEUE_CACHED_QUERIES = BASE + 1
# The ticket page: the ticket, its files, comments, their files, staff for the assign form,
# open major incidents. Seen again: the ticket and the major incidents (the rest is kept).
TICKET_QUERIES = BASE + 6
TICKET_CACHED_QUERIES = BASE + 2


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def many(personas, platonus, team):
    return [report(personas["employee"], platonus, subject=f"ticket {n}") for n in range(30)]


def test_queue_queries_do_not_grow_with_tickets(
    client_for, personas, platonus, many, django_assert_num_queries
):
    client = client_for("dept_staff")
    client.get(reverse("servicedesk:portal"), headers=EN)  # the session's first write
    url = reverse("servicedesk:queue")
    with django_assert_num_queries(QUEUE_QUERIES):
        first = client.get(url, headers=EN)
    assert first.status_code == 200
    assert sum(t.number in first.text for t in many) == 25  # one page of 30
    with django_assert_num_queries(QUEUE_CACHED_QUERIES):
        again = client.get(url, headers=EN)
    assert again.text.count("<tr>") == first.text.count("<tr>")
    # A second page: the same. Filtered (kind, system, search): the chosen system is checked; the
    # rows count themselves.
    with django_assert_num_queries(QUEUE_QUERIES):
        second = client.get(url, {"page": 2}, headers=EN).text
    assert sum(t.number in second for t in many if t.number not in first.text) == 5
    query = {"kind": "incident", "system": platonus.pk, "q": "ticket"}
    with django_assert_num_queries(QUEUE_QUERIES + 1):
        assert client.get(url, query, headers=EN).status_code == 200


def test_ticket_page_queries_do_not_grow_with_comments(
    client_for, personas, platonus, team, django_assert_num_queries
):
    ticket = report(personas["employee"], platonus)
    for n in range(5):
        services.comment(personas["dept_staff"], ticket, f"step {n}")
    assert Comment.objects.filter(ticket=ticket).count() == 5
    client = client_for("dept_staff")
    client.get(reverse("servicedesk:portal"), headers=EN)  # the session's first write
    url = reverse("servicedesk:ticket_detail", args=[ticket.pk])
    with django_assert_num_queries(TICKET_QUERIES):
        page = client.get(url, headers=EN)
    assert page.text.count('data-testid="comment"') == 5
    with django_assert_num_queries(TICKET_CACHED_QUERIES):
        again = client.get(url, headers=EN)
    assert again.text.count('data-testid="comment"') == 5


def test_cached_conversation_shows_a_reply_at_once_and_keeps_notes_internal(
    client_for, personas, platonus, team
):
    ticket = report(personas["employee"], platonus)
    staff = client_for("dept_staff")
    requester = client_for("employee")
    url = reverse("servicedesk:ticket_detail", args=[ticket.pk])
    staff.get(url, headers=EN)
    requester.get(url, headers=EN)
    services.comment(personas["dept_staff"], ticket, "secret server log", internal=True)
    services.comment(personas["dept_staff"], ticket, "we are on it")
    assert "secret server log" in staff.get(url, headers=EN).text
    text = requester.get(url, headers=EN).text
    assert "we are on it" in text and "secret server log" not in text


def test_cached_queue_shows_a_change_at_once(client_for, personas, platonus, many):
    client = client_for("dept_staff")
    url = reverse("servicedesk:queue")
    text = client.get(url, headers=EN).text
    ticket = next(t for t in many if t.number in text)
    assert "Renamed subject" not in text
    ticket.subject = "Renamed subject"
    ticket.save()
    assert "Renamed subject" in client.get(url, headers=EN).text
    # A new ticket too: the counts follow.
    assert "open 30<" in text
    report(personas["student"], platonus, subject="Brand new")
    assert "open 31<" in client.get(url, headers=EN).text


def test_cached_queue_is_per_user_and_still_checks_permissions(
    client_for, personas, platonus, many
):
    staff = client_for("dept_staff")
    head = client_for("dept_head")
    url = reverse("servicedesk:queue")
    services.assign(personas["dept_staff"], many[0], personas["dept_staff"])
    services.assign(personas["dept_staff"], many[1], personas["dept_head"])
    text = staff.get(url, {"assignee": "me"}, headers=EN).text
    assert many[0].number in text and many[1].number not in text
    # The same query string for another member of staff is their own "me", not a cached page.
    text = head.get(url, {"assignee": "me"}, headers=EN).text
    assert many[1].number in text and many[0].number not in text
    # Someone without the queue is refused before any cached page is looked at.
    assert client_for("employee").get(url, headers=EN).status_code == 403


def test_queue_cache_can_be_switched_off(client_for, many, settings, django_assert_num_queries):
    settings.TIREK_SERVICEDESK_CACHE_SECONDS = 0
    client = client_for("dept_staff")
    url = reverse("servicedesk:queue")
    client.get(url, headers=EN)
    with django_assert_num_queries(QUEUE_QUERIES - 1):  # no version asked either
        assert client.get(url, headers=EN).status_code == 200


def test_search_falls_back_to_substrings_without_postgresql(client_for, personas, platonus):
    a = report(personas["employee"], platonus, subject="Printer on fire", description="smoke")
    b = report(personas["employee"], platonus, subject="Mail", description="quota")
    client = client_for("dept_staff")
    url = reverse("servicedesk:queue")
    text = client.get(url, {"q": "printer", "status": "all"}, headers=EN).text
    assert a.number in text and b.number not in text
    assert b.number in client.get(url, {"q": "QUOTA"}, headers=EN).text


def test_filtered_pages_count_themselves(client_for, many):
    client = client_for("dept_staff")
    url = reverse("servicedesk:queue")
    query = {"kind": "incident", "q": "ticket"}
    first = client.get(url, query, headers=EN).text
    assert "Page 1 of 2" in first and sum(t.number in first for t in many) == 25
    second = client.get(url, {**query, "page": 2}, headers=EN).text
    assert "Page 2 of 2" in second and sum(t.number in second for t in many) == 5
    # Past the end, or not a number: the last page, or the first.
    assert "Page 2 of 2" in client.get(url, {**query, "page": 9}, headers=EN).text
    assert "Page 1 of 2" in client.get(url, {**query, "page": "x"}, headers=EN).text
    assert "No tickets match." in client.get(url, {"q": "nothing-like-this"}, headers=EN).text
