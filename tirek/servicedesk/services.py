"""Every change to tickets: one function, one transaction, one audit row, e-mails on commit.

Views, the API, tasks and commands call these; none writes the ORM for a ticket around them.
`actor` is the user acting (None for the system, e.g. the SLA job).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tirek.core.audit import record, snapshot
from tirek.core.models import AuditAction
from tirek.core.permissions import can
from tirek.servicedesk import attachments, notifications, sla, workflow
from tirek.servicedesk.models import (
    DONE_STATUSES,
    PAUSED_STATUSES,
    Attachment,
    Comment,
    Kind,
    Level,
    PublicationRequest,
    Status,
    SystemProfile,
    Team,
    Ticket,
    TicketCounter,
    priority_for,
)

PUBLICATION_FIELDS = (
    "target_site",
    "section",
    "title_kk",
    "title_ru",
    "title_en",
    "text_kk",
    "text_ru",
    "text_en",
    "wanted_date",
)
_SKIP = {"updated_at"}


def _snap(ticket: Ticket) -> dict[str, Any]:
    return {k: v for k, v in snapshot(ticket).items() if k not in _SKIP}


def _next_number(now: dt.datetime) -> str:
    year = timezone.localtime(now).year
    TicketCounter.objects.get_or_create(year=year)
    counter = TicketCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"TKT-{year}-{counter.last:06d}"


def _requester_unit(user):
    person = getattr(user, "person", None)
    if person is None:
        return None
    headed = person.headed_units.filter(is_active=True).first()
    if headed is not None:
        return headed
    affiliation = person.affiliations.current().select_related("unit").first()
    return affiliation.unit if affiliation else None


def _is_staff(user) -> bool:
    return user is not None and can(user, "servicedesk.work_queue")


def _parties(user, ticket: Ticket) -> set[str]:
    from tirek.servicedesk.permissions import speaks_for_requester

    parties = set()
    if _is_staff(user):
        parties.add(workflow.STAFF)
    if user is not None and speaks_for_requester(user, ticket):
        parties.add(workflow.REQUESTER)
    return parties


def _save_files(ticket: Ticket, actor, files, comment: Comment | None = None) -> list[Attachment]:
    saved = []
    for upload, kind in attachments.check_all(files):
        attachment = Attachment(
            ticket=ticket,
            comment=comment,
            uploaded_by=actor,
            original_name=(getattr(upload, "name", "") or "file")[-200:],
            content_type=kind.content_type,
            extension=kind.extension,
            size=upload.size,
        )
        attachment.file.save("upload", upload, save=False)
        attachment.save()
        saved.append(attachment)
    return saved


def _mark_responded(ticket: Ticket, now: dt.datetime) -> None:
    if ticket.first_response_at is None:
        ticket.first_response_at = now
        if ticket.response_due and now > ticket.response_due:
            ticket.response_breached = True


# --- submit ---------------------------------------------------------------------------------


@transaction.atomic
def submit(
    actor,
    *,
    kind: str,
    subject: str,
    description: str = "",
    system=None,
    impact: int = 2,
    urgency: int = 2,
    since: dt.datetime | None = None,
    affected_people: int | None = None,
    request_type: str = "",
    publication: dict[str, Any] | None = None,
    files: Iterable = (),
    now: dt.datetime | None = None,
    access_role=None,
    access_request=None,
    unit=None,
) -> Ticket:
    """File a ticket for `actor`. A publication request needs its `publication` details. A
    service request for access either asks for `access_role` (an access request is filed for
    the actor in the same transaction) or links the actor's `access_request`."""
    if not can(actor, "servicedesk.submit"):
        raise PermissionDenied("servicedesk.submit")
    if kind not in Kind.values:
        raise ValidationError({"kind": _("Unknown kind of ticket.")})
    requester_unit = _requester_unit(actor)
    if kind == Kind.PUBLICATION:
        from tirek.servicedesk.permissions import may_request_publication, publication_units

        if not may_request_publication(actor):
            raise PermissionDenied("servicedesk.request_publication")
        # Filed for a unit the actor heads or is a delegate for (the head and the delegates
        # then follow it together); staff and the vice-rector file for their own unit.
        units = publication_units(actor)
        if unit is not None and unit not in units:
            raise ValidationError({"unit": _("You cannot file for this unit.")})
        if unit is not None or units:
            requester_unit = unit or (requester_unit if requester_unit in units else units[0])
        if (
            not publication
            or not publication.get("target_site")
            or not publication.get("wanted_date")
        ):
            raise ValidationError(_("A publication request needs a site and a wanted date."))
    if not (subject or "").strip():
        raise ValidationError({"subject": _("Say in a few words what it is about.")})
    attachments.check_all(files)  # refuse bad files before anything is written
    if access_role is not None or access_request is not None:
        if kind != Kind.SERVICE_REQUEST or request_type not in ("account", "access"):
            raise ValidationError(_("Only a request for access can carry an access request."))
        if access_role is not None:
            access_request = _request_access(actor, access_role, description or subject)
        else:
            _check_may_link(actor, access_request, actor)
        system = system or access_request.role.system
    now = now or timezone.now()
    ticket = Ticket(
        number=_next_number(now),
        kind=kind,
        status=workflow.initial_status(kind),
        requester=actor,
        requester_unit=requester_unit,
        subject=subject.strip()[:200],
        description=description,
        system=system,
        since=since,
        affected_people=affected_people,
        request_type=request_type,
        access_request=access_request,
        impact=impact,
        urgency=urgency,
        priority=priority_for(impact, urgency),
        opened_at=now,
    )
    sla.set_due_dates(ticket)
    team = _owning_team(ticket)
    if team is not None:
        ticket.team = team
        ticket.assignee = _round_robin(team)
    ticket.full_clean(exclude=["number"])
    ticket.save()
    if kind == Kind.PUBLICATION:
        details = PublicationRequest(
            ticket=ticket, **{k: v for k, v in publication.items() if k in PUBLICATION_FIELDS}
        )
        details.full_clean()
        details.save()
    _save_files(ticket, actor, files)
    record(AuditAction.CREATE, ticket, after=_snap(ticket), actor=actor)
    notifications.on_commit(notifications.NEW_TICKET, ticket, notifications.staff_for(ticket))
    if access_request is not None:
        _catch_up_access(ticket)
    return ticket


