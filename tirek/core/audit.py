"""Writing and verifying the audit log.

Domain actions (`services.py` in each app) call `record()` inside their transaction; who and
from where come from the request context set by `AuditContextMiddleware` (or from the explicit
`actor` for commands and tasks). Personal data is masked before it is written.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from tirek.core.masking import mask_changes, mask_text
from tirek.core.models import AuditAction, AuditChainHead, AuditEvent

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditContext:
    actor: Any = None  # a User or None
    ip: str | None = None
    request_id: str = ""


_context: contextvars.ContextVar[AuditContext] = contextvars.ContextVar(
    "tirek_audit_context",
    default=AuditContext(),  # noqa: B039  (a frozen dataclass: immutable)
)


def current_context() -> AuditContext:
    return _context.get()


def set_context(ctx: AuditContext) -> contextvars.Token:
    return _context.set(ctx)


def reset_context(token: contextvars.Token) -> None:
    _context.reset(token)


def new_request_id() -> str:
    return str(uuid.uuid4())


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The concrete field values of `instance`, JSON-ready, for before/after records."""
    wanted = set(fields) if fields is not None else None
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if wanted is not None and field.name not in wanted:
            continue
        if field.name in {"password"}:
            continue
        value = getattr(instance, field.attname)
        if isinstance(field, models.FileField):
            value = value.name if value else ""
        data[field.name] = _jsonable(value)
    return data


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Only the fields that changed, as {"before": {...}, "after": {...}}."""
    keys = sorted(set(before) | set(after))
    changed = [k for k in keys if before.get(k) != after.get(k)]
    return {
        "before": {k: before.get(k) for k in changed},
        "after": {k: after.get(k) for k in changed},
    }


def _canonical(event: AuditEvent) -> bytes:
    payload = {
        "created_at": event.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "ip": event.ip,
        "request_id": event.request_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "changes": event.changes,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def record(
    action: str,
    obj: models.Model | None = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor: Any = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    extra: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction (or its own)."""
    event = _event(
        action,
        obj,
        before=before,
        after=after,
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        extra=extra,
    )
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        event.prev_hash = head.last_hash
        # The hash covers the content and the previous hash (not the id, which the database
        # assigns on insert): the order of the chain is carried by prev_hash.
        event.hash = compute_hash(event)
        event.save()
        head.last_id = event.pk
        head.last_hash = event.hash
        head.save(update_fields=["last_id", "last_hash"])
    return event


def record_many(
    action: str,
    items: Iterable[tuple[models.Model, dict[str, Any] | None]],
    *,
    actor: Any = None,
    extra: dict[str, Any] | None = None,
) -> list[AuditEvent]:
    """One event per (object, state after) in one insert: what `record` writes for each, with
    the chain head locked and moved once. For changes made in bulk (draft cards of a new
    intake), where one event per object costs four statements."""
    events = [_event(action, obj, after=after, actor=actor, extra=extra) for obj, after in items]
    if not events:
        return []
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        previous = head.last_hash
        for event in events:
            event.prev_hash = previous
            event.hash = previous = compute_hash(event)
        # Inserted in list order, so ids ascend along the chain as `verify` expects.
        AuditEvent.objects.bulk_create(events)
        head.last_id = events[-1].pk or AuditEvent.objects.order_by("-pk").values("pk")[0]["pk"]
        head.last_hash = events[-1].hash
        head.save(update_fields=["last_id", "last_hash"])
    return events


def _event(
    action: str,
    obj: models.Model | None = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor: Any = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    extra: dict[str, Any] | None = None,
) -> AuditEvent:
    """An event not yet chained: who, where, what, and the masked changes."""
    ctx = current_context()
    if actor is None:
        actor = ctx.actor
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    changes: dict[str, Any] = {}
    if before is not None or after is not None:
        if before is not None and after is not None:
            changes = diff(before, after)
        else:
            changes = {"before": before or {}, "after": after or {}}
    if extra:
        changes["extra"] = _jsonable(extra)
    changes = mask_changes(changes)
    return AuditEvent(
        created_at=timezone.now(),
        actor=actor,
        actor_label=(actor.get_username() if actor is not None else "")[:150],
        ip=ctx.ip,
        request_id=ctx.request_id,
        action=action,
        object_type=object_type[:100],
        object_id=str(object_id)[:64],
        object_repr=mask_text(object_repr)[:200],
        changes=changes,
    )


