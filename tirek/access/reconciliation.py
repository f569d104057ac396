"""Reconciliation: read the whole target, compare it with Tirek's accounts, keep the report.

A run streams `Connector.list_accounts()` (paged by the connector) and correlates each entry
with an account of the system by, in order, its external id (an LDAP DN, a SCIM id), the person
key it carries ("tirek-<person id>"), and its login. Tirek's side is loaded once into dicts, so a
run of 20,000 entries makes a handful of queries, not one per entry. What does not agree
becomes a `Finding`:

- orphan: an entry no account of Tirek knows (with a likely person when its person key or its
  e-mail address names one);
- missing: an active or disabled account of Tirek the target does not have;
- drift: an attribute Tirek sets (names, e-mail, person key) has another value in the target;
  an attribute Tirek leaves empty is not compared, since Tirek would never write it;
- status: the target's entry is active while Tirek's account is disabled or deleted, or the
  reverse;
- groups: membership of the groups that carry the system's roles differs from the grants (read
  with one more query of the target, after the accounts).

Accounts with an operation still open are skipped (the outbox is about to change them), and so
are accounts still waiting for their first creation. Findings are written in one transaction
after the whole target has been read: a target that fails half-way leaves a failed run with the
error and no findings. Open findings of earlier runs of the system are then superseded, and an
entry ignored earlier (with its reason) stays ignored.

Every action on a finding is one audited function; changes to the target go through the outbox.
An orphan is disabled by first recording it as an account with no person (so the worker has an
`Operation` to carry out and nothing is lost), then queueing a `disable` for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tirek.access import credentials
from tirek.access.models import (
    Account,
    AccountStatus,
    ConnectorKind,
    Finding,
    FindingKind,
    Grant,
    LoginReservation,
    Operation,
    OperationKind,
    OperationStatus,
    ReconciliationRun,
    Resolution,
    RunStatus,
    RunTrigger,
    System,
    SystemRole,
)
from tirek.access.operations import account_data
from tirek.connectors import AccountData, ConnectorError, for_kind
from tirek.connectors.base import read_secret
from tirek.core.audit import record
from tirek.core.models import AuditAction
from tirek.people.models import Person

logger = logging.getLogger("tirek.access.reconciliation")

RECONCILED_KINDS = (ConnectorKind.LDAP, ConnectorKind.SCIM)
# Runs are the report: kept this long, and the latest of each system always.
RETENTION = timedelta(days=180)
# A run still "running" after this long was left behind by a worker that died.
STALE_AFTER = timedelta(hours=3)
# Operations in these states will still change the account: it is not compared meanwhile.
OPEN_OPERATION = (
    OperationStatus.PENDING,
    OperationStatus.RUNNING,
    OperationStatus.FAILED,
    OperationStatus.NEEDS_ATTENTION,
)
# Drifted attributes whose target value may be taken into the person's record.
ACCEPTABLE = {"given_name": "first_name_latin", "family_name": "last_name_latin", "email": "email"}
CHUNK = 500  # values per IN (...) query: SQLite caps the number of parameters


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _key(value: str) -> str:
    return (value or "").strip().lower()


def _person_id(person_key: str) -> int | None:
    if person_key.startswith("tirek-") and person_key[6:].isdigit():
        return int(person_key[6:])
    return None


def _chunks(values: list, size: int = CHUNK) -> Iterable[list]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


# -- starting a run ----------------------------------------------------------------------------


def reconcilable(system: System) -> bool:
    return system.is_active and system.connector_kind in RECONCILED_KINDS


def _active_run(system: System) -> ReconciliationRun | None:
    since = timezone.now() - STALE_AFTER
    return (
        ReconciliationRun.objects.filter(
            system=system, status__in=[RunStatus.QUEUED, RunStatus.RUNNING], created_at__gte=since
        )
        .order_by("-id")
        .first()
    )


@transaction.atomic
def request_run(actor, system: System, *, trigger: str = RunTrigger.MANUAL) -> ReconciliationRun:
    """Queue a run (the worker carries it out); an already queued or running one is returned."""
    system = System.objects.select_for_update().get(pk=system.pk)
    if not reconcilable(system):
        raise ValidationError(_("Only an active LDAP or SCIM system can be reconciled."))
    existing = _active_run(system)
    if existing is not None:
        return existing
    run = ReconciliationRun.objects.create(system=system, trigger=trigger, started_by=_user(actor))
    record(AuditAction.CREATE, run, actor=actor, extra={"system": system.code, "trigger": trigger})

    def send() -> None:
        from tirek.access.tasks import reconcile_task

        try:
            reconcile_task.enqueue(run.pk)
        except Exception:  # the run stays queued and visible; the nightly job will follow
            logger.exception("Could not queue reconciliation run %s", run.pk)

    transaction.on_commit(send)
    return run


def reconcile(
    system: System, *, trigger: str = RunTrigger.COMMAND, actor=None
) -> ReconciliationRun:
    """Run a reconciliation now, in this process (the command and the nightly job)."""
    run = ReconciliationRun.objects.create(system=system, trigger=trigger, started_by=_user(actor))
    return execute_run(run.pk)


def execute_run(run_id: int) -> ReconciliationRun:
    """Carry out a queued run: read the target, compare, write the findings at once."""
    now = timezone.now()
    claimed = ReconciliationRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=now
    )
    run = ReconciliationRun.objects.select_related("system").get(pk=run_id)
    if not claimed:
        return run  # someone else ran it
    system = run.system
    try:
        if not reconcilable(system):
            raise ConnectorError(_("Only an active LDAP or SCIM system can be reconciled."))
        read_secret(system.connector_settings)  # a missing secret fails before any connection
        connector = for_kind(system.connector_kind, system.connector_settings)
        try:
            result = compare(
                system, connector.list_accounts(), group_members=connector.group_members
            )
        finally:
            connector.close()
        _save(run, result)
    except Exception as exc:
        logger.warning("Reconciliation of %s failed: %s", system.code, exc, exc_info=True)
        error = str(exc) or type(exc).__name__
        ReconciliationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error=error[:2000]
        )
        record(
            AuditAction.UPDATE,
            run,
            actor=run.started_by,
            extra={"system": system.code, "status": RunStatus.FAILED, "error": error[:500]},
        )
    run.refresh_from_db()
    return run


# -- comparing ---------------------------------------------------------------------------------


class Result:
    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.entries = 0
        self.compared = 0
        self.matched: list[int] = []

    def add(self, **fields: Any) -> None:
        self.findings.append(Finding(**fields))


def _differences(tirek: dict[str, str], target: dict[str, str]) -> list[str]:
    out = []
    for name, value in tirek.items():
        if not value:
            continue  # Tirek never writes an empty attribute, so it cannot drift
        theirs = target.get(name) or ""
        same = value.lower() == theirs.lower() if name == "email" else value == theirs
        if not same:
            out.append(name)
    return out


def compare(
    system: System,
    entries: Iterable[AccountData],
    *,
    group_members: Callable[[list[str]], dict[str, set[str]] | None] | None = None,
) -> Result:
    """Correlate the target's entries with the system's accounts; build (unsaved) findings.
    `group_members` (the connector's) reads the members of the system's role groups."""
    accounts = list(
        Account.objects.filter(system=system).select_related("person").order_by("id").iterator(2000)
    )
    busy = set(
        Operation.objects.filter(system=system, status__in=OPEN_OPERATION).values_list(
            "account_id", flat=True
        )
    )
    by_external: dict[str, Account] = {}
    by_person: dict[int, Account] = {}
    by_login: dict[str, Account] = {}
    for account in accounts:  # later rows win: the newest account of a login or a person
        if account.external_id:
            by_external[_key(account.external_id)] = account
        if account.person_id and (
            account.status != AccountStatus.DELETED or account.person_id not in by_person
        ):
            by_person[account.person_id] = account
        if account.status != AccountStatus.DELETED or _key(account.login) not in by_login:
            by_login[_key(account.login)] = account

    result = Result()
    seen: set[int] = set()
    orphans: list[AccountData] = []
    identities: list[tuple[Account, str]] = []  # matched accounts and their external ids
    for entry in entries:
        result.entries += 1
        account = None
        if entry.external_id:
            account = by_external.get(_key(entry.external_id))
        if account is None and (pid := _person_id(entry.person_key)) is not None:
            account = by_person.get(pid)
        if account is None:
            account = by_login.get(_key(entry.login))
        if account is None or account.pk in seen:
            orphans.append(entry)
            continue
        seen.add(account.pk)
        if account.pk in busy or account.status == AccountStatus.PENDING:
            continue
        result.compared += 1
        result.matched.append(account.pk)
        _compare_one(system, account, entry, result)
        if account.status != AccountStatus.DELETED and entry.external_id:
            identities.append((account, entry.external_id))

    for account in accounts:
        if (
            account.pk in seen
            or account.pk in busy
            or account.status not in (AccountStatus.ACTIVE, AccountStatus.DISABLED)
        ):
            continue
        result.compared += 1
        tirek = account_data(account).attributes() if account.person_id else {}
        result.add(
            kind=FindingKind.MISSING,
            login=account.login,
            account=account,
            tirek_values={**tirek, "status": account.status},
        )
    _orphans(orphans, result)
    if group_members is not None:
        _groups(system, identities, group_members, result)
    return result


def _groups(system: System, identities, group_members, result: Result) -> None:
    """Membership of the groups that carry the system's roles: what the grants say against
    what the target holds (other groups of the target are not Tirek's business)."""
    managed = {
        g.lower(): g
        for g in SystemRole.objects.filter(system=system)
        .exclude(target_group="")
        .values_list("target_group", flat=True)
    }
    if not managed or not identities:
        return
    members = group_members(sorted(managed.values()))
    if members is None:
        return
    members = {name.lower(): ids for name, ids in members.items()}
    wanted: dict[int, set[str]] = {}
    for account_id, group in Grant.objects.filter(
        account__system=system, role__system=system
    ).values_list("account_id", "role__target_group"):
        if group:
            wanted.setdefault(account_id, set()).add(group.lower())
    for account, external_id in identities:
        ident = external_id.lower()
        have = {g for g in managed if ident in members.get(g, set())}
        want = wanted.get(account.pk, set())
        if have != want:
            result.add(
                kind=FindingKind.GROUPS,
                login=account.login,
                external_id=external_id,
                account=account,
                tirek_values={"groups": sorted(managed[g] for g in want)},
                target_values={"groups": sorted(managed[g] for g in have)},
            )


def _compare_one(system: System, account: Account, entry: AccountData, result: Result) -> None:
    target = entry.attributes()
    if account.status == AccountStatus.DELETED or entry.active != (
        account.status == AccountStatus.ACTIVE
    ):
        result.add(
            kind=FindingKind.STATUS,
            login=account.login,
            external_id=entry.external_id,
            account=account,
            target_values={"status": "active" if entry.active else "inactive"},
            tirek_values={"status": account.status},
        )
        if account.status == AccountStatus.DELETED:
            return
    if account.person_id is None:
        return  # an account with no person: Tirek holds no attributes for it
    tirek = account_data(account).attributes()
    names = _differences(tirek, target)
    if names:
        result.add(
            kind=FindingKind.DRIFT,
            login=account.login,
            external_id=entry.external_id,
            account=account,
            target_values={n: target.get(n, "") for n in names},
            tirek_values={n: tirek[n] for n in names},
        )


def _orphans(entries: list[AccountData], result: Result) -> None:
    """Orphan findings, with the person their key or e-mail address names (two queries)."""
    ids = sorted({pid for e in entries if (pid := _person_id(e.person_key)) is not None})
    known: set[int] = set()
    for chunk in _chunks(ids):
        known.update(Person.objects.filter(pk__in=chunk).values_list("pk", flat=True))
    emails = sorted({_key(e.email) for e in entries if e.email})
    by_email: dict[str, int] = {}
    for chunk in _chunks(emails):
        for pk, email in Person.objects.filter(email__in=chunk).values_list("pk", "email"):
            by_email.setdefault(_key(email), pk)
    for e in entries:
        pid = _person_id(e.person_key)
        suggestion = pid if pid in known else by_email.get(_key(e.email))
        result.add(
            kind=FindingKind.ORPHAN,
            login=e.login,
            external_id=e.external_id,
            suggested_person_id=suggestion,
            target_values={**e.attributes(), "status": "active" if e.active else "inactive"},
        )


def _save(run: ReconciliationRun, result: Result) -> None:
    now = timezone.now()
    system = run.system
    # An entry ignored earlier stays ignored, with its reason.
    previous = (
        ReconciliationRun.objects.filter(system=system, status=RunStatus.DONE)
        .exclude(pk=run.pk)
        .order_by("-id")
        .first()
    )
    ignored = {}
    if previous is not None:
        for kind, login, note, by, at in previous.findings.filter(
            resolution=Resolution.IGNORED
        ).values_list("kind", "login", "note", "resolved_by", "resolved_at"):
            ignored[(kind, _key(login))] = (note, by, at)
    counts: dict[str, int] = {}
    for finding in result.findings:
        finding.run = run
        counts[finding.kind] = counts.get(finding.kind, 0) + 1
        carried = ignored.get((finding.kind, _key(finding.login)))
        if carried:
            finding.resolution = Resolution.IGNORED
            finding.note, finding.resolved_by_id, finding.resolved_at = carried
    with transaction.atomic():
        Finding.objects.bulk_create(result.findings, batch_size=1000)
        Finding.objects.filter(
            run__system=system, run_id__lt=run.pk, resolution=Resolution.OPEN
        ).update(resolution=Resolution.SUPERSEDED, resolved_at=now)
        for chunk in _chunks(result.matched):
            Account.objects.filter(pk__in=chunk).update(last_synced_at=now)
        ReconciliationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.DONE,
            finished_at=now,
            entries_read=result.entries,
            accounts_compared=result.compared,
            counts=counts,
            error="",
        )
        record(
            AuditAction.UPDATE,
            run,
            actor=run.started_by,
            extra={
                "system": system.code,
                "status": RunStatus.DONE,
                "entries": result.entries,
                "findings": counts,
            },
        )


# -- the nightly job ---------------------------------------------------------------------------


def nightly(now=None) -> list[ReconciliationRun]:
    """Reconcile every active LDAP and SCIM system not reconciled since today's slot."""
    from django.conf import settings

    now = now or timezone.now()
    local = timezone.localtime(now)
    slot = local.replace(hour=settings.RECONCILE_HOUR, minute=0, second=0, microsecond=0)
    if local < slot or local >= slot + timedelta(hours=1):
        return []  # outside tonight's hour: a worker down at night skips, never runs by day
    runs = []
    for system in System.objects.filter(is_active=True, connector_kind__in=RECONCILED_KINDS):
        if system.connector_settings.get("reconcile") is False:
            continue
        active = _active_run(system)
        if active is not None and active.status == RunStatus.QUEUED:
            runs.append(execute_run(active.pk))  # a "Reconcile now" whose task never came
            continue
        if active is not None or (
            ReconciliationRun.objects.filter(system=system, created_at__gte=slot).exists()
        ):
            continue  # running now, or reconciled since tonight's slot
        runs.append(reconcile(system, trigger=RunTrigger.SCHEDULE))
    return runs


def prune(now=None) -> int:
    """Close runs a dead worker left unfinished; delete runs past the retention period,
    keeping each system's latest run."""
    now = now or timezone.now()
    ReconciliationRun.objects.filter(
        status__in=[RunStatus.QUEUED, RunStatus.RUNNING], created_at__lt=now - STALE_AFTER
    ).update(
        status=RunStatus.FAILED,
        finished_at=now,
        error=_("The run did not finish (the worker stopped); start it again."),
    )
    latest = [
        r.pk
        for r in (
            ReconciliationRun.objects.filter(system=s).order_by("-id").first()
            for s in System.objects.filter(reconciliations__isnull=False).distinct()
        )
        if r is not None
    ]
    old = ReconciliationRun.objects.filter(created_at__lt=now - RETENTION).exclude(pk__in=latest)
    count = old.count()
    if count:
        old.delete()
        record(
            AuditAction.DELETE,
            object_type="access.reconciliationrun",
            object_id="retention",
            object_repr=f"{count} reconciliation runs older than {RETENTION.days} days",
            extra={"runs": count},
        )
    return count


# -- acting on findings ------------------------------------------------------------------------


def _lock(finding: Finding) -> Finding:
    finding = (
        # Only the finding's own row is locked: PostgreSQL refuses FOR UPDATE on the nullable
        # side of the outer joins (a finding may have no account).
        Finding.objects.select_for_update(of=("self",))
        .select_related("run__system", "account__person", "account__system")
        .get(pk=finding.pk)
    )
    if finding.resolution != Resolution.OPEN:
        raise ValidationError(_("This finding is resolved already."))
    return finding


def _need(finding: Finding, *kinds: str) -> None:
    if finding.kind not in kinds:
        raise ValidationError(_("This action does not apply to this finding."))


def _resolve(actor, finding: Finding, resolution: str, *, note: str = "", operation=None) -> None:
    before = {"resolution": finding.resolution}
    finding.resolution, finding.note = resolution, note
    finding.resolved_by, finding.resolved_at = _user(actor), timezone.now()
    finding.operation = operation
    finding.save(update_fields=["resolution", "note", "resolved_by", "resolved_at", "operation"])
    record(
        AuditAction.UPDATE,
        finding,
        before=before,
        after={"resolution": resolution},
        actor=actor,
        extra={
            "system": finding.run.system.code,
            "kind": finding.kind,
            "login": finding.login,
            "note": note,
            "operation": operation.pk if operation else None,
        },
    )


def _enqueue(actor, account: Account, kind: str, **kw) -> Operation:
    from tirek.access.services import enqueue

    return enqueue(account, kind, actor=actor, **kw)


def _new_account(actor, finding: Finding, person: Person | None, status: str) -> Account:
    system = finding.run.system
    if Account.objects.filter(system=system, login__iexact=finding.login).exists():
        raise ValidationError(_("Tirek has an account with this login already."))
    reserved = LoginReservation.objects.filter(system=system, login=finding.login).first()
    if reserved and reserved.person_id and (person is None or reserved.person_id != person.pk):
        raise ValidationError(_("This login was given to someone else before."))
    account = Account.objects.create(
        person=person,
        system=system,
        login=finding.login,
        external_id=finding.external_id,
        status=status,
        last_synced_at=timezone.now(),
    )
    if reserved is None:
        LoginReservation.objects.create(system=system, login=finding.login, person=person)
    record(
        AuditAction.CREATE,
        account,
        after={"login": account.login, "status": status, "person": person.pk if person else None},
        actor=actor,
        extra={"reconciliation_finding": finding.pk},
    )
    return account


@transaction.atomic
def link(actor, finding: Finding, person: Person) -> Account:
    """Adopt an orphan as the person's account; the target then receives Tirek's attributes
    (names, e-mail, person key) through an `update` operation."""
    finding = _lock(finding)
    _need(finding, FindingKind.ORPHAN)
    system = finding.run.system
    other = (
        Account.objects.filter(system=system, person=person)
        .exclude(status=AccountStatus.DELETED)
        .first()
    )
    if other is not None:
        raise ValidationError(
            _("%(person)s already has the account %(login)s in this system.")
            % {"person": person.full_name, "login": other.login}
        )
    active = finding.target_values.get("status") != "inactive"
    status = AccountStatus.ACTIVE if active else AccountStatus.DISABLED
    account = _new_account(actor, finding, person, status)
    op = _enqueue(actor, account, OperationKind.UPDATE)
    finding.account = account
    finding.save(update_fields=["account"])
    _resolve(actor, finding, Resolution.LINKED, operation=op)
    return account


@transaction.atomic
def disable_orphan(actor, finding: Finding) -> Account:
    """Record the orphan as an account with no person and queue its disabling in the target."""
    finding = _lock(finding)
    _need(finding, FindingKind.ORPHAN)
    account = _new_account(actor, finding, None, AccountStatus.DISABLED)
    op = None
    if finding.target_values.get("status") != "inactive":
        op = _enqueue(actor, account, OperationKind.DISABLE)
    finding.account = account
    finding.save(update_fields=["account"])
    _resolve(actor, finding, Resolution.DISABLED, operation=op)
    return account


STATUS_FIX = {
    AccountStatus.ACTIVE: OperationKind.ENABLE,
    AccountStatus.DISABLED: OperationKind.DISABLE,
    AccountStatus.DELETED: OperationKind.DELETE,
}


@transaction.atomic
def fix(actor, finding: Finding) -> Operation:
    """Make the target agree with Tirek: an `update` for drift, enable/disable/delete for a
    status difference, group additions and removals for membership (through the outbox)."""
    finding = _lock(finding)
    _need(finding, FindingKind.DRIFT, FindingKind.STATUS, FindingKind.GROUPS)
    account = finding.account
    if account is None:
        raise ValidationError(_("The account no longer exists."))
    if finding.kind == FindingKind.GROUPS:
        if account.status == AccountStatus.DELETED:
            raise ValidationError(_("The account is deleted."))
        want = set(finding.tirek_values.get("groups") or [])
        have = set(finding.target_values.get("groups") or [])
        ops = [
            _enqueue(actor, account, OperationKind.ADD_TO_GROUP, payload={"group": g})
            for g in sorted(want - have)
        ] + [
            _enqueue(actor, account, OperationKind.REMOVE_FROM_GROUP, payload={"group": g})
            for g in sorted(have - want)
        ]
        op = ops[0] if ops else None
    elif finding.kind == FindingKind.DRIFT:
        if account.person_id is None or account.status == AccountStatus.DELETED:
            raise ValidationError(_("The account is deleted."))
        op = _enqueue(actor, account, OperationKind.UPDATE)
    else:
        op = _enqueue(actor, account, STATUS_FIX[account.status])
    _resolve(actor, finding, Resolution.FIXED, operation=op)
    return op


@transaction.atomic
def accept(actor, finding: Finding) -> None:
    """Make Tirek agree with the target: its names or e-mail into the person's record (then an
    `update` brings the derived display name along), or its status onto the account."""
    from tirek.people.services import update_person

    finding = _lock(finding)
    _need(finding, FindingKind.DRIFT, FindingKind.STATUS)
    account = finding.account
    if account is None:
        raise ValidationError(_("The account no longer exists."))
    if finding.kind == FindingKind.DRIFT:
        names = sorted(finding.tirek_values)
        refused = [n for n in names if n not in ACCEPTABLE]
        if refused or account.person is None:
            raise ValidationError(
                _("Only names and e-mail can be taken from the system; fix %(fields)s instead.")
                % {"fields": ", ".join(refused)}
            )
        fields = {ACCEPTABLE[n]: finding.target_values.get(n, "") for n in names}
        try:
            update_person(actor, account.person, **fields)
        except ValidationError as exc:
            raise ValidationError(
                _("The system's value cannot be taken: %(error)s")
                % {"error": "; ".join(exc.messages)}
            ) from exc
        # Derived attributes (the display name) follow the accepted names in the target.
        op = _enqueue(actor, account, OperationKind.UPDATE)
    else:
        if account.status == AccountStatus.DELETED:
            raise ValidationError(_("A deleted account cannot be taken back this way."))
        before = {"status": account.status}
        active = finding.target_values.get("status") == "active"
        account.status = AccountStatus.ACTIVE if active else AccountStatus.DISABLED
        account.save(update_fields=["status", "updated_at"])
        record(
            AuditAction.UPDATE,
            account,
            before=before,
            after={"status": account.status},
            actor=actor,
            extra={"reconciliation_finding": finding.pk},
        )
        op = None
    _resolve(actor, finding, Resolution.ACCEPTED, operation=op)


@transaction.atomic
def recreate(actor, finding: Finding) -> Operation:
    """Create a missing account again, with a new one-time password for its person."""
    from tirek.access.services import _new_delivery

    finding = _lock(finding)
    _need(finding, FindingKind.MISSING)
    account = finding.account
    if account is None or account.status != AccountStatus.ACTIVE or account.person_id is None:
        raise ValidationError(_("Only an active account of a person can be created again."))
    password = credentials.generate_password(account.system.password_policy)
    op = _enqueue(actor, account, OperationKind.CREATE, secret=password)
    _new_delivery(actor, account, password)
    before = {"status": account.status, "external_id": account.external_id}
    account.status, account.external_id = AccountStatus.PENDING, ""
    account.save(update_fields=["status", "external_id", "updated_at"])
    record(
        AuditAction.UPDATE,
        account,
        before=before,
        after={"status": account.status, "external_id": ""},
        actor=actor,
        extra={"reconciliation_finding": finding.pk, "credential_delivery": "one-time link"},
    )
    _resolve(actor, finding, Resolution.RECREATED, operation=op)
    return op


@transaction.atomic
def mark_deleted(actor, finding: Finding) -> None:
    """Take note that a missing account is gone: its grants end, its login stays reserved."""
    finding = _lock(finding)
    _need(finding, FindingKind.MISSING)
    account = finding.account
    if account is None or account.status == AccountStatus.DELETED:
        raise ValidationError(_("The account is deleted."))
    roles = sorted(account.grants.values_list("role__code", flat=True))
    account.grants.all().delete()
    before = {"status": account.status}
    account.status = AccountStatus.DELETED
    account.save(update_fields=["status", "updated_at"])
    record(
        AuditAction.UPDATE,
        account,
        before=before,
        after={"status": account.status},
        actor=actor,
        extra={"reconciliation_finding": finding.pk, "grants_ended": roles},
    )
    _resolve(actor, finding, Resolution.MARKED_DELETED)


@transaction.atomic
def ignore(actor, finding: Finding, *, reason: str) -> None:
    finding = _lock(finding)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the finding is ignored.")})
    _resolve(actor, finding, Resolution.IGNORED, note=reason.strip())


ACTIONS = {
    "fix": fix,
    "accept": accept,
    "disable": disable_orphan,
    "recreate": recreate,
    "mark_deleted": mark_deleted,
}


def act(actor, finding: Finding, action: str, *, reason: str = "", person=None) -> None:
    """One action on one finding, by name (the pages, the API and bulk use it)."""
    if action == "ignore":
        ignore(actor, finding, reason=reason)
    elif action == "link":
        if person is None:
            raise ValidationError(_("Choose the person to link the account to."))
        link(actor, finding, person)
    elif action == "link_suggested":
        if finding.suggested_person_id is None:
            raise ValidationError(_("No likely person is known for this account."))
        link(actor, finding, finding.suggested_person)
    elif action in ACTIONS:
        ACTIONS[action](actor, finding)
    else:
        raise ValidationError(_("Unknown action."))


def act_in_bulk(
    actor, findings: QuerySet[Finding], action: str, *, reason: str = ""
) -> tuple[int, list[str]]:
    """The same action on many findings; each in its own transaction, so one refusal does not
    undo the others. Returns how many were done and the refusals, by login."""
    done, errors = 0, []
    for finding in findings.select_related("suggested_person").order_by("id"):
        try:
            act(actor, finding, action, reason=reason)
        except ValidationError as exc:
            errors.append(f"{finding.login}: {' '.join(exc.messages)}")
        else:
            done += 1
    return done, errors