# --- assignment -----------------------------------------------------------------------------


def _owning_team(ticket: Ticket) -> Team | None:
    if ticket.system_id is None:
        return None
    return Team.objects.filter(systems__system_id=ticket.system_id).first()


def _round_robin(team: Team):
    """The member after the one who got the last ticket (by id), and remember them."""
    team = Team.objects.select_for_update().get(pk=team.pk)
    members = list(team.members.filter(is_active=True).order_by("pk"))
    if not members:
        return None
    chosen = members[0]
    if team.last_assigned_id is not None:
        later = [m for m in members if m.pk > team.last_assigned_id]
        chosen = later[0] if later else members[0]
    team.last_assigned = chosen
    team.save(update_fields=["last_assigned"])
    return chosen


@transaction.atomic
def assign(actor, ticket: Ticket, assignee=None, team: Team | None = None, auto: bool = False):
    """Give the ticket to `assignee` (by hand) or, with `auto`, to the next member of the team
    that owns its system (round robin)."""
    if not _is_staff(actor):
        raise PermissionDenied("servicedesk.work_queue")
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    before = _snap(ticket)
    if auto:
        team = team or ticket.team or _owning_team(ticket)
        if team is None:
            raise ValidationError(_("No team owns this system; assign the ticket by hand."))
        assignee = _round_robin(team)
        if assignee is None:
            raise ValidationError(_("The team has no active members."))
    elif assignee is not None and not can(assignee, "servicedesk.work_queue"):
        raise ValidationError({"assignee": _("Only department staff can take tickets.")})
    if team is not None:
        ticket.team = team
    ticket.assignee = assignee
    ticket.save()
    record(
        AuditAction.UPDATE,
        ticket,
        before=before,
        after=_snap(ticket),
        actor=actor,
        extra={"action": "assign"},
    )
    if assignee is not None and assignee != actor:
        notifications.on_commit(notifications.ASSIGNED, ticket, [assignee])
    return ticket


