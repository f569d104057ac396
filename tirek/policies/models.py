"""Birthright policies: who is entitled to which role in which system, by their affiliations.

A `Policy` says "every <kind> of <unit and below> [with a position of <category>] gets
<system role>". Tirek keeps for each person the roles the policies give them
(`Entitlement`, with the policies that say so: the "why"), and turns differences between that
and their grants into grants with source "policy" — never touching grants given by hand or by
an access request. A `PolicyRun` records each evaluation; one that would change more than the
configured number of people waits for a human's confirmation.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tirek.people.models import AffiliationKind, PositionCategory


class Policy(models.Model):
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    role = models.ForeignKey(
        "access.SystemRole",
        verbose_name=_("role given"),
        on_delete=models.PROTECT,
        related_name="policies",
    )
    # Empty lists mean "any".
    affiliation_kinds = models.JSONField(_("affiliation kinds"), default=list, blank=True)
    unit = models.ForeignKey(
        "people.OrgUnit",
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the whole university."),
    )
    include_subunits = models.BooleanField(_("and every unit under it"), default=True)
    position_categories = models.JSONField(_("position categories"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("policy")
        verbose_name_plural = _("policies")

    def __str__(self) -> str:
        return self.name

    def kind_labels(self) -> list[str]:
        labels = dict(AffiliationKind.choices)
        return [str(labels.get(k, k)) for k in self.affiliation_kinds]

    def category_labels(self) -> list[str]:
        labels = dict(PositionCategory.choices)
        return [str(labels.get(c, c)) for c in self.position_categories]


class Entitlement(models.Model):
    """What the policies say a person should hold now, and which policies say it."""

    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="entitlements"
    )
    role = models.ForeignKey("access.SystemRole", on_delete=models.CASCADE, related_name="+")
    policies = models.ManyToManyField(Policy, related_name="entitlements")
    since = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "role"], name="policies_one_per_role")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} · {self.role_id}"


class RunTrigger(models.TextChoices):
    EVENT = "event", _("lifecycle events")
    NIGHTLY = "nightly", _("nightly full pass")
    POLICY = "policy", _("policy changed")
    MANUAL = "manual", _("run by staff")


class RunStatus(models.TextChoices):
    DONE = "done", _("done")
    WAITING = "waiting", _("waiting for confirmation")
    CONFIRMED = "confirmed", _("confirmed and done")
    DISCARDED = "discarded", _("discarded")


class PolicyRun(models.Model):
    trigger = models.CharField(_("trigger"), max_length=8, choices=RunTrigger.choices)
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    people = models.PositiveIntegerField(_("people evaluated"), default=0)
    grants_added = models.PositiveIntegerField(_("roles given"), default=0)
    grants_removed = models.PositiveIntegerField(_("roles taken"), default=0)
    accounts_disabled = models.PositiveIntegerField(_("accounts disabled"), default=0)
    accounts_enabled = models.PositiveIntegerField(_("accounts enabled"), default=0)
    # A run that waits keeps the people it would change, to evaluate them again on confirmation.
    person_ids = models.JSONField(default=list, blank=True, editable=False)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("policy run")
        verbose_name_plural = _("policy runs")

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_trigger_display()} {self.get_status_display()}"
