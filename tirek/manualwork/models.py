"""Work items: operations on systems Tirek cannot reach, carried out by staff by hand.

Platonus, KABIS, eOtinish and any system switched to the "manual" connector get their
operations (create, disable, add to a group, ...) as work items. Staff see exactly what to
enter, confirm with the result (the login the system gave), or report a problem; or download
all open items of a system as one import file in that system's layout (a batch), import it
there, and close the batch, which confirms its items. The operation underneath stays the record
of what had to happen: done when its item is confirmed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ItemStatus(models.TextChoices):
    OPEN = "open", _("to do")
    DONE = "done", _("done")
    PROBLEM = "problem", _("problem reported")
    CANCELLED = "cancelled", _("cancelled")


class WorkBatch(models.Model):
    system = models.ForeignKey(
        "access.System", verbose_name=_("system"), on_delete=models.PROTECT, related_name="+"
    )
    file_format = models.CharField(_("format"), max_length=8)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    downloads = models.PositiveIntegerField(_("downloads"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("batch")
        verbose_name_plural = _("batches")

    def __str__(self) -> str:
        return f"{self.system.code} #{self.pk}"


class WorkItem(models.Model):
    operation = models.OneToOneField(
        "access.Operation", on_delete=models.PROTECT, related_name="work_item"
    )
    system = models.ForeignKey(
        "access.System", verbose_name=_("system"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ItemStatus.choices, default=ItemStatus.OPEN,
        db_index=True,
    )  # fmt: skip
    due_at = models.DateTimeField(_("due"))
    reminded_at = models.DateTimeField(null=True, blank=True)
    batch = models.ForeignKey(
        WorkBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )
    result_login = models.CharField(_("login given by the system"), max_length=150, blank=True)
    note = models.TextField(_("note"), blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("work item")
        verbose_name_plural = _("work items")

    def __str__(self) -> str:
        return f"#{self.pk} {self.operation.get_kind_display()} {self.operation.account.login}"

    @property
    def overdue(self) -> bool:
        return self.status == ItemStatus.OPEN and self.due_at < timezone.now()
