"""The ticket actions: numbering, assignment, workflows, SLA clock, merging, major incidents."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tirek.core.models import AuditEvent
from tirek.servicedesk import services
from tirek.servicedesk.models import Kind, Priority, Status, Ticket, priority_for

QOS = ZoneInfo("Asia/Qostanay")
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02"
    b"\xfe\xa7V\xbd\xfa\x00\x00\x00\x00IEND\xaeB`\x82"
)


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=QOS)


def report(user, platonus, subject="Platonus is down", **kw) -> Ticket:
    return services.submit(user, kind=Kind.INCIDENT, subject=subject, system=platonus, **kw)


def publication(head, **kw) -> Ticket:
    return services.submit(
        head,
        kind=Kind.PUBLICATION,
        subject="News: open day",
        publication={
            "target_site": "ksu.edu.kz",
            "section": "News",
            "title_kk": "Ашық есік күні",
            "text_kk": "Мәтін",
            "wanted_date": dt.date(2026, 12, 1),
        },
        **kw,
    )


def test_priority_matrix():
    assert priority_for(1, 1) == Priority.CRITICAL
    assert priority_for(1, 2) == priority_for(2, 1) == Priority.HIGH
    assert priority_for(2, 2) == Priority.MEDIUM
    assert priority_for(3, 3) == Priority.LOW


def test_submit_numbers_audits_and_assigns_round_robin(personas, team, platonus):
    first = report(personas["employee"], platonus)
    second = report(personas["student"], platonus)
    third = report(personas["faculty"], platonus)
    year = first.opened_at.astimezone(QOS).year
    assert first.number == f"TKT-{year}-000001"
    assert second.number == f"TKT-{year}-000002"
    assert first.status == Status.NEW
    assert first.requester_unit.code == "INST-A"
    # Round robin between the two members, by id.
    assert [first.assignee, second.assignee, third.assignee] == [
        personas["dept_head"],
        personas["dept_staff"],
        personas["dept_head"],
    ]
    assert AuditEvent.objects.filter(object_type="servicedesk.ticket", action="create").count() == 3


def test_publication_needs_a_head_and_details(personas):
    with pytest.raises(PermissionDenied):
        publication(personas["student"])
    with pytest.raises(ValidationError):
        services.submit(personas["unit_head"], kind=Kind.PUBLICATION, subject="x", publication={})
    ticket = publication(personas["unit_head"])
    assert ticket.status == Status.SUBMITTED
    assert ticket.publication.wanted_date == dt.date(2026, 12, 1)


def test_bad_attachment_is_refused_before_anything_is_written(personas, platonus):
    fake = SimpleUploadedFile("screen.png", b"MZ\x90\x00 not an image", "image/png")
    with pytest.raises(ValidationError):
        report(personas["employee"], platonus, files=[fake])
    assert not Ticket.objects.exists()
    good = SimpleUploadedFile("renamed.exe", PNG, "application/octet-stream")
    ticket = report(personas["employee"], platonus, files=[good])
    attachment = ticket.attachments.get()
    assert attachment.content_type == "image/png"
    assert attachment.file.name.endswith(".png")
    assert attachment.original_name == "renamed.exe"


def test_publication_workflow(personas):
    head, staff = personas["unit_head"], personas["dept_staff"]
    ticket = publication(head)
    with pytest.raises(PermissionDenied):  # the requester cannot review their own request
        services.transition(head, ticket, Status.IN_REVIEW)
    services.transition(staff, ticket, Status.IN_REVIEW)
    with pytest.raises(ValidationError):  # returning needs a comment
        services.transition(staff, ticket, Status.RETURNED)
    services.transition(staff, ticket, Status.RETURNED, comment_text="Add the Russian text")
    ticket.refresh_from_db()
    assert ticket.paused_at is not None
    assert ticket.publication.returned_comment == "Add the Russian text"
    with pytest.raises(PermissionDenied):
        services.transition(staff, ticket, Status.RESUBMITTED)
    services.transition(head, ticket, Status.RESUBMITTED, changes={"text_ru": "Текст"})
    ticket.refresh_from_db()
    assert ticket.paused_at is None and ticket.publication.text_ru == "Текст"
    services.transition(staff, ticket, Status.SCHEDULED)
    with pytest.raises(ValidationError):  # publishing needs the URL
        services.transition(staff, ticket, Status.PUBLISHED)
    with pytest.raises(ValidationError):
        services.transition(staff, ticket, Status.PUBLISHED, published_url="javascript:alert(1)")
    services.transition(staff, ticket, Status.PUBLISHED, published_url="https://ksu.edu.kz/n/1")
    with pytest.raises(ValidationError):  # no way back to review from published
        services.transition(staff, ticket, Status.IN_REVIEW)
    services.transition(head, ticket, Status.CONFIRMED)
    ticket.refresh_from_db()
    assert ticket.status == Status.CONFIRMED
    assert ticket.publication.published_url == "https://ksu.edu.kz/n/1"
    assert ticket.closed_at and ticket.resolved_at and ticket.first_response_at
    services.rate(head, ticket, 5, "quick")
    ticket.refresh_from_db()
    assert ticket.rating == 5


def test_pause_moves_the_deadline_by_the_business_time_waited(personas, platonus):
    # P2 failure report opened Monday 23 November 2026 10:00: 8 business hours -> Tue 10:00.
    staff = personas["dept_staff"]
    ticket = report(personas["employee"], platonus, impact=1, urgency=2, now=at(2026, 11, 23, 10))
    assert ticket.priority == Priority.HIGH
    assert ticket.resolution_due == at(2026, 11, 24, 10)
    assert ticket.response_due == at(2026, 11, 23, 11)
    services.transition(staff, ticket, Status.WAITING, now=at(2026, 11, 23, 15))
    # Waiting from Mon 15:00 to Tue 11:00 covers 5 business hours: the deadline moves 5 h.
    services.transition(staff, ticket, Status.IN_PROGRESS, now=at(2026, 11, 24, 11))
    ticket.refresh_from_db()
    assert ticket.paused_seconds == 5 * 3600
    assert ticket.resolution_due == at(2026, 11, 24, 16)
    assert ticket.first_response_at == at(2026, 11, 23, 15)
    assert ticket.response_breached  # first answer at 15:00, the target was 11:00
    services.transition(staff, ticket, Status.RESOLVED, now=at(2026, 11, 24, 17))
    ticket.refresh_from_db()
    assert ticket.resolution_breached and ticket.resolved_at == at(2026, 11, 24, 17)


def test_requester_reply_ends_the_wait(personas, platonus):
    employee, staff = personas["employee"], personas["dept_staff"]
    ticket = report(employee, platonus)
    services.transition(staff, ticket, Status.WAITING)
    services.comment(employee, ticket, "Here is the screenshot")
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS and ticket.paused_at is None


def test_comments_internal_notes_and_scope(personas, platonus):
    employee, staff = personas["employee"], personas["dept_staff"]
    ticket = report(employee, platonus)
    with pytest.raises(PermissionDenied):
        services.comment(employee, ticket, "note", internal=True)
    with pytest.raises(PermissionDenied):  # someone who cannot see the ticket
        services.comment(personas["outsider"], ticket, "hello")
    with pytest.raises(ValidationError):
        services.comment(employee, ticket, "   ")
    services.comment(staff, ticket, "Checking the logs", internal=True)
    ticket.refresh_from_db()
    assert ticket.first_response_at is None  # an internal note is no answer
    services.comment(staff, ticket, "We are on it")
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None


def test_merge_and_major_incident_resolve_all(personas, platonus):
    staff = personas["dept_staff"]
    a = report(personas["employee"], platonus)
    b = report(personas["student"], platonus, subject="Cannot log in to Platonus")
    c = report(personas["faculty"], platonus, subject="Platonus again")
    with pytest.raises(PermissionDenied):
        services.merge(personas["employee"], c, a)
    services.merge(staff, c, a)
    c.refresh_from_db()
    assert c.status == Status.MERGED and c.merged_into == a
    with pytest.raises(ValidationError):
        services.merge(staff, a, a)
    major = services.declare_major_incident(staff, [a, b], "Platonus outage")
    assert major.is_major and set(major.linked_reports.all()) == {a, b}
    services.inform_major(staff, major, "The database server is being restarted")
    assert a.comments.filter(body__contains="restarted").exists()
    assert b.comments.filter(body__contains="restarted").exists()
    services.resolve(staff, major, "Back up")
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == b.status == Status.RESOLVED


def test_rating_only_by_the_requester_after_resolution(personas, platonus):
    employee, staff = personas["employee"], personas["dept_staff"]
    ticket = report(employee, platonus)
    with pytest.raises(ValidationError):
        services.rate(employee, ticket, 4)
    services.resolve(staff, ticket)
    with pytest.raises(PermissionDenied):
        services.rate(staff, ticket, 4)
    with pytest.raises(ValidationError):
        services.rate(employee, ticket, 9)
    services.rate(employee, ticket, 4, "fine")
    services.reopen(employee, ticket)
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS and ticket.resolved_at is None


IMMEDIATE = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default", "notifications"],
    }
}


def test_sla_job_warns_then_escalates_once(
    personas, platonus, team, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    ticket = report(personas["employee"], platonus, impact=1, urgency=1, now=at(2026, 11, 23, 9))
    # P1: 4 business hours -> due 13:00 (09-13), warned at 75 % -> 12:00.
    assert ticket.resolution_due == at(2026, 11, 23, 13)
    assert ticket.warn_at == at(2026, 11, 23, 12)
    # The first answer was due at 09:30: nobody answered, so that is flagged at once.
    assert services.check_sla(now=at(2026, 11, 23, 11)) == {
        "warned": 0,
        "escalated": 0,
        "response_breached": 1,
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert services.check_sla(now=at(2026, 11, 23, 12, 5))["warned"] == 1
    assert [m.to for m in mailoutbox] == [["dept_head@test.edu.kz"]]  # the assignee
    assert "Resolution target near" in mailoutbox[0].subject
    assert services.check_sla(now=at(2026, 11, 23, 12, 10))["warned"] == 0
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        counts = services.check_sla(now=at(2026, 11, 23, 13, 1))
    assert counts == {"warned": 0, "escalated": 1, "response_breached": 0}
    assert mailoutbox and "escalated" in mailoutbox[0].subject
    assert services.check_sla(now=at(2026, 11, 23, 15))["escalated"] == 0
    ticket.refresh_from_db()
    assert ticket.resolution_breached and ticket.response_breached


def test_paused_tickets_are_not_escalated(personas, platonus):
    ticket = report(personas["employee"], platonus, impact=1, urgency=1, now=at(2026, 11, 23, 9))
    services.transition(personas["dept_staff"], ticket, Status.WAITING, now=at(2026, 11, 23, 10))
    assert services.check_sla(now=at(2026, 11, 25, 9))["escalated"] == 0
