"""Work items for manual systems: collected from the outbox, worked by staff, audited.

The worker never runs operations of a manual system (tirek/access/operations.py leaves them);
`collect()` (a periodic job, every few seconds) turns each into a work item, reopens the item
of an operation staff retried, and cancels the item of an operation staff cancelled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tirek.access import credentials, signals
from tirek.access.models import (
    MANUAL_KINDS,
    Account,
    AccountStatus,
    ConnectorKind,
    LoginReservation,
    Operation,
    OperationKind,
    OperationStatus,
    System,
)
from tirek.core.audit import record, snapshot
from tirek.core.models import AuditAction
from tirek.manualwork import layouts
from tirek.manualwork.models import ItemStatus, WorkBatch, WorkItem

DEFAULT_DUE_HOURS = 16  # business hours: two working days
REMIND_EVERY = dt.timedelta(hours=24)


class WorkError(Exception):
    pass


def _who(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def due_at(system: System, start: dt.datetime) -> dt.datetime:
    hours = float((system.connector_settings or {}).get("due_business_hours", DEFAULT_DUE_HOURS))
    from tirek.servicedesk.sla import calendar  # the university's working week and holidays

    return calendar().add(start, hours * 3600)


# -- collecting ----------------------------------------------------------------------------------


def collect(now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    counts = {"created": 0, "reopened": 0, "cancelled": 0}
    manual = Q(system__connector_kind__in=MANUAL_KINDS)
    with transaction.atomic():
        new = list(
            Operation.objects.filter(manual, status=OperationStatus.PENDING, work_item__isnull=True)
            .select_related("system")
            .order_by("id")[:5000]
        )
        dues: dict[int, dt.datetime] = {}
        items = []
        for op in new:
            if op.system_id not in dues:
                dues[op.system_id] = due_at(op.system, now)
            items.append(WorkItem(operation=op, system_id=op.system_id, due_at=dues[op.system_id]))
        WorkItem.objects.bulk_create(items, batch_size=1000, ignore_conflicts=True)
        counts["created"] = len(items)
        # Retried by staff after a problem: the same item is open again, with a new due date.
        for item in WorkItem.objects.filter(
            status=ItemStatus.PROBLEM, operation__status=OperationStatus.PENDING
        ).select_related("system"):
            item.status, item.due_at, item.reminded_at = (
                ItemStatus.OPEN,
                due_at(item.system, now),
                None,
            )
            item.save(update_fields=["status", "due_at", "reminded_at"])
            counts["reopened"] += 1
        counts["cancelled"] = WorkItem.objects.filter(
            status__in=[ItemStatus.OPEN, ItemStatus.PROBLEM],
            operation__status=OperationStatus.CANCELLED,
        ).update(status=ItemStatus.CANCELLED, closed_at=now)
    if any(counts.values()):
        record(
            AuditAction.UPDATE,
            object_type="manualwork.workitem",
            object_id="collect",
            object_repr=f"{counts['created']} new work items",
            extra=counts,
        )
    return counts


# -- what to enter --------------------------------------------------------------------------------


def row_for(item: WorkItem, *, with_password: bool) -> dict[str, str]:
    op = item.operation
    account = op.account
    person = account.person
    row = {
        "operation": op.kind,
        "login": account.login,
        "group": (op.payload or {}).get("group", ""),
        "roles": ",".join(sorted(g.role.code for g in account.grants.all())),
    }
    if person is not None:
        from tirek.people.translit import to_latin

        affiliation = person.affiliations.current().select_related("unit").first()
        row.update(
            last_name=person.last_name,
            first_name=person.first_name,
            patronymic=person.patronymic,
            last_name_latin=person.last_name_latin or to_latin(person.last_name),
            first_name_latin=person.first_name_latin or to_latin(person.first_name),
            email=person.email,
            iin=person.iin or "",
            birth_date=person.birth_date.isoformat() if person.birth_date else "",
            unit=affiliation.unit.name if affiliation else "",
            study_group=affiliation.group if affiliation else "",
            person_key=f"tirek-{person.pk}",
        )
    if (
        with_password
        and op.secret
        and op.kind in (OperationKind.CREATE, OperationKind.SET_PASSWORD)
    ):
        row["password"] = credentials.decrypt(op.secret)
    return row


@transaction.atomic
def reveal_password(actor, item: WorkItem) -> str:
    """The initial password to type into the system, for the member of staff doing it. The
    person has their own one-time link; the audit log records that it was shown, never what."""
    item = WorkItem.objects.select_related("operation").get(pk=item.pk)
    op = item.operation
    if item.status != ItemStatus.OPEN or not op.secret:
        raise WorkError(_("There is no password to show for this item."))
    record(AuditAction.VIEW_PERSONAL, item, actor=actor, extra={"shown": "initial password"})
    return credentials.decrypt(op.secret)


# -- closing items -------------------------------------------------------------------------------


def _close_operation(op: Operation, now: dt.datetime, result_login: str = "") -> None:
    account = Account.objects.select_for_update().get(pk=op.account_id)
    changes: dict = {"last_synced_at": now}
    if op.kind == OperationKind.CREATE and account.status == AccountStatus.PENDING:
        changes["status"] = AccountStatus.ACTIVE
    if result_login and result_login != account.login:
        if Account.objects.filter(system_id=account.system_id, login=result_login).exists():
            raise ValidationError(_("Another account in this system already has that login."))
        LoginReservation.objects.get_or_create(
            system_id=account.system_id, login=result_login, defaults={"person": account.person}
        )
        changes["login"] = result_login
    before = snapshot(account, list(changes))
    for name, value in changes.items():
        setattr(account, name, value)
    account.save(update_fields=[*changes, "updated_at"])
    if "login" in changes or "status" in changes:
        record(AuditAction.UPDATE, account, before=before, after=snapshot(account, list(changes)))
    Operation.objects.filter(pk=op.pk).update(
        status=OperationStatus.DONE, secret=None, finished_at=now, last_error=""
    )
    # Done by hand in the system: an access request waiting for it may now be granted.
    signals.after_operations({op.account_id})


@transaction.atomic
def confirm(actor, item: WorkItem, *, result_login: str = "", note: str = "") -> WorkItem:
    item = WorkItem.objects.select_for_update().select_related("operation").get(pk=item.pk)
    if item.status != ItemStatus.OPEN:
        raise WorkError(_("Only an open item can be confirmed."))
    now = timezone.now()
    _close_operation(item.operation, now, result_login.strip())
    item.status, item.closed_by, item.closed_at = ItemStatus.DONE, _who(actor), now
    item.result_login, item.note = result_login.strip(), note
    item.save(update_fields=["status", "closed_by", "closed_at", "result_login", "note"])
    record(
        AuditAction.UPDATE,
        item,
        actor=actor,
        after={"status": item.status, "result_login": item.result_login, "note": note},
    )
    return item


@transaction.atomic
def report_problem(actor, item: WorkItem, *, note: str) -> WorkItem:
    if not note.strip():
        raise WorkError(_("Say what the problem is."))
    item = WorkItem.objects.select_for_update().select_related("operation").get(pk=item.pk)
    if item.status != ItemStatus.OPEN:
        raise WorkError(_("Only an open item can have a problem reported."))
    item.status, item.note = ItemStatus.PROBLEM, note.strip()
    item.closed_by, item.closed_at = _who(actor), timezone.now()
    item.save(update_fields=["status", "note", "closed_by", "closed_at"])
    # The operation joins the needs-attention list, where staff retry (the item reopens) or
    # cancel it, as for any other target.
    Operation.objects.filter(pk=item.operation_id).update(
        status=OperationStatus.NEEDS_ATTENTION, last_error=item.note[:2000]
    )
    record(AuditAction.UPDATE, item, actor=actor, after={"status": item.status, "note": item.note})
    return item


# -- batches -------------------------------------------------------------------------------------


def _items_for_file(batch: WorkBatch) -> list[WorkItem]:
    return list(
        batch.items.filter(status=ItemStatus.OPEN)
        .select_related("operation__account__person", "system")
        .prefetch_related("operation__account__grants__role")
        .order_by("id")
    )


def _downloaded(actor, batch: WorkBatch, what: dict) -> None:
    """Count and audit one download of a batch's file (what it held, never a password)."""
    WorkBatch.objects.filter(pk=batch.pk).update(downloads=F("downloads") + 1)
    record(AuditAction.EXPORT, batch, actor=actor, extra=what)