# --- access requests ------------------------------------------------------------------------


def _request_access(actor, role, reason: str):
    from tirek.access import services as access_services

    person = getattr(actor, "person", None)
    if person is None:
        raise ValidationError(_("Only a person of the university can ask for a role."))
    return access_services.request_access(actor, person, role, reason=reason.strip())


def _check_may_link(actor, access_request, requester) -> None:
    """The access request must be one the actor sees and be about (or by) the requester."""
    from tirek.access.permissions import visible_requests

    if not visible_requests(actor).filter(pk=access_request.pk).exists():
        raise PermissionDenied("access request out of reach")
    if requester.pk not in (access_request.requested_by_id, access_request.person.user_id):
        raise ValidationError(_("This access request is not the requester's."))


def _access_state(access_request) -> str | None:
    from tirek.access import signals
    from tirek.access.models import RequestStatus

    if access_request.status == RequestStatus.APPROVED:
        return signals.GRANTED if signals.is_provisioned(access_request) else signals.APPROVED
    return {
        RequestStatus.REJECTED: signals.REJECTED,
        RequestStatus.CANCELLED: signals.CANCELLED,
    }.get(access_request.status)


def _catch_up_access(ticket: Ticket) -> None:
    """A request decided before it was linked: tell the ticket now."""
    state = _access_state(ticket.access_request)
    if state is not None:
        _access_news(ticket, ticket.access_request, state)


@transaction.atomic
def link_access_request(actor, ticket: Ticket, access_request) -> Ticket:
    """Staff link an existing access request to a service request."""
    if not _is_staff(actor):
        raise PermissionDenied("servicedesk.work_queue")
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.kind != Kind.SERVICE_REQUEST or not ticket.is_open:
        raise ValidationError(_("Only an open service request can carry an access request."))
    _check_may_link(actor, access_request, ticket.requester)
    before = _snap(ticket)
    ticket.access_request = access_request
    ticket.system = ticket.system or access_request.role.system
    ticket.save()
    record(
        AuditAction.UPDATE,
        ticket,
        before=before,
        after=_snap(ticket),
        actor=actor,
        extra={"action": "link_access_request", "access_request": access_request.pk},
    )
    _catch_up_access(ticket)
    return ticket


def _access_news(ticket: Ticket, access_request, state: str) -> None:
    from django.conf import settings
    from django.utils import translation

    from tirek.access import signals

    # The note is written by the system: in the requester's language, not the approver's.
    with translation.override(ticket.requester.language or settings.LANGUAGE_CODE):
        body = _access_text(access_request, state)
    note = Comment.objects.create(ticket=ticket, author=None, body=body)
    record(
        AuditAction.CREATE,
        note,
        after={"ticket": ticket.number, "access_request": access_request.pk, "state": state},
        object_repr=f"{ticket.number} comment",
    )
    notifications.on_commit(notifications.REPLY, ticket, [ticket.requester], comment_id=note.pk)
    if state == signals.GRANTED:
        transition(None, ticket, Status.RESOLVED, notify=False)


def _access_text(access_request, state: str) -> str:
    from tirek.access import signals

    role = str(access_request.role)
    if state == signals.REJECTED:
        step = access_request.approvals.filter(status="rejected").order_by("-position").first()
        body = _("The access request for %(role)s is rejected: %(reason)s") % {
            "role": role,
            "reason": step.comment if step else "—",
        }
    else:
        body = {
            signals.APPROVED: _("The access request for %(role)s is approved; it is being set up."),
            signals.GRANTED: _("The access (%(role)s) is granted and set up."),
            signals.CANCELLED: _("The access request for %(role)s is cancelled."),
        }[state] % {"role": role}
    return body


def follow_access_request(sender, request, state: str, **kwargs) -> None:
    """Subscriber of access.signals.access_request_changed: a public note on every open
    ticket linked to the request; the ticket is resolved once the access is granted."""
    for ticket in Ticket.objects.filter(access_request=request).exclude(status__in=DONE_STATUSES):
        _access_news(ticket, request, state)


# --- impact and urgency ---------------------------------------------------------------------


