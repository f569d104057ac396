"""E-mails through a real SMTP server (aiosmtpd), in each recipient's language, and a mail
server that is down does not break the page that caused the e-mail."""

from __future__ import annotations

import email
import socket
from email.header import decode_header, make_header

import pytest
from django.urls import reverse

from tirek.servicedesk import services
from tirek.servicedesk.tests.test_services import IMMEDIATE, report


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    class Collect(Message):
        def __init__(self):
            super().__init__()
            self.messages = []

        def handle_message(self, message):
            self.messages.append(message)

    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, handler
    controller.stop()


def _smtp(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_TIMEOUT = 5
    settings.TASKS = IMMEDIATE


@pytest.mark.integration
def test_reply_and_status_mails_in_the_recipients_language(
    smtp_server, settings, personas, platonus, django_capture_on_commit_callbacks
):
    controller, handler = smtp_server
    _smtp(settings, controller.port)
    employee, staff = personas["employee"], personas["dept_staff"]
    employee.language = "ru"
    employee.save(update_fields=["language"])
    ticket = report(employee, platonus)
    with django_capture_on_commit_callbacks(execute=True):
        services.comment(staff, ticket, "Перезапускаем сервер")
    with django_capture_on_commit_callbacks(execute=True):
        services.resolve(staff, ticket)
    to_employee = [m for m in handler.messages if m["To"] == "employee@test.edu.kz"]
    assert len(to_employee) == 2
    body = to_employee[0].get_payload(decode=True).decode()
    assert "Перезапускаем сервер" in body
    assert "Вид:" in body  # "Kind" in Russian: the recipient's language, not the sender's
    subject = str(make_header(decode_header(to_employee[1]["Subject"])))
    assert subject.startswith(f"[{ticket.number}] ") and "Resolved" not in subject


@pytest.mark.integration
def test_new_ticket_reaches_staff_and_preferences_are_kept(
    smtp_server, settings, personas, platonus, django_capture_on_commit_callbacks
):
    controller, handler = smtp_server
    _smtp(settings, controller.port)
    services.set_preferences(personas["dept_head"], new_ticket=False)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = report(personas["employee"], platonus)
    recipients = sorted(m["To"] for m in handler.messages)
    assert recipients == ["dept_staff@test.edu.kz"]  # no team: all staff, but not the head
    message = handler.messages[0]
    assert ticket.number in str(make_header(decode_header(message["Subject"])))
    assert isinstance(message, email.message.Message)


@pytest.mark.integration
def test_a_down_mail_server_does_not_break_the_request(
    settings, client_for, platonus, django_capture_on_commit_callbacks
):
    _smtp(settings, _free_port())  # nothing listens there
    client = client_for("employee")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("servicedesk:submit", args=["question"]),
            {"subject": "VPN", "description": "How do I connect?"},
        )
    assert response.status_code == 302
