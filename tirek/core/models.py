"""The login user and the audit log.

The audit log is append-only and hash-chained: each row carries the SHA-256 of its own content
and of the row before it, so `tirek audit verify` can name any row edited or deleted behind
Tirek's back. The chain head (last id and hash) is kept in its own row, locked while a new
event is appended, so that concurrent writers cannot fork the chain and the deletion of the
newest rows is detected too.
"""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A login. The person behind it, if any, is `user.person` (people.Person.user)."""

    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, blank=True, default=""
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


class AuditAction(models.TextChoices):
    CREATE = "create", _("created")
    UPDATE = "update", _("updated")
    DELETE = "delete", _("deleted")
    LOGIN = "login", _("logged in")
    LOGIN_FAILED = "login_failed", _("failed login")
    LOGOUT = "logout", _("logged out")
    LOCKED_OUT = "locked_out", _("locked out")
    PERMISSION_DENIED = "permission_denied", _("permission denied")
    EXPORT = "export", _("exported")
    PASSWORD_CHANGE = "password_change", _("changed password")
    TWO_FACTOR = "two_factor", _("two-factor change")
    VIEW_PERSONAL = "view_personal", _("viewed personal data")


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):  # pragma: no cover - guard
        raise TypeError("The audit log is append-only.")

    def delete(self):  # pragma: no cover - guard
        raise TypeError("The audit log is append-only.")


class AuditEvent(models.Model):
    created_at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    # Kept as text too: the chain must not depend on a user row that may later be renamed.
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(max_length=36, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=100, blank=True, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["action", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The audit log is append-only.")


class AuditChainHead(models.Model):
    """The single row that holds the newest event's id and hash."""

    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit chain head at event {self.last_id}"


class PeriodicJob(models.Model):
    """A job that runs every `interval`, synced from the registry in `tirek.core.jobs`.

    `next_run_at` is the claim token: a worker owns a run only if its conditional UPDATE from
    the value it read to the next value changed exactly one row (see `jobs.claim`).
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    interval = models.DurationField(_("interval"))
    next_run_at = models.DateTimeField(_("next run"), db_index=True)
    last_started_at = models.DateTimeField(_("last started"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("last finished"), null=True, blank=True)
    last_status = models.CharField(_("last status"), max_length=16, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("periodic job")
        verbose_name_plural = _("periodic jobs")

    def __str__(self) -> str:
        return self.name


class JobRunStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    OK = "ok", _("succeeded")
    FAILED = "failed", _("failed")


class JobRun(models.Model):
    """One run of a periodic job: the record every run leaves, whatever its outcome."""

    job_name = models.CharField(_("job"), max_length=100, db_index=True)
    scheduled_for = models.DateTimeField(_("scheduled for"))
    claimed_by = models.CharField(_("claimed by"), max_length=64, blank=True)
    worker_id = models.CharField(_("worker"), max_length=64, blank=True)
    task_result_id = models.CharField(_("task result"), max_length=64, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=JobRunStatus.choices, default=JobRunStatus.QUEUED
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    output = models.TextField(_("output"), blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        indexes = [models.Index(fields=["job_name", "-created_at"])]
        # A second guard behind the claim: the database itself refuses two runs of one slot.
        constraints = [
            models.UniqueConstraint(
                fields=["job_name", "scheduled_for"], name="core_jobrun_one_run_per_slot"
            )
        ]

    def __str__(self) -> str:
        return f"{self.job_name} {self.scheduled_for:%Y-%m-%d %H:%M} {self.status}"