@transaction.atomic
def set_priority(
    actor, ticket: Ticket, *, impact: int, urgency: int, now: dt.datetime | None = None
) -> Ticket:
    """Staff re-assess impact and urgency: the priority follows, and the SLA targets are
    counted again from the opening with the new priority (the business time already spent,
    and the pauses, stay counted). A note in the ticket's history says what changed."""
    if not _is_staff(actor):
        raise PermissionDenied("servicedesk.work_queue")
    try:
        impact, urgency = int(impact), int(urgency)
    except (TypeError, ValueError):
        impact = urgency = 0
    if impact not in Level.values or urgency not in Level.values:
        raise ValidationError(_("Choose impact and urgency from the list."))
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if not ticket.is_open:
        raise ValidationError(_("This ticket is already closed."))
    if (ticket.impact, ticket.urgency) == (impact, urgency):
        return ticket
    now = now or timezone.now()
    before = _snap(ticket)
    old_priority = ticket.get_priority_display()
    ticket.impact, ticket.urgency = impact, urgency
    ticket.priority = priority_for(impact, urgency)
    sla.set_due_dates(ticket)
    # The flags follow the new targets: a breach that no longer is one is lifted (and may be
    # escalated again later), one that now is will be flagged by the next SLA run.
    if ticket.first_response_at is not None:
        ticket.response_breached = ticket.first_response_at > ticket.response_due
    else:
        ticket.response_breached = now > ticket.response_due
    running = ticket.paused_at is None
    if not running or ticket.resolution_due > now:
        ticket.resolution_breached = False
        ticket.escalated_at = None
    if not running or ticket.warn_at > now:
        ticket.warned_at = None
    ticket.save()
    Comment.objects.create(
        ticket=ticket,
        author=actor,
        internal=True,
        body=_(
            "Priority changed from %(old)s to %(new)s (impact: %(impact)s, urgency: %(urgency)s)."
        )
        % {
            "old": old_priority,
            "new": ticket.get_priority_display(),
            "impact": ticket.get_impact_display(),
            "urgency": ticket.get_urgency_display(),
        },
    )
    record(
        AuditAction.UPDATE,
        ticket,
        before=before,
        after=_snap(ticket),
        actor=actor,
        extra={"action": "priority"},
    )
    return ticket


# --- comments -------------------------------------------------------------------------------


@transaction.atomic
def comment(actor, ticket: Ticket, body: str, *, internal: bool = False, files: Iterable = ()):
    """A public reply (the requester sees it and is told) or an internal note (staff only)."""
    parties = _parties(actor, ticket)
    from tirek.servicedesk.permissions import may_reply

    if not may_reply(actor, ticket):
        raise PermissionDenied("servicedesk.submit")
    if internal and workflow.STAFF not in parties:
        raise PermissionDenied("servicedesk.work_queue")
    if not (body or "").strip():
        raise ValidationError({"body": _("Write something first.")})
    attachments.check_all(files)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    before = _snap(ticket)
    now = timezone.now()
    note = Comment.objects.create(ticket=ticket, author=actor, body=body.strip(), internal=internal)
    _save_files(ticket, actor, files, comment=note)
    if not internal and workflow.STAFF in parties and workflow.REQUESTER not in parties:
        _mark_responded(ticket, now)
    # The requester answering a ticket that waits for them starts the clock again.
    if workflow.REQUESTER in parties and ticket.status == Status.WAITING:
        ticket.status = Status.IN_PROGRESS
        sla.resume(ticket, now)
    ticket.save()
    record(
        AuditAction.CREATE,
        note,
        actor=actor,
        after={"ticket": ticket.number, "internal": internal},
        object_repr=f"{ticket.number} comment",
    )
    if before != _snap(ticket):
        record(AuditAction.UPDATE, ticket, before=before, after=_snap(ticket), actor=actor)
    if not internal:
        if workflow.REQUESTER in parties:
            recipients = [ticket.assignee] if ticket.assignee else notifications.staff_for(ticket)
        else:
            recipients = [ticket.requester]
        notifications.on_commit(notifications.REPLY, ticket, recipients, comment_id=note.pk)
    return note


