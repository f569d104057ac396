"""E-mails about tickets, written in each recipient's language and sent by a background task.

Services call `on_commit(event, ticket, recipients)`: once the change is committed, one task
is queued (queue "notifications"); the task renders a message per recipient under
`translation.override(user.language or LANGUAGE_CODE)` and sends it by SMTP. A mail server
that is down fails the task (recorded by the tasks backend), never the request that caused it.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

logger = logging.getLogger("tirek.servicedesk")

NEW_TICKET = "new_ticket"
REPLY = "reply"
STATUS_CHANGE = "status_change"
ASSIGNED = "assigned"
SLA_WARNING = "sla_warning"
SLA_BREACH = "sla_breach"

# Which preference switch governs which event (a breach escalation is always sent).
PREFERENCE = {
    NEW_TICKET: "new_ticket",
    ASSIGNED: "new_ticket",
    REPLY: "reply",
    STATUS_CHANGE: "status_change",
    SLA_WARNING: "sla_warning",
}


def staff_for(ticket) -> list:
    """Who hears of a ticket nobody holds: its team, or else all department staff."""
    if ticket.assignee_id:
        return [ticket.assignee]
    if ticket.team_id:
        members = list(ticket.team.members.filter(is_active=True))
        if members:
            return members
    User = get_user_model()
    return list(User.objects.filter(is_active=True, groups__name="dept_staff").distinct())


# Set while tickets are made that nobody should hear of (the demo's made-up people).
_silenced: ContextVar[bool] = ContextVar("servicedesk_mail_silenced", default=False)


@contextmanager
def silenced():
    """No ticket e-mail is queued inside this block."""
    token = _silenced.set(True)
    try:
        yield
    finally:
        _silenced.reset(token)


def on_commit(event: str, ticket, recipients, **extra) -> None:
    ids = sorted({u.pk for u in recipients if u is not None})
    if not ids or _silenced.get():
        return

    def send() -> None:
        from tirek.servicedesk.tasks import send_ticket_email

        try:
            send_ticket_email.enqueue(event, ticket.pk, ids, extra)
        except Exception:  # a broken queue (or an immediate backend's SMTP) must not fail a page
            logger.exception("Could not queue %s e-mail for %s", event, ticket.number)

    transaction.on_commit(send)


def address_of(user) -> str:
    if user.email:
        return user.email
    person = getattr(user, "person", None)
    return getattr(person, "email", "") or ""


def wants(user, event: str) -> bool:
    key = PREFERENCE.get(event)
    if key is None:
        return True
    prefs = getattr(user, "servicedesk_prefs", None)
    return True if prefs is None else bool(getattr(prefs, key))


def _when(value) -> str:
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT") if value else "—"


def render(event: str, ticket, extra: dict) -> tuple[str, str]:
    """Subject and body in the active language."""
    link = settings.SITE_URL + reverse("servicedesk:ticket_detail", args=[ticket.pk])
    head = f"[{ticket.number}] "
    lines = [
        f"{ticket.number}: {ticket.subject}",
        f"{_('Kind')}: {ticket.get_kind_display()}",
        f"{_('Status')}: {ticket.get_status_display()}",
    ]
    if event == NEW_TICKET:
        subject = head + _("New ticket: %(subject)s") % {"subject": ticket.subject}
        lines += [
            f"{_('Requester')}: {ticket.requester.get_full_name() or ticket.requester}",
            f"{_('System')}: {ticket.system or '—'}",
            f"{_('Priority')}: {ticket.get_priority_display()}",
            "",
            ticket.description,
        ]
    elif event == REPLY:
        from tirek.servicedesk.models import Comment

        note = Comment.objects.filter(pk=extra.get("comment_id")).select_related("author").first()
        subject = head + _("New reply")
        if note is not None:
            author = note.author.get_full_name() if note.author else ""
            lines += ["", f"{author}:", note.body]
    elif event == STATUS_CHANGE:
        subject = head + _("Status: %(status)s") % {"status": ticket.get_status_display()}
        publication = getattr(ticket, "publication", None)
        if ticket.merged_into_id:
            lines.append(_("Merged into %(number)s.") % {"number": ticket.merged_into.number})
        if ticket.major_incident_id:
            lines.append(
                _("Part of the major incident %(number)s: %(subject)s")
                % {
                    "number": ticket.major_incident.number,
                    "subject": ticket.major_incident.subject,
                }
            )
        if publication is not None:
            if ticket.status == "returned":
                lines += ["", _("What to change:"), publication.returned_comment]
            if publication.published_url:
                lines.append(f"{_('Published at')}: {publication.published_url}")
    elif event == ASSIGNED:
        subject = head + _("Assigned to you: %(subject)s") % {"subject": ticket.subject}
    elif event == SLA_WARNING:
        subject = head + _("Resolution target near")
        lines.append(f"{_('Resolution due')}: {_when(ticket.resolution_due)}")
    elif event == SLA_BREACH:
        subject = head + _("Resolution target missed: escalated")
        lines += [
            f"{_('Resolution due')}: {_when(ticket.resolution_due)}",
            f"{_('Assignee')}: {ticket.assignee or '—'}",
        ]
    else:
        raise ValueError(f"unknown event {event!r}")
    lines += ["", link]
    return subject, "\n".join(lines)


def deliver(event: str, ticket_id: int, user_ids: list[int], extra: dict | None = None) -> int:
    """Send one e-mail per recipient (the task's body). Returns how many were sent."""
    from tirek.servicedesk.models import Ticket

    ticket = (
        Ticket.objects.select_related(
            "requester", "system", "assignee", "merged_into", "major_incident"
        )
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        return 0
    User = get_user_model()
    users = User.objects.filter(pk__in=user_ids, is_active=True).select_related(
        "servicedesk_prefs", "person"
    )
    messages = []
    for user in users:
        address = address_of(user)
        if not address or not wants(user, event):
            continue
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject, body = render(event, ticket, extra or {})
        messages.append(EmailMessage(subject, body, to=[address]))
    if not messages:
        return 0
    with get_connection() as connection:
        return connection.send_messages(messages) or 0
