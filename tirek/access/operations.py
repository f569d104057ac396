"""Carrying out the outbox: claim due operations, run them through the connector, record.

Claiming is one conditional UPDATE (as core/jobs.py claims periodic runs): rows move from
pending to running under a claim label only if they are still due, so two workers never run the
same operation. A claim is a lease (`settings.OPERATION_LEASE`, five minutes by default): a
worker killed mid-operation leaves its rows running until the lease ends, and then the next
pass claims them again; the connectors are idempotent, so the retried operation completes once.
Results are written only for operations whose claim is still ours, in one transaction per batch
with one audit event naming every operation done.

Order: an operation waits while an earlier one of the same account is still open (a group
membership never runs before the account exists). Failures back off exponentially
(BACKOFF_BASE·2^(n-1), at most BACKOFF_CAP); after MAX_ATTEMPTS, or at once for a permanent
error, the operation goes to the needs-attention list. A target that is down does not use up
attempts: its operations stay pending (with backoff) until it answers again.

Limits per system: `max_concurrency` workers at once, `max_per_minute` operations a minute.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Min, Q
from django.utils import timezone

from tirek.access import bulk, credentials, signals
from tirek.access.models import (
    MANUAL_KINDS,
    Account,
    AccountStatus,
    Operation,
    OperationKind,
    OperationStatus,
    System,
)
from tirek.connectors import AccountData, PermanentError, TargetUnavailable, for_kind
from tirek.core.audit import record
from tirek.core.models import AuditAction

logger = logging.getLogger("tirek.access.operations")

MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=15)
BACKOFF_CAP = timedelta(hours=1)
WAIT_CAP = timedelta(minutes=2)
BATCH = 200
BLOCKING = (
    OperationStatus.PENDING,
    OperationStatus.RUNNING,
    OperationStatus.FAILED,
    OperationStatus.NEEDS_ATTENTION,
)


def backoff(n: int, cap: timedelta = BACKOFF_CAP) -> timedelta:
    delay = BACKOFF_BASE * (2 ** max(n - 1, 0))
    delay = min(delay, cap)
    return delay * random.uniform(0.8, 1.0)


def account_data(account: Account) -> AccountData:
    person = account.person
    if person is None:
        return AccountData(login=account.login, external_id=account.external_id)
    from tirek.people.translit import to_latin

    given = person.first_name_latin or to_latin(person.first_name)
    family = person.last_name_latin or to_latin(person.last_name)
    return AccountData(
        login=account.login,
        given_name=given,
        family_name=family,
        display_name=f"{given} {family}".strip(),
        email=person.email,
        person_key=f"tirek-{person.pk}",
        active=account.status != AccountStatus.DISABLED,
        external_id=account.external_id,
    )


def _due(now) -> Q:
    return Q(
        status__in=[OperationStatus.PENDING, OperationStatus.FAILED], next_attempt_at__lte=now
    ) | Q(status=OperationStatus.RUNNING, lease_expires_at__lte=now)


_OP_FIELDS = (
    "account", "system", "kind", "payload", "secret", "status", "attempts", "waits",
    "claimed_by", "lease_expires_at",
)  # fmt: skip
_ACCOUNT_FIELDS = ("person", "system", "login", "external_id", "status")
_PERSON_FIELDS = tuple(
    f"account__person__{f}"
    for f in ("first_name", "last_name", "first_name_latin", "last_name_latin", "email")
)


def claim(worker: str = "", limit: int = BATCH, now=None) -> list[Operation]:
    """Claim up to `limit` due operations for this caller; returns the ones it won."""
    now = now or timezone.now()
    label = f"{worker or 'worker'}:{uuid.uuid4().hex[:8]}"[:64]
    with transaction.atomic():
        candidates = _runnable(now, limit * 2)
        if not candidates:
            return []
        allowed = _within_limits(candidates, now, limit)
        if not allowed:
            return []
        Operation.objects.filter(_due(now), pk__in=allowed).update(
            status=OperationStatus.RUNNING,
            claimed_by=label,
            lease_expires_at=now + settings.OPERATION_LEASE,
            attempts=F("attempts") + 1,
        )
    return list(
        Operation.objects.filter(pk__in=allowed, claimed_by=label, status=OperationStatus.RUNNING)
        .select_related("account__person")
        # Only what the connectors are given: a person row is wide.
        .only(*_OP_FIELDS, *(f"account__{f}" for f in _ACCOUNT_FIELDS), *_PERSON_FIELDS)
        .order_by("id")
    )


def _runnable(now, wanted: int) -> list[tuple[int, int]]:
    """Due operations, oldest first, that no earlier open operation of their account holds
    back: (id, system id), up to `wanted`.

    Read in windows of due rows, then one grouped query tells, per account, its first open
    operation; only that one may run. (A correlated NOT EXISTS per due row costs a subquery for
    every pending operation on every claim: quadratic in a 10,000-account intake.)
    """
    found: list[tuple[int, int]] = []
    after = 0
    while len(found) < wanted:
        window = list(
            Operation.objects.filter(_due(now), system__is_active=True, id__gt=after)
            # Manual systems are worked by staff from the work list (tirek/manualwork).
            .exclude(system__connector_kind__in=MANUAL_KINDS)
            .order_by("id")
            .values_list("id", "system_id", "account_id")[:wanted]
        )
        if not window:
            break
        after = window[-1][0]
        first_open = dict(
            Operation.objects.filter(account_id__in={row[2] for row in window}, status__in=BLOCKING)
            .values("account_id")
            .annotate(first=Min("id"))
            .values_list("account_id", "first")
        )
        found.extend(
            (op_id, system_id) for op_id, system_id, acc in window if first_open[acc] == op_id
        )
    return found[:wanted]


def _within_limits(candidates: list[tuple[int, int]], now, limit: int) -> list[int]:
    systems = {s.pk: s for s in System.objects.filter(pk__in={c[1] for c in candidates})}
    busy = {}
    for system_id in systems:
        busy[system_id] = (
            Operation.objects.filter(
                system_id=system_id, status=OperationStatus.RUNNING, lease_expires_at__gt=now
            )
            .values("claimed_by")
            .distinct()
            .count()
        )
    budget = {}
    for system_id, system in systems.items():
        if busy[system_id] >= system.max_concurrency:
            budget[system_id] = 0
        elif system.max_per_minute:
            recent = Operation.objects.filter(
                system_id=system_id, finished_at__gte=now - timedelta(minutes=1)
            ).count()
            budget[system_id] = max(system.max_per_minute - recent, 0)
        else:
            budget[system_id] = limit
    chosen = []
    for op_id, system_id in candidates:
        if budget[system_id] > 0 and len(chosen) < limit:
            chosen.append(op_id)
            budget[system_id] -= 1
    return chosen


def _password(op: Operation) -> str | None:
    return credentials.decrypt(op.secret) if op.secret else None


def _created(op: Operation, external_id: str) -> dict:
    """The account fields to save once the target has the account."""
    account = op.account
    changes = {"external_id": external_id or account.external_id}
    if account.status == AccountStatus.PENDING:
        changes["status"] = AccountStatus.ACTIVE
    return changes


def execute(op: Operation, connector) -> dict:
    """Run one operation against the target; return the account fields to save."""
    account = op.account
    data = account_data(account)
    data.extra = dict(op.payload or {})
    kind = op.kind
    if kind == OperationKind.CREATE:
        return _created(op, connector.create(data, _password(op)))
    if kind == OperationKind.UPDATE:
        connector.update(data)
    elif kind == OperationKind.SET_PASSWORD:
        if not op.secret:
            raise PermanentError("the password was wiped before it was set; reset it again")
        connector.set_password(data, credentials.decrypt(op.secret))
    elif kind == OperationKind.DISABLE:
        connector.disable(data)
    elif kind == OperationKind.ENABLE:
        connector.enable(data)
    elif kind == OperationKind.DELETE:
        connector.delete(data)
    elif kind == OperationKind.ADD_TO_GROUP:
        connector.add_to_group(data, op.payload["group"])
    elif kind == OperationKind.REMOVE_FROM_GROUP:
        connector.remove_from_group(data, op.payload["group"])
    elif kind == OperationKind.SET_IDENTIFIER:
        connector.set_identifier(data, op.payload["identifier"])
    elif kind == OperationKind.REMOVE_IDENTIFIER:
        connector.remove_identifier(data, op.payload.get("identifier", ""))
    else:
        raise PermanentError(f"unknown operation kind {kind!r}")
    return {}


@dataclass
class Outcome:
    done: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)
    attention: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.done) + len(self.retry) + len(self.waiting) + len(self.attention)


def _connector(op: Operation, connectors: dict):
    connector = connectors.get(op.system_id)
    if connector is None:
        connector = connectors[op.system_id] = for_kind(
            op.system.connector_kind, op.system.connector_settings
        )
    return connector


def _failed(op: Operation, exc: Exception) -> tuple[Operation, str, str, dict]:
    """The result row for an operation that raised `exc`."""
    if isinstance(exc, TargetUnavailable):
        return (op, "unavailable", str(exc), {})
    if isinstance(exc, PermanentError):
        return (op, OperationStatus.NEEDS_ATTENTION, str(exc), {})
    # A connector error or a bug: retry with backoff.
    logger.warning("Operation %s failed: %s", op.pk, exc, exc_info=exc)
    status = (
        OperationStatus.NEEDS_ATTENTION if op.attempts >= MAX_ATTEMPTS else OperationStatus.FAILED
    )
    return (op, status, f"{type(exc).__name__}: {exc}", {})


def _create_together(ops: list[Operation], connectors: dict) -> dict[int, tuple]:
    """Creates sent to the target together, for connectors that can keep several requests in
    flight (`create_many`): the target works while Tirek prepares the next ones. Each result is
    the same as `execute` would give one by one. Only creates of accounts with no other
    operation in the batch go this way, so the order within an account is kept."""
    per_account: dict[int, int] = {}
    for op in ops:
        per_account[op.account_id] = per_account.get(op.account_id, 0) + 1
    groups: dict[int, list[Operation]] = {}
    for op in ops:
        if op.kind == OperationKind.CREATE and per_account[op.account_id] == 1:
            groups.setdefault(op.system_id, []).append(op)
    results: dict[int, tuple] = {}
    for group in groups.values():
        try:
            connector = _connector(group[0], connectors)
        except Exception:  # noqa: S112 - the one-by-one path records it on each operation
            continue
        if len(group) < 2 or not hasattr(connector, "create_many"):
            continue
        items, ready = [], []
        for op in group:
            try:
                items.append((account_data(op.account), _password(op)))
                ready.append(op)
            except Exception as exc:
                results[op.pk] = _failed(op, exc)
        for op, answer in zip(ready, connector.create_many(items), strict=True):
            if isinstance(answer, Exception):
                results[op.pk] = _failed(op, answer)
            else:
                results[op.pk] = (op, OperationStatus.DONE, "", _created(op, answer))
    return results


def run_batch(ops: list[Operation], connectors: dict) -> Outcome:
    """Execute claimed operations in order and record every outcome in one transaction."""
    outcome = Outcome()
    together = _create_together(ops, connectors)
    results = []  # (op, status, error, account changes)
    # Systems found unreachable in this batch; accounts whose earlier operation did not complete.
    down = {r[0].system_id for r in together.values() if r[1] == "unavailable"}
    stopped: set[int] = set()
    for op in ops:
        if op.pk in together:
            result = together[op.pk]
        elif op.system_id in down:
            result = (op, "unavailable", "", {})
        elif op.account_id in stopped:
            result = (op, "waiting", "", {})
        else:
            try:
                result = (op, OperationStatus.DONE, "", execute(op, _connector(op, connectors)))
            except Exception as exc:
                result = _failed(op, exc)
        if result[1] == "unavailable":
            down.add(op.system_id)
        if result[1] != OperationStatus.DONE:
            stopped.add(op.account_id)
        results.append(result)
    _record(results, outcome)
    return outcome


def _chunks(items: list, size: int = 500):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _still_held(ops: list[Operation]) -> set[int]:
    """The operations whose claim is still the one we ran them under (a lease that ran out and
    was taken over, or an operation cancelled meanwhile, is not ours to write)."""
    held: set[int] = set()
    labels: dict[str, list[int]] = {}
    for op in ops:
        labels.setdefault(op.claimed_by, []).append(op.pk)
    for label, pks in labels.items():
        for chunk in _chunks(pks):
            held.update(
                Operation.objects.select_for_update()
                .filter(pk__in=chunk, claimed_by=label, status=OperationStatus.RUNNING)
                .values_list("pk", flat=True)
            )
    return held


def _record(results, outcome: Outcome) -> None:
    """Write every outcome of a batch in one transaction: done operations and their accounts in
    a few bulk statements (the common case), the rest one by one."""
    now = timezone.now()
    with transaction.atomic():
        held = _still_held([r[0] for r in results])
        done: list[tuple[Operation, dict]] = []
        for op, status, error, changes in results:
            if op.pk not in held:
                continue
            mine = Operation.objects.filter(pk=op.pk) if status != OperationStatus.DONE else None
            if status == OperationStatus.DONE:
                done.append((op, changes))
            elif status in ("waiting", "unavailable"):
                # Not the operation's fault: give the attempt back and wait for the target.
                waits = op.waits + (1 if status == "unavailable" else 0)
                mine.update(
                    status=OperationStatus.PENDING,
                    attempts=F("attempts") - 1,
                    waits=waits,
                    next_attempt_at=now + (backoff(waits, WAIT_CAP) if waits else timedelta()),
                    last_error=error or F("last_error"),
                    lease_expires_at=None,
                )
                outcome.waiting.append(op.pk)
            elif status == OperationStatus.NEEDS_ATTENTION:
                mine.update(status=status, last_error=error, lease_expires_at=None)
                outcome.attention.append(op.pk)
            else:
                mine.update(
                    status=status,
                    last_error=error,
                    next_attempt_at=now + backoff(op.attempts),
                    lease_expires_at=None,
                )
                outcome.retry.append(op.pk)
        if done:
            _record_done(done, now)
            outcome.done.extend(op.pk for op, _changes in done)
            # Requests whose access is now carried out in the target (subscribers: the desk).
            signals.after_operations({op.account_id for op, _changes in done})
        if outcome.done or outcome.attention or outcome.retry:
            record(
                AuditAction.UPDATE,
                object_type="access.operation",
                object_id="batch",
                object_repr=f"{len(outcome.done)} operations carried out",
                extra={
                    "done": outcome.done,
                    "retry": outcome.retry,
                    "needs_attention": outcome.attention,
                },
            )


def _record_done(done: list[tuple[Operation, dict]], now) -> None:
    for chunk in _chunks([op.pk for op, _changes in done]):
        Operation.objects.filter(pk__in=chunk).update(
            status=OperationStatus.DONE,
            secret=None,
            finished_at=now,
            last_error="",
            lease_expires_at=None,
        )
    # Accounts: one UPDATE for those with nothing new, one executemany per set of changed
    # fields (values, not model instances: building 10,000 instances costs more than the SQL).
    plain: list[int] = []
    changed: dict[tuple[str, ...], list[list]] = {}
    for op, changes in done:
        if not changes:
            plain.append(op.account_id)
            continue
        names = tuple(sorted(changes))
        changed.setdefault(names, []).append(
            [*(changes[n] for n in names), now, now, op.account_id]
        )
    for chunk in _chunks(plain):
        Account.objects.filter(pk__in=chunk).update(last_synced_at=now, updated_at=now)
    for names, rows in changed.items():
        bulk.update_rows(Account, [*names, "last_synced_at", "updated_at"], rows)


def run_due(worker: str = "", *, time_budget: float = 50.0, batch: int = BATCH) -> Outcome:
    """Claim and run due operations until none is left or `time_budget` seconds have passed."""
    total = Outcome()
    connectors: dict = {}
    deadline = time.monotonic() + time_budget
    try:
        while time.monotonic() < deadline:
            ops = claim(worker, limit=batch)
            if not ops:
                break
            result = run_batch(ops, connectors)
            for name in ("done", "retry", "waiting", "attention"):
                getattr(total, name).extend(getattr(result, name))
            if not result.done and not result.attention and not result.retry:
                break  # everything left is waiting for a target
    finally:
        for connector in connectors.values():
            connector.close()
    return total