# --- workflow -------------------------------------------------------------------------------


def _enter(ticket: Ticket, to: str, now: dt.datetime) -> None:
    """Apply the clock side of moving into status `to`."""
    was_paused = ticket.status in PAUSED_STATUSES
    if to in PAUSED_STATUSES and not was_paused:
        sla.pause(ticket, now)
    elif was_paused and to not in PAUSED_STATUSES:
        sla.resume(ticket, now)
    if to in DONE_STATUSES and ticket.resolved_at is None and to != Status.CLOSED:
        ticket.resolved_at = now
        if ticket.resolution_due and now > ticket.resolution_due:
            ticket.resolution_breached = True
    if to in (Status.CLOSED, Status.CONFIRMED):
        ticket.closed_at = now
        if ticket.resolved_at is None:
            ticket.resolved_at = now
    if to in (Status.IN_PROGRESS,) and ticket.status == Status.RESOLVED:
        # Reopened: the work is not done after all.
        ticket.resolved_at = None
        ticket.closed_at = None
    ticket.status = to


@transaction.atomic
def transition(
    actor,
    ticket: Ticket,
    to: str,
    *,
    comment_text: str = "",
    published_url: str = "",
    scheduled_for: dt.date | None = None,
    changes: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
    notify: bool = True,
) -> Ticket:
    """Move a ticket along its kind's workflow. Returning a publication needs a comment,
    publishing it needs the URL; a resubmission may carry changed texts (`changes`)."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    who = workflow.allowed(ticket.kind, ticket.status, to)
    if not who:
        raise ValidationError(
            _("A ticket cannot go from “%(from)s” to “%(to)s”.")
            % {
                "from": ticket.get_status_display(),
                "to": Status(to).label if to in Status.values else to,
            }
        )
    parties = _parties(actor, ticket) if actor is not None else {workflow.STAFF}
    if not (who & parties):
        raise PermissionDenied("servicedesk.transition")
    now = now or timezone.now()
    before = _snap(ticket)
    publication = getattr(ticket, "publication", None) if ticket.kind == Kind.PUBLICATION else None
    if to == Status.RETURNED:
        if not comment_text.strip():
            raise ValidationError({"comment": _("Say what has to change.")})
        publication.returned_comment = comment_text.strip()
    if to == Status.PUBLISHED:
        url = (published_url or "").strip()
        if not url:
            raise ValidationError({"published_url": _("Give the address of the published page.")})
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise ValidationError({"published_url": _("Enter a valid web address.")}) from None
        publication.published_url = url
        publication.published_at = now
    if to == Status.SCHEDULED:
        publication.scheduled_for = scheduled_for or publication.wanted_date
    if to == Status.CONFIRMED:
        publication.confirmed_at = now
    if to == Status.RESUBMITTED and changes:
        for key, value in changes.items():
            if key in PUBLICATION_FIELDS and value not in (None, ""):
                setattr(publication, key, value)
        publication.full_clean()
    if workflow.STAFF in parties and workflow.REQUESTER not in parties:
        _mark_responded(ticket, now)
    _enter(ticket, to, now)
    ticket.save()
    if publication is not None:
        publication.save()
    if comment_text.strip():
        Comment.objects.create(ticket=ticket, author=actor, body=comment_text.strip())
    record(
        AuditAction.UPDATE,
        ticket,
        before=before,
        after=_snap(ticket),
        actor=actor,
        extra={"action": "transition", "to": to},
    )
    if notify:
        recipients = (
            [ticket.requester]
            if workflow.REQUESTER not in parties
            else ([ticket.assignee] if ticket.assignee else notifications.staff_for(ticket))
        )
        notifications.on_commit(notifications.STATUS_CHANGE, ticket, recipients)
    # Resolving a major incident resolves every report linked to it, and tells each requester.
    if ticket.is_major and to == Status.RESOLVED:
        for report in ticket.linked_reports.exclude(status__in=DONE_STATUSES):
            transition(actor, report, Status.RESOLVED, comment_text=comment_text, now=now)
    return ticket


def resolve(actor, ticket: Ticket, comment_text: str = "") -> Ticket:
    return transition(actor, ticket, Status.RESOLVED, comment_text=comment_text)


def reopen(actor, ticket: Ticket, comment_text: str = "") -> Ticket:
    return transition(actor, ticket, Status.IN_PROGRESS, comment_text=comment_text)


# --- duplicates and major incidents ---------------------------------------------------------


@transaction.atomic
def merge(actor, duplicate: Ticket, into: Ticket) -> Ticket:
    """Close `duplicate` as merged into `into`; its requester is told where to follow."""
    if not _is_staff(actor):
        raise PermissionDenied("servicedesk.work_queue")
    if duplicate.pk == into.pk:
        raise ValidationError(_("A ticket cannot be merged into itself."))
    duplicate = Ticket.objects.select_for_update().get(pk=duplicate.pk)
    into = Ticket.objects.get(pk=into.pk)
    if into.merged_into_id is not None or not into.is_open:
        raise ValidationError(_("Merge into an open ticket that is not itself merged."))
    if not duplicate.is_open:
        raise ValidationError(_("This ticket is already closed."))
    before = _snap(duplicate)
    now = timezone.now()
    _mark_responded(duplicate, now)
    if duplicate.paused_at:
        sla.resume(duplicate, now)
    duplicate.merged_into = into
    duplicate.status = Status.MERGED
    duplicate.resolved_at = now
    duplicate.save()
    Comment.objects.create(
        ticket=duplicate,
        author=actor,
        body=_("Merged into %(number)s: %(subject)s")
        % {"number": into.number, "subject": into.subject},
    )
    record(
        AuditAction.UPDATE,
        duplicate,
        before=before,
        after=_snap(duplicate),
        actor=actor,
        extra={"action": "merge", "into": into.number},
    )
    notifications.on_commit(notifications.STATUS_CHANGE, duplicate, [duplicate.requester])
    return duplicate


@transaction.atomic
def declare_major_incident(actor, reports: list[Ticket], subject: str, description: str = ""):
    """Open a major incident (a parent ticket) for one outage and link `reports` to it."""
    if not _is_staff(actor):
        raise PermissionDenied("servicedesk.work_queue")
    if not reports:
        raise ValidationError(_("Choose the reports of the outage."))
    first = reports[0]
    major = submit(
        actor,
        kind=Kind.INCIDENT,
        subject=subject or first.subject,
        description=description or first.description,
        system=first.system,
        impact=1,
        urgency=1,
    )
    Ticket.objects.filter(pk=major.pk).update(is_major=True, status=Status.IN_PROGRESS)
    major.refresh_from_db()
    record(
        AuditAction.UPDATE,
        major,
        after={"is_major": True},
        actor=actor,
        extra={"action": "declare_major"},
    )
    for report in reports:
        link_to_major(actor, report, major)
    return major


@transaction.atomic
def link_to_major(actor, report: Ticket, major: Ticket) -> Ticket:
    if not _is_staff(actor):
        raise PermissionDenied("servicedesk.work_queue")
    if not major.is_major or report.pk == major.pk:
        raise ValidationError(_("Link reports to a major incident."))
    report = Ticket.objects.select_for_update().get(pk=report.pk)
    before = _snap(report)
    report.major_incident = major
    _mark_responded(report, timezone.now())
    if report.status == Status.NEW:
        _enter(report, Status.IN_PROGRESS, timezone.now())
    report.save()
    record(
        AuditAction.UPDATE,
        report,
        before=before,
        after=_snap(report),
        actor=actor,
        extra={"action": "link_major", "major": major.number},
    )
    notifications.on_commit(notifications.STATUS_CHANGE, report, [report.requester])
    return report


@transaction.atomic
def inform_major(actor, major: Ticket, body: str) -> list[Comment]:
    """Post the same public reply to every report linked to a major incident."""
    if not _is_staff(actor):
        raise PermissionDenied("servicedesk.work_queue")
    comments = [comment(actor, major, body)]
    for report in major.linked_reports.exclude(status__in=DONE_STATUSES):
        comments.append(comment(actor, report, body))
    return comments


# --- systems --------------------------------------------------------------------------------


@transaction.atomic
def set_system_profile(
    actor, system, *, team: Team | None, on_status_page: bool, position: int
) -> SystemProfile:
    """What the desk keeps about a system of the catalogue: owning team, status page, order."""
    if not can(actor, "servicedesk.configure"):
        raise PermissionDenied("servicedesk.configure")
    if not 0 <= int(position) <= 32767:
        raise ValidationError({"position": _("Give a number from 0 to 32767.")})
    profile, created = SystemProfile.objects.select_for_update().get_or_create(system=system)
    before = None if created else snapshot(profile)
    profile.team, profile.on_status_page, profile.position = team, on_status_page, int(position)
    profile.save()
    record(
        AuditAction.CREATE if created else AuditAction.UPDATE,
        profile,
        before=before,
        after=snapshot(profile),
        actor=actor,
    )
    return profile


@transaction.atomic
def save_team(actor, team: Team | None, *, name: str, members) -> Team:
    """Create a team or change its name and members (department staff only)."""
    if not can(actor, "servicedesk.configure"):
        raise PermissionDenied("servicedesk.configure")
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the team a name.")})
    members = list(members)
    if any(not can(m, "servicedesk.work_queue") for m in members):
        raise ValidationError({"members": _("Only department staff can take tickets.")})
    if Team.objects.filter(name__iexact=name).exclude(pk=getattr(team, "pk", None)).exists():
        raise ValidationError({"name": _("A team of this name exists.")})
    created = team is None
    if created:
        team = Team.objects.create(name=name[:100])
        before = None
    else:
        team = Team.objects.select_for_update().get(pk=team.pk)
        before = {**snapshot(team), "members": sorted(team.members.values_list("pk", flat=True))}
        team.name = name[:100]
        team.save(update_fields=["name"])
    team.members.set(members)
    after = {**snapshot(team), "members": sorted(m.pk for m in members)}
    record(
        AuditAction.CREATE if created else AuditAction.UPDATE,
        team,
        before=before,
        after=after,
        actor=actor,
    )
    return team


# --- delegates for publication requests -----------------------------------------------------


@transaction.atomic
def add_delegate(actor, unit, user, *, valid_until: dt.date | None = None):
    """The head of `unit` names `user`, a person of the unit, a delegate for its publication
    requests (until `valid_until`, inclusive, or until revoked)."""
    from tirek.people.models import Affiliation, OrgUnit
    from tirek.servicedesk.models import PublicationDelegate

    if not can(actor, "servicedesk.delegate"):
        raise PermissionDenied("servicedesk.delegate")
    if not OrgUnit.objects.filter(pk=unit.pk, head__user_id=actor.pk, is_active=True).exists():
        raise PermissionDenied("not the head of this unit")
    person = getattr(user, "person", None)
    in_unit = Affiliation.objects.current().filter(
        unit__in=OrgUnit.objects.subtree_of([unit]).values("pk")
    )
    if person is None or not in_unit.filter(person=person).exists():
        raise ValidationError({"user": _("Choose a person of the unit.")})
    if user.pk == actor.pk:
        raise ValidationError({"user": _("You file for your unit yourself.")})
    if valid_until is not None and valid_until < timezone.localdate():
        raise ValidationError({"valid_until": _("The date is in the past.")})
    from tirek.servicedesk.permissions import active_delegations

    if active_delegations(user).filter(unit=unit).exists():
        raise ValidationError({"user": _("This person is already a delegate of the unit.")})
    delegate = PublicationDelegate.objects.create(
        unit=unit, user=user, valid_until=valid_until, granted_by=actor
    )
    record(AuditAction.CREATE, delegate, after=snapshot(delegate), actor=actor)
    return delegate


@transaction.atomic
def revoke_delegate(actor, delegate):
    """The head of the unit ends a delegation (it stays on record, revoked)."""
    from tirek.servicedesk.models import PublicationDelegate

    delegate = PublicationDelegate.objects.select_for_update().get(pk=delegate.pk)
    if not can(actor, "servicedesk.delegate") or not (
        delegate.unit.head_id and delegate.unit.head.user_id == actor.pk
    ):
        raise PermissionDenied("not the head of this unit")
    if delegate.revoked_at is not None:
        raise ValidationError(_("This delegation is already revoked."))
    before = snapshot(delegate)
    delegate.revoked_at, delegate.revoked_by = timezone.now(), actor
    delegate.save(update_fields=["revoked_at", "revoked_by"])
    record(AuditAction.UPDATE, delegate, before=before, after=snapshot(delegate), actor=actor)
    return delegate


# --- satisfaction ---------------------------------------------------------------------------


@transaction.atomic
def rate(actor, ticket: Ticket, rating: int, comment_text: str = "") -> Ticket:
    """The requester's 1-5 rating of the result, once the work is done."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.requester_id != getattr(actor, "pk", None):
        raise PermissionDenied("servicedesk.rate")
    if ticket.status not in (Status.RESOLVED, Status.CLOSED, Status.PUBLISHED, Status.CONFIRMED):
        raise ValidationError(_("A ticket can be rated once it is resolved."))
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": _("Give a rating from 1 to 5.")})
    before = _snap(ticket)
    ticket.rating = rating
    ticket.rating_comment = (comment_text or "").strip()
    ticket.save(update_fields=["rating", "rating_comment", "updated_at"])
    record(
        AuditAction.UPDATE,
        ticket,
        before=before,
        after=_snap(ticket),
        actor=actor,
        extra={"action": "rate"},
    )
    return ticket