@dataclass(frozen=True)
class ChainProblem:
    """One thing wrong with the chain. `kind` is stable for code; `message` is for people."""

    event_id: int | None
    kind: str  # edited | rewritten | deleted_before | deleted_between | deleted_newest | added
    message: str

    def __str__(self) -> str:
        return self.message


def verify(batch_size: int = 2000) -> Iterator[ChainProblem]:
    """Walk the whole chain in id order and yield every problem found.

    Each event's hash covers its content and the previous event's hash, so:
    - content edited behind Tirek's back: the event's own hash no longer matches (`edited`);
    - events deleted: the next surviving event's prev_hash points at a hash no longer there
      (`deleted_between`, or `deleted_before` at the start of the chain);
    - an event edited *and* its hash recomputed: the next event no longer follows it
      (`rewritten`), since ids with no gap between them rule out a deletion;
    - the newest events deleted: the chain head row remembers the last id and hash
      (`deleted_newest`).
    """
    from django.utils.translation import gettext as _t

    prev_hash = GENESIS
    prev_id: int | None = None
    last_seen: AuditEvent | None = None
    qs = AuditEvent.objects.order_by("id")
    for event in qs.iterator(chunk_size=batch_size):
        content_ok = compute_hash(event) == event.hash
        if not content_ok:
            yield ChainProblem(
                event.pk,
                "edited",
                _t("event %(id)s: its content was edited after it was written") % {"id": event.pk},
            )
        if event.prev_hash != prev_hash:
            if prev_id is None:
                yield ChainProblem(
                    event.pk,
                    "deleted_before",
                    _t("event %(id)s: the events before it were deleted") % {"id": event.pk},
                )
            elif event.pk == prev_id + 1 and content_ok:
                # No id between them, so nothing was deleted: the previous event was
                # rewritten together with its hash.
                yield ChainProblem(
                    prev_id,
                    "rewritten",
                    _t(
                        "event %(prev)s: it was edited and its hash recomputed"
                        " (event %(id)s no longer follows it)"
                    )
                    % {"prev": prev_id, "id": event.pk},
                )
            else:
                yield ChainProblem(
                    event.pk,
                    "deleted_between",
                    _t("events deleted between event %(prev)s and event %(id)s")
                    % {"prev": prev_id, "id": event.pk},
                )
        prev_hash = event.hash
        prev_id = event.pk
        last_seen = event
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None or not head.last_id:
        if last_seen is not None:
            yield ChainProblem(
                None,
                "deleted_newest",
                _t("the record of the chain's end is missing; it cannot be checked"),
            )
        return
    if last_seen is None or last_seen.pk < head.last_id:
        yield ChainProblem(
            head.last_id,
            "deleted_newest",
            _t(
                "the newest events were deleted: the chain should end at event %(expected)s,"
                " it ends at %(actual)s"
            )
            % {"expected": head.last_id, "actual": last_seen.pk if last_seen else "-"},
        )
    elif last_seen.pk > head.last_id:
        yield ChainProblem(
            last_seen.pk,
            "added",
            _t("events after event %(expected)s were added outside Tirek")
            % {"expected": head.last_id},
        )
    elif last_seen.hash != head.last_hash:
        yield ChainProblem(
            last_seen.pk,
            "rewritten",
            _t("event %(id)s: it was edited and its hash recomputed") % {"id": last_seen.pk},
        )


def count_events() -> int:
    return AuditEvent.objects.count()


__all__ = ["AuditAction", "AuditContext", "ChainProblem", "record", "snapshot", "verify"]
