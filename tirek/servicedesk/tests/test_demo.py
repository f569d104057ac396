"""`tirek demo` fills the service desk: every kind and state, history for Figures, no e-mail."""

import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tirek.servicedesk import figures
from tirek.servicedesk.demo import create_demo_tickets
from tirek.servicedesk.models import Kind, Status, SystemProfile, Ticket

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(settings, services):
    # Queued, not sent at once: a queued e-mail would show as a task row.
    settings.TASKS = {
        "default": {**settings.TASKS["default"], "BACKEND": "django_tasks_db.DatabaseBackend"}
    }
    call_command("demo", "--students", "30", "--employees", "40", stdout=StringIO())


def test_demo_tickets_cover_the_desk(demo):
    tickets = Ticket.objects.all()
    assert {t.kind for t in tickets} == set(Kind.values)
    statuses = set(tickets.values_list("status", flat=True))
    for expected in (
        Status.NEW,
        Status.IN_PROGRESS,
        Status.WAITING,
        Status.RESOLVED,
        Status.CLOSED,
        Status.IN_REVIEW,
        Status.RETURNED,
    ):
        assert expected in statuses, expected
    major = tickets.get(is_major=True)
    assert major.linked_reports.count() == 2 and major.system.code == "yandex360"
    assert tickets.filter(paused_at__isnull=False, status=Status.WAITING).exists()
    # An overdue one, and history spread over past months with ratings.
    overdue = tickets.get(status=Status.NEW, subject="Установить Office на новый компьютер")
    assert overdue.resolution_due < timezone.now()
    assert tickets.filter(rating__isnull=False).count() >= 20
    assert len({t.opened_at.month for t in tickets}) >= 3
    assert SystemProfile.objects.filter(on_status_page=True, team__isnull=False).count() == 7


def test_demo_mails_nobody_and_runs_once(demo):
    assert mail.outbox == []
    assert not DBTaskResult.objects.filter(task_path__contains="send_ticket_email").exists()
    count = Ticket.objects.count()
    assert create_demo_tickets() == 0
    assert Ticket.objects.count() == count


def test_demo_figures_and_pages_show_it(demo):
    today = timezone.localdate()
    shown = figures.compute(Ticket.objects.all(), today - dt.timedelta(days=130), today)
    assert len(shown.months) >= 3
    assert sum(row.opened for row in shown.months) >= 50
    assert sum(row.resolved for row in shown.months) >= 40
    assert all(0 <= row.sla_percent <= 100 for row in shown.months if row.resolved)
    assert any(row.rating for row in shown.months)
    publications = sum(row.publications for row in shown.months)
    on_time = sum(row.publications_on_time for row in shown.months)
    assert publications == 4 and on_time == 3  # one of the past ones was published late
    status_page = Client().get(reverse("servicedesk:status"), headers={"Accept-Language": "en"})
    assert "Yandex 360" in status_page.text