# --- preferences ----------------------------------------------------------------------------


@transaction.atomic
def set_preferences(actor, **choices: bool):
    from tirek.servicedesk.models import NotificationPreference

    prefs, _created = NotificationPreference.objects.get_or_create(user=actor)
    before = snapshot(prefs)
    for key in ("new_ticket", "reply", "status_change", "sla_warning"):
        if key in choices:
            setattr(prefs, key, bool(choices[key]))
    prefs.save()
    record(AuditAction.UPDATE, prefs, before=before, after=snapshot(prefs), actor=actor)
    return prefs


# --- the SLA job ----------------------------------------------------------------------------


def check_sla(now: dt.datetime | None = None) -> dict[str, int]:
    """Warn before a resolution target is missed; at the breach, flag it and escalate to the
    department head. Each ticket is warned and escalated once (claimed by a conditional UPDATE,
    so two workers never send the same e-mail)."""
    now = now or timezone.now()
    open_running = Ticket.objects.exclude(status__in=DONE_STATUSES).filter(paused_at__isnull=True)
    counts = {"warned": 0, "escalated": 0, "response_breached": 0}
    counts["response_breached"] = open_running.filter(
        first_response_at__isnull=True, response_due__lt=now, response_breached=False
    ).update(response_breached=True)
    for ticket in open_running.filter(
        warn_at__lte=now, warned_at__isnull=True, resolution_due__gt=now
    ):
        with transaction.atomic():
            if Ticket.objects.filter(pk=ticket.pk, warned_at__isnull=True).update(warned_at=now):
                record(
                    AuditAction.UPDATE,
                    ticket,
                    after={"warned_at": now.isoformat()},
                    extra={"action": "sla_warning"},
                )
                recipients = (
                    [ticket.assignee] if ticket.assignee else notifications.staff_for(ticket)
                )
                notifications.on_commit(notifications.SLA_WARNING, ticket, recipients)
                counts["warned"] += 1
    for ticket in open_running.filter(resolution_due__lte=now, escalated_at__isnull=True):
        with transaction.atomic():
            if Ticket.objects.filter(pk=ticket.pk, escalated_at__isnull=True).update(
                escalated_at=now, resolution_breached=True, warned_at=ticket.warned_at or now
            ):
                record(
                    AuditAction.UPDATE,
                    ticket,
                    after={"escalated_at": now.isoformat(), "resolution_breached": True},
                    extra={"action": "sla_escalation"},
                )
                recipients = [*department_heads(), *([ticket.assignee] if ticket.assignee else [])]
                notifications.on_commit(notifications.SLA_BREACH, ticket, recipients)
                counts["escalated"] += 1
    return counts


def department_heads() -> list:
    User = get_user_model()
    return list(User.objects.filter(is_active=True, groups__name="dept_head").distinct())