def _file(actor, batch: WorkBatch, layout: layouts.Layout) -> bytes:
    items = _items_for_file(batch)
    body = layouts.render(
        layout, (row_for(i, with_password="password" in layout.fields) for i in items)
    )
    _downloaded(
        actor,
        batch,
        {
            "items": len(items),
            "fields": layout.fields,
            "personal": sorted(layouts.PERSONAL_FIELDS & set(layout.fields)),
            "passwords": "password" in layout.fields,
        },
    )
    return body


def _ojs_file(actor, batch: WorkBatch) -> bytes:
    """An OJS system's batch is its PKP users import file (create operations only: OJS imports
    users, it does not disable them; other items stay to be done one by one)."""
    from tirek.connectors.files import build_import_file

    items = [i for i in _items_for_file(batch) if i.operation.kind == OperationKind.CREATE]
    result = build_import_file(batch.system, [i.operation for i in items])
    _downloaded(
        actor,
        batch,
        {"items": len(items), "import_file": result.filename, "command": result.command},
    )
    return result.content


@transaction.atomic
def create_batch(
    actor, system: System, item_ids: Iterable[int] | None = None
) -> tuple[WorkBatch, bytes]:
    """Every open item of `system` not yet in a batch (or the chosen ones) in one import file."""
    layout = layouts.layout_for(system)
    items = WorkItem.objects.select_for_update().filter(
        system=system, status=ItemStatus.OPEN, batch__isnull=True
    )
    if item_ids is not None:
        items = items.filter(pk__in=list(item_ids))
    if system.connector_kind == ConnectorKind.OJS_FILE:
        items = items.filter(operation__kind=OperationKind.CREATE)
    ids = list(items.values_list("pk", flat=True))
    if not ids:
        raise WorkError(_("There are no open items of this system outside a batch."))
    file_format = "xml" if system.connector_kind == ConnectorKind.OJS_FILE else layout.file_format
    batch = WorkBatch.objects.create(system=system, file_format=file_format, created_by=_who(actor))
    WorkItem.objects.filter(pk__in=ids).update(batch=batch)
    if system.connector_kind == ConnectorKind.OJS_FILE:
        return batch, _ojs_file(actor, batch)
    return batch, _file(actor, batch, layout)


