"""Lifecycle events: joiners, movers and leavers, and the subscribers that learn of them.

Events are the only way later parts of Tirek (accounts, cards) learn that someone joined,
moved or left. An import writes them in its transaction; subscribers are called only after
that transaction commits, so they never act on a change that was rolled back:

    from tirek.people import events

    def on_people_changed(batch: list[events.LifecycleEvent]) -> None: ...

    events.subscribe(on_people_changed)   # e.g. in an AppConfig.ready()

A subscriber gets every event of one commit in one call (an import may make thousands). One
that raises is logged and does not stop the others; the events are already stored, so a
subscriber can catch up from the table (`LifecycleEvent.objects.filter(id__gt=...)`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger("tirek.people.events")


class EventKind(models.TextChoices):
    JOINER = "joiner", _("joined")
    MOVER = "mover", _("moved or changed")
    LEAVER = "leaver", _("left")


class EventReason(models.TextChoices):
    NEW = "new", _("new in the source")
    UNIT = "unit", _("unit changed")
    POSITION = "position", _("position changed")
    GROUP = "group", _("group changed")
    STATUS = "status", _("status changed")
    RETURNED = "returned", _("came back")
    DISMISSED = "dismissed", _("dismissed")
    EXPELLED = "expelled", _("expelled")
    GRADUATED = "graduated", _("graduated")
    ACADEMIC_LEAVE = "academic_leave", _("on academic leave")
    ABSENT = "absent", _("absent from a full snapshot")


class LifecycleEvent(models.Model):
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="lifecycle_events",
    )
    affiliation = models.ForeignKey(
        "people.Affiliation",
        verbose_name=_("affiliation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lifecycle_events",
    )
    kind = models.CharField(_("event"), max_length=8, choices=EventKind.choices)
    # A mover may have several reasons ("unit,group"); a joiner "new"; a leaver one.
    reasons = models.CharField(_("reasons"), max_length=100)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    run = models.ForeignKey(
        "people.ImportRun",
        verbose_name=_("import run"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lifecycle event")
        verbose_name_plural = _("lifecycle events")
        indexes = [models.Index(fields=["kind", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.person_id} ({self.reasons})"

    @property
    def reason_labels(self) -> list[str]:
        labels = dict(EventReason.choices)
        return [str(labels.get(r, r)) for r in self.reasons.split(",") if r]


Subscriber = Callable[[Sequence[LifecycleEvent]], None]
_subscribers: list[Subscriber] = []


def subscribe(callback: Subscriber) -> Subscriber:
    """Call `callback(events)` after each commit that wrote lifecycle events. Idempotent."""
    if callback not in _subscribers:
        _subscribers.append(callback)
    return callback


def unsubscribe(callback: Subscriber) -> None:
    if callback in _subscribers:
        _subscribers.remove(callback)


def dispatch(batch: Sequence[LifecycleEvent]) -> None:
    """Hand `batch` to every subscriber now (normally called by `emit` on commit)."""
    for callback in list(_subscribers):
        try:
            callback(batch)
        except Exception:  # one broken subscriber must not silence the others
            logger.exception("lifecycle event subscriber %r failed", callback)


def emit(batch: Sequence[LifecycleEvent]) -> None:
    """Dispatch `batch` once the current transaction commits (at once outside one)."""
    if batch:
        batch = list(batch)
        transaction.on_commit(lambda: dispatch(batch))
