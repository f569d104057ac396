"""Tickets of the service desk: failure reports, service requests, website publication requests
and questions, with their comments, attachments and SLA clocks.

Every write goes through `services.py`. The SLA fields are filled in by `sla.py`: due times are
counted in business hours from `opened_at`, pushed later by the business time the ticket spent
waiting for its requester (`paused_seconds`).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    """Staff who own some systems; new tickets about them go round-robin to the members."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), related_name="servicedesk_teams"
    )
    # The member who got the last ticket; the next one goes to the member after them.
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class SystemProfile(models.Model):
    """What the service desk keeps about a system of the catalogue (`access.System`): the team
    that owns its tickets, whether the public status page lists it, and its place in lists.
    A system without a profile can still be chosen on tickets; it has no owning team and is
    not on the status page."""

    system = models.OneToOneField(
        "access.System",
        verbose_name=_("system"),
        on_delete=models.CASCADE,
        related_name="desk_profile",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("owning team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="systems",
    )
    on_status_page = models.BooleanField(_("on the status page"), default=True)
    position = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        ordering = ["position", "system__code"]
        verbose_name = _("system of the service desk")
        verbose_name_plural = _("systems of the service desk")

    def __str__(self) -> str:
        return str(self.system)


class Kind(models.TextChoices):
    INCIDENT = "incident", _("Failure report")
    SERVICE_REQUEST = "service_request", _("Service request")
    PUBLICATION = "publication", _("Website publication request")
    QUESTION = "question", _("Question")


class Status(models.TextChoices):
    NEW = "new", _("new")
    IN_PROGRESS = "in_progress", _("in progress")
    WAITING = "waiting", _("waiting for requester")
    RESOLVED = "resolved", _("resolved")
    CLOSED = "closed", _("closed")
    SUBMITTED = "submitted", _("submitted")
    IN_REVIEW = "in_review", _("in review")
    RETURNED = "returned", _("returned for changes")
    RESUBMITTED = "resubmitted", _("resubmitted")
    SCHEDULED = "scheduled", _("scheduled")
    PUBLISHED = "published", _("published")
    CONFIRMED = "confirmed", _("confirmed")
    MERGED = "merged", _("merged into another")


# Statuses in which the work is done (the resolution clock has stopped).
DONE_STATUSES = frozenset(
    {Status.RESOLVED, Status.CLOSED, Status.PUBLISHED, Status.CONFIRMED, Status.MERGED}
)
# Open statuses, named (not negated) so that indexes can serve them.
OPEN_STATUSES = [s for s in Status.values if s not in DONE_STATUSES]
# Statuses in which the ticket waits for its requester (the SLA clock pauses).
PAUSED_STATUSES = frozenset({Status.WAITING, Status.RETURNED})


class Level(models.IntegerChoices):
    HIGH = 1, _("high")
    MEDIUM = 2, _("medium")
    LOW = 3, _("low")


class Priority(models.IntegerChoices):
    CRITICAL = 1, _("P1 critical")
    HIGH = 2, _("P2 high")
    MEDIUM = 3, _("P3 medium")
    LOW = 4, _("P4 low")


def priority_for(impact: int, urgency: int) -> int:
    """The impact × urgency matrix: high/high is P1, low/low P4."""
    return min(int(impact) + int(urgency) - 1, Priority.LOW)


class TicketCounter(models.Model):
    """The last number given in a year (TKT-2026-000123), locked while the next is taken."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Ticket(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, db_index=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, db_index=True)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="servicedesk_tickets",
    )
    requester_unit = models.ForeignKey(
        "people.OrgUnit",
        verbose_name=_("requester's unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="servicedesk_tickets",
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # The system the ticket is about; none means "other".
    system = models.ForeignKey(
        "access.System",
        verbose_name=_("system"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    # A service request for access in a system: the access request that carries it out.
    access_request = models.ForeignKey(
        "access.AccessRequest",
        verbose_name=_("access request"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    # Failure reports: since when, how many people are affected. Service requests: what kind.
    since = models.DateTimeField(_("since when"), null=True, blank=True)
    affected_people = models.PositiveIntegerField(_("people affected"), null=True, blank=True)
    request_type = models.CharField(_("type of request"), max_length=32, blank=True)
    impact = models.PositiveSmallIntegerField(
        _("impact"), choices=Level.choices, default=Level.MEDIUM
    )
    urgency = models.PositiveSmallIntegerField(
        _("urgency"), choices=Level.choices, default=Level.MEDIUM
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.MEDIUM, db_index=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="servicedesk_assigned",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL
    )
    is_major = models.BooleanField(_("major incident"), default=False)
    major_incident = models.ForeignKey(
        "self",
        verbose_name=_("major incident"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="linked_reports",
        limit_choices_to={"is_major": True},
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
    )
    opened_at = models.DateTimeField(_("opened"), db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # SLA
    response_due = models.DateTimeField(_("response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True, db_index=True)
    paused_seconds = models.PositiveIntegerField(default=0)
    paused_at = models.DateTimeField(_("waiting since"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    response_breached = models.BooleanField(_("response target missed"), default=False)
    resolution_breached = models.BooleanField(_("resolution target missed"), default=False)
    # Satisfaction, given by the requester after resolution.
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.TextField(_("comment on the result"), blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["status", "-opened_at"]),
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["requester", "-opened_at"]),
            # The queue's default view: open tickets by priority and due time, first page.
            models.Index(
                fields=["priority", "resolution_due", "-id"],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="servicedesk_open_queue",
            ),
            # The latest change, which versions the queue's cache: one probe at the index's end.
            models.Index(fields=["updated_at"], name="servicedesk_ticket_updated"),
            # Open major incidents (ticket pages, the status page): a handful among many.
            models.Index(
                fields=["opened_at"],
                condition=models.Q(is_major=True),
                name="servicedesk_majors",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="servicedesk_rating_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status not in DONE_STATUSES

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None


class Comment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("text"))
    # An internal note is for the department only; the requester never sees it.
    internal = models.BooleanField(_("internal note"), default=False)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return f"{self.ticket.number} #{self.pk}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name is random: the uploader's file name is kept apart and never trusted.
    return f"servicedesk/{instance.ticket_id}/{uuid.uuid4().hex}.{instance.extension}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Stored under MEDIA_ROOT, which is not served: files go out through a view that checks.
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    extension = models.CharField(max_length=8)
    size = models.PositiveIntegerField(_("size"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name

    @property
    def internal(self) -> bool:
        return bool(self.comment_id and self.comment.internal)


class PublicationRequest(models.Model):
    """What a publication ticket asks to publish, and where."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="publication")
    target_site = models.CharField(_("site"), max_length=200)
    section = models.CharField(_("section"), max_length=200, blank=True)
    title_kk = models.CharField(_("title (Kazakh)"), max_length=300, blank=True)
    title_ru = models.CharField(_("title (Russian)"), max_length=300, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    text_kk = models.TextField(_("text (Kazakh)"), blank=True)
    text_ru = models.TextField(_("text (Russian)"), blank=True)
    text_en = models.TextField(_("text (English)"), blank=True)
    wanted_date = models.DateField(_("wanted publication date"))
    scheduled_for = models.DateField(_("scheduled for"), null=True, blank=True)
    published_url = models.URLField(_("published at"), max_length=500, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    returned_comment = models.TextField(_("what to change"), blank=True)

    class Meta:
        verbose_name = _("publication request")
        verbose_name_plural = _("publication requests")

    def __str__(self) -> str:
        return self.ticket.number

    @property
    def on_time(self) -> bool | None:
        if self.published_at is None:
            return None
        from django.utils import timezone

        return timezone.localdate(self.published_at) <= self.wanted_date


class NotificationPreference(models.Model):
    """Which e-mails a user wants; a user without a row gets them all."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="servicedesk_prefs"
    )
    new_ticket = models.BooleanField(_("new tickets (staff)"), default=True)
    reply = models.BooleanField(_("replies"), default=True)
    status_change = models.BooleanField(_("status changes"), default=True)
    sla_warning = models.BooleanField(_("SLA warnings (staff)"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)


class PublicationDelegate(models.Model):
    """Someone a head of unit lets file website publication requests for the unit and follow
    and confirm them, until revoked or until `valid_until` (inclusive)."""

    unit = models.ForeignKey(
        "people.OrgUnit",
        verbose_name=_("unit"),
        on_delete=models.CASCADE,
        related_name="publication_delegates",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("delegate"),
        on_delete=models.CASCADE,
        related_name="publication_delegations",
    )
    valid_until = models.DateField(_("until"), null=True, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("since"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["unit", "-created_at"]
        verbose_name = _("publication delegate")
        verbose_name_plural = _("publication delegates")

    def __str__(self) -> str:
        return f"{self.user} @ {self.unit}"

    @property
    def is_active(self) -> bool:
        from django.utils import timezone

        if self.revoked_at is not None:
            return False
        return self.valid_until is None or self.valid_until >= timezone.localdate()