@transaction.atomic
def download_again(actor, batch: WorkBatch) -> bytes:
    if batch.closed_at:
        raise WorkError(_("The batch is closed: its passwords are gone."))
    if batch.system.connector_kind == ConnectorKind.OJS_FILE:
        return _ojs_file(actor, batch)
    return _file(actor, batch, layouts.layout_for(batch.system))


@transaction.atomic
def close_batch(actor, batch: WorkBatch) -> int:
    """The file was imported: confirm every open item of the batch. Returns how many."""
    batch = WorkBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.closed_at:
        raise WorkError(_("The batch is already closed."))
    confirmed = 0
    for item in batch.items.filter(status=ItemStatus.OPEN):
        confirm(actor, item)
        confirmed += 1
    batch.closed_at, batch.closed_by = timezone.now(), _who(actor)
    batch.save(update_fields=["closed_at", "closed_by"])
    record(AuditAction.UPDATE, batch, actor=actor, extra={"closed": True, "confirmed": confirmed})
    return confirmed


# -- reminders -----------------------------------------------------------------------------------


def remind(now: dt.datetime | None = None) -> int:
    """One e-mail per member of staff (and system owner) about overdue items, at most daily.
    Returns the number of messages sent; a mail server that is down fails the job, which
    tries again at its next run (the items are marked only after sending)."""
    now = now or timezone.now()
    due = WorkItem.objects.filter(status=ItemStatus.OPEN, due_at__lt=now).filter(
        Q(reminded_at__isnull=True) | Q(reminded_at__lt=now - REMIND_EVERY)
    )
    per_system: dict[int, int] = {}
    for system_id in due.values_list("system_id", flat=True):
        per_system[system_id] = per_system.get(system_id, 0) + 1
    if not per_system:
        return 0
    systems = System.objects.filter(pk__in=per_system).select_related("owner__user")
    User = get_user_model()
    staff = list(User.objects.filter(is_active=True, groups__name="dept_staff").distinct())
    recipients: dict[int, tuple] = {u.pk: (u, set(per_system)) for u in staff}
    for system in systems:
        owner_user = getattr(system.owner, "user", None) if system.owner_id else None
        if owner_user is not None and owner_user.is_active:
            recipients.setdefault(owner_user.pk, (owner_user, set()))[1].add(system.pk)
    names = {s.pk: s for s in systems}
    messages = []
    link = settings.SITE_URL + reverse("manualwork:worklist")
    for user, system_ids in recipients.values():
        if not user.email:
            continue
        with translation.override(user.language or settings.LANGUAGE_CODE):
            lines = [
                _("%(system)s: %(n)d overdue") % {"system": names[s], "n": per_system[s]}
                for s in sorted(system_ids, key=lambda s: names[s].code)
            ]
            body = "\n".join([_("Work items past their due time:"), "", *lines, "", link])
            messages.append(EmailMessage(_("Tirek: overdue manual work"), body, to=[user.email]))
    if messages:
        get_connection().send_messages(messages)
    due.update(reminded_at=now)
    return len(messages)
