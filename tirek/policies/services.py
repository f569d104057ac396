"""Carrying out the policies: grants, account states and entitlements, with runs and audit.

Every change to a target goes through tirek.access (accounts, grants, the outbox), in the
transaction of the run. Additions and re-enabling go ahead at once; taking roles away and
disabling accounts for more people than `POLICY_CONFIRM_THRESHOLD` waits in a run that a human
confirms — so a truncated HR export or a mistyped policy cannot switch off half the university.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tirek.access import services as access_services
from tirek.access.models import (
    Account,
    AccountStatus,
    DisabledReason,
    Grant,
    GrantSource,
    Operation,
    OperationKind,
    System,
    SystemRole,
)
from tirek.core.audit import record, snapshot
from tirek.core.models import AuditAction
from tirek.people.models import CURRENT_STATUSES, Affiliation, Person
from tirek.policies import engine
from tirek.policies.models import Entitlement, Policy, PolicyRun, RunStatus, RunTrigger

POLICY_FIELDS = [
    "name",
    "description",
    "role",
    "affiliation_kinds",
    "unit",
    "include_subunits",
    "position_categories",
    "is_active",
]


class PolicyError(Exception):
    pass


def threshold() -> int:
    return settings.POLICY_CONFIRM_THRESHOLD


def _who(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def everyone() -> set[int]:
    """People a full pass looks at: anyone affiliated now, or holding an account."""
    ids = set(
        Affiliation.objects.filter(status__in=CURRENT_STATUSES).values_list("person_id", flat=True)
    )
    ids |= set(
        Account.objects.exclude(status=AccountStatus.DELETED)
        .filter(person__isnull=False)
        .values_list("person_id", flat=True)
    )
    return ids


# -- runs ----------------------------------------------------------------------------------------


@transaction.atomic
def evaluate(
    person_ids: Iterable[int], *, trigger: str, actor=None, force: bool = False
) -> tuple[PolicyRun, PolicyRun | None]:
    """Evaluate the policies for these people and apply the plan.

    Returns the run that was applied and, when the destructive part was over the threshold,
    the run that waits for confirmation (its people's removals and disablings are held whole).
    """
    plan = engine.plan_for(person_ids)
    destructive = [p for p in plan.people if p.destructive]
    hold = not force and len(destructive) > threshold()
    held_ids = {p.person_id for p in destructive} if hold else set()
    to_apply = [p for p in plan.people if p.person_id not in held_ids]
    run = PolicyRun.objects.create(
        trigger=trigger,
        status=RunStatus.DONE,
        people=len(plan.people),
        started_by=_who(actor),
    )
    counts = _apply(to_apply, actor, run)
    for name, value in counts.items():
        setattr(run, name, value)
    run.finished_at = timezone.now()
    run.save()
    waiting = None
    if hold:
        held = engine.Plan([p for p in plan.people if p.person_id in held_ids]).counts()
        waiting = PolicyRun.objects.create(
            trigger=trigger,
            status=RunStatus.WAITING,
            people=len(held_ids),
            person_ids=sorted(held_ids),
            summary=held,
            started_by=_who(actor),
        )
        record(
            AuditAction.CREATE,
            waiting,
            actor=actor,
            extra={"held": held, "threshold": threshold()},
        )
    return run, waiting


@transaction.atomic
def confirm(actor, run: PolicyRun) -> PolicyRun:
    run = PolicyRun.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.WAITING:
        raise PolicyError(_("This run is not waiting for confirmation."))
    # Evaluated again now: what was true when it was held may have changed since.
    applied, _waiting = evaluate(run.person_ids, trigger=run.trigger, actor=actor, force=True)
    run.status = RunStatus.CONFIRMED
    run.decided_by, run.decided_at = _who(actor), timezone.now()
    run.summary = {**run.summary, "applied_run": applied.pk}
    run.save(update_fields=["status", "decided_by", "decided_at", "summary"])
    record(AuditAction.UPDATE, run, actor=actor, extra={"event": "confirmed", "run": applied.pk})
    return run


@transaction.atomic
def discard(actor, run: PolicyRun) -> PolicyRun:
    run = PolicyRun.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.WAITING:
        raise PolicyError(_("This run is not waiting for confirmation."))
    run.status = RunStatus.DISCARDED
    run.decided_by, run.decided_at = _who(actor), timezone.now()
    run.save(update_fields=["status", "decided_by", "decided_at"])
    record(AuditAction.UPDATE, run, actor=actor, extra={"event": "discarded"})
    return run


def full_pass(actor=None, trigger: str = RunTrigger.NIGHTLY) -> tuple[PolicyRun, PolicyRun | None]:
    return evaluate(everyone(), trigger=trigger, actor=actor)


# -- applying a plan -------------------------------------------------------------------------------


def _apply(plans: list[engine.PersonPlan], actor, run: PolicyRun) -> dict[str, int]:
    counts = {"grants_added": 0, "grants_removed": 0, "accounts_disabled": 0, "accounts_enabled": 0}
    if not plans:
        return counts
    role_ids = {r for p in plans for r in (*p.add, *p.remove, *p.desired)}
    roles = {r.pk: r for r in SystemRole.objects.filter(pk__in=role_ids).select_related("system")}
    counts["grants_added"] = _add_grants(plans, roles, actor, run)
    for p in plans:
        if not (p.remove or p.disable or p.enable or p.relabel):
            continue  # most people of a run: no query for them here
        for role_id in p.remove:
            for grant in Grant.objects.filter(
                account__person_id=p.person_id, role_id=role_id, source=GrantSource.POLICY
            ):
                access_services.revoke_grant(actor, grant, reason=f"policy run {run.pk}")
                counts["grants_removed"] += 1
        reason = DisabledReason.LEAVE if p.state == engine.LEAVE else DisabledReason.LEAVER
        for account in Account.objects.filter(pk__in=p.disable):
            access_services.disable_account(actor, account, reason=reason)
            counts["accounts_disabled"] += 1
        for account in Account.objects.filter(pk__in=p.enable):
            access_services.enable_account(actor, account)
            counts["accounts_enabled"] += 1
        for account in Account.objects.filter(pk__in=p.relabel):
            before = snapshot(account, ["disabled_reason", "disabled_at"])
            account.disabled_reason, account.disabled_at = DisabledReason.LEAVER, timezone.now()
            account.save(update_fields=["disabled_reason", "disabled_at", "updated_at"])
            record(
                AuditAction.UPDATE,
                account,
                before=before,
                after=snapshot(account, ["disabled_reason", "disabled_at"]),
                actor=actor,
            )
    _sync_entitlements(plans)
    return counts


def _add_grants(plans, roles: dict[int, SystemRole], actor, run: PolicyRun) -> int:
    """Policy grants in bulk: accounts first (one bulk onboarding per system), then grants and
    the group memberships they bring, with one audit event per role."""
    wanted = [(p.person_id, role_id, p.desired[role_id]) for p in plans for role_id in p.add]
    if not wanted:
        return 0
    people_by_system: dict[int, set[int]] = defaultdict(set)
    for person_id, role_id, _policies in wanted:
        people_by_system[roles[role_id].system_id].add(person_id)
    account_of: dict[tuple[int, int], int] = {}

    def load_accounts():
        for acc_id, person_id, system_id in (
            Account.objects.filter(person_id__in={w[0] for w in wanted})
            .exclude(status=AccountStatus.DELETED)
            .values_list("id", "person_id", "system_id")
        ):
            account_of[(person_id, system_id)] = acc_id

    load_accounts()
    for system_id, person_ids in people_by_system.items():
        missing = [pid for pid in person_ids if (pid, system_id) not in account_of]
        if missing:
            system = System.objects.get(pk=system_id)
            access_services.onboard(actor, system, list(Person.objects.filter(pk__in=missing)))
    load_accounts()

    already = set(
        Grant.objects.filter(
            account_id__in=set(account_of.values()), role_id__in={w[1] for w in wanted}
        ).values_list("account_id", "role_id")
    )
    policy_names = dict(Policy.objects.values_list("pk", "name"))
    grants, ops = [], []
    by_role: dict[int, list[int]] = defaultdict(list)
    who = _who(actor)
    for person_id, role_id, policy_ids in wanted:
        role = roles[role_id]
        account_id = account_of[(person_id, role.system_id)]
        reason = ", ".join(sorted(policy_names.get(pid, str(pid)) for pid in policy_ids))
        grants.append(
            Grant(
                account_id=account_id,
                role_id=role_id,
                source=GrantSource.POLICY,
                granted_by=who,
                reason=reason[:1000],
            )
        )
        by_role[role_id].append(account_id)
        if role.target_group and (account_id, role_id) not in already:
            ops.append(
                Operation(
                    account_id=account_id,
                    system_id=role.system_id,
                    kind=OperationKind.ADD_TO_GROUP,
                    payload={"group": role.target_group},
                    created_by=who,
                    idempotency_key=f"add_to_group:{account_id}:{uuid.uuid4().hex}",
                )
            )
    Grant.objects.bulk_create(grants, batch_size=1000, ignore_conflicts=True)
    Operation.objects.bulk_create(ops, batch_size=1000)
    for role_id, account_ids in by_role.items():
        role = roles[role_id]
        record(
            AuditAction.CREATE,
            object_type="access.grant",
            object_id="bulk",
            object_repr=f"{len(account_ids)} × {role.system.code}:{role.code}",
            actor=actor,
            extra={"policy_run": run.pk, "role": role.code, "accounts": sorted(account_ids)},
        )
    return len(grants)


def _sync_entitlements(plans: list[engine.PersonPlan]) -> None:
    ids = [p.person_id for p in plans]
    current: dict[int, dict[int, set[int]]] = defaultdict(dict)
    Through = Entitlement.policies.through
    for person_id, role_id, policy_id in Through.objects.filter(
        entitlement__person_id__in=ids
    ).values_list("entitlement__person_id", "entitlement__role_id", "policy_id"):
        current[person_id].setdefault(role_id, set()).add(policy_id)
    changed = [p for p in plans if current.get(p.person_id, {}) != p.desired]
    if not changed:
        return
    changed_ids = [p.person_id for p in changed]
    Entitlement.objects.filter(person_id__in=changed_ids).delete()
    rows = [
        Entitlement(person_id=p.person_id, role_id=role_id)
        for p in changed
        for role_id in p.desired
    ]
    Entitlement.objects.bulk_create(rows, batch_size=1000)
    made = {
        (e.person_id, e.role_id): e.pk
        for e in Entitlement.objects.filter(person_id__in=changed_ids)
    }
    Through.objects.bulk_create(
        [
            Through(entitlement_id=made[(p.person_id, role_id)], policy_id=policy_id)
            for p in changed
            for role_id, policy_ids in p.desired.items()
            for policy_id in policy_ids
        ],
        batch_size=1000,
    )


# -- policies ------------------------------------------------------------------------------------


def affected_people(*policies: Policy) -> set[int]:
    """Whoever a policy (as saved, or as edited) could give or take a role from."""
    ids: set[int] = set()
    for policy in policies:
        affs = Affiliation.objects.filter(status__in=CURRENT_STATUSES)
        if policy.affiliation_kinds:
            affs = affs.filter(kind__in=policy.affiliation_kinds)
        if policy.unit_id:
            affs = (
                affs.filter(unit__path__startswith=policy.unit.path)
                if policy.include_subunits
                else affs.filter(unit_id=policy.unit_id)
            )
        if policy.position_categories:
            affs = affs.filter(position__category__in=policy.position_categories)
        ids |= set(affs.values_list("person_id", flat=True))
        if policy.role_id:
            ids |= set(
                Grant.objects.filter(role_id=policy.role_id, source=GrantSource.POLICY).values_list(
                    "account__person_id", flat=True
                )
            )
    ids.discard(None)
    return ids


def preview(candidate: Policy) -> dict[str, Any]:
    """Who saving `candidate` (new or edited, not saved) would give its role to or take it from."""
    others = Policy.objects.filter(is_active=True, role__system__is_active=True)
    if candidate.pk:
        others = others.exclude(pk=candidate.pk)
        old = Policy.objects.get(pk=candidate.pk)
        people = affected_people(old, candidate)
    else:
        people = affected_people(candidate)
    rule_set = engine.rules(others)
    if candidate.is_active:
        rule_set += engine.rules([candidate])
    plan = engine.plan_for(people, rule_set)
    adds = [p for p in plan.people if p.add]
    removes = [p for p in plan.people if p.remove]
    names = {
        p.pk: str(p)
        for p in Person.objects.filter(pk__in=[x.person_id for x in (*adds, *removes)][:200])
    }
    return {
        "add": len(adds),
        "remove": len(removes),
        "add_people": [names.get(p.person_id) for p in adds[:50] if p.person_id in names],
        "remove_people": [names.get(p.person_id) for p in removes[:50] if p.person_id in names],
        "over_threshold": len(removes) > threshold(),
        "threshold": threshold(),
    }


@transaction.atomic
def save_policy(actor, policy: Policy) -> tuple[Policy, PolicyRun, PolicyRun | None]:
    """Save a new or edited policy, audited, and apply it to everyone it concerns."""
    before = None
    people: set[int] = set()
    if policy.pk:
        old = Policy.objects.select_for_update().get(pk=policy.pk)
        before = snapshot(old, POLICY_FIELDS)
        people |= affected_people(old)
    policy.save()
    people |= affected_people(policy)
    after = snapshot(policy, POLICY_FIELDS)
    if before is None:
        record(AuditAction.CREATE, policy, after=after, actor=actor)
    else:
        record(AuditAction.UPDATE, policy, before=before, after=after, actor=actor)
    run, waiting = evaluate(people, trigger=RunTrigger.POLICY, actor=actor)
    return policy, run, waiting


@transaction.atomic
def delete_policy(actor, policy: Policy) -> tuple[PolicyRun, PolicyRun | None]:
    people = affected_people(policy)
    before = snapshot(policy, POLICY_FIELDS)
    pk = policy.pk
    policy.delete()
    record(
        AuditAction.DELETE,
        object_type="policies.policy",
        object_id=str(pk),
        object_repr=before["name"],
        before=before,
        actor=actor,
    )
    return evaluate(people, trigger=RunTrigger.POLICY, actor=actor)


# -- leavers after the grace period ---------------------------------------------------------------


def delete_after_grace(now=None) -> int:
    """Delete leavers' accounts whose system's grace period has passed (the login stays
    reserved: it is never given to anyone else). Returns how many were deleted."""
    now = now or timezone.now()
    deleted = 0
    for system in System.objects.all():
        cutoff = now - dt.timedelta(days=system.deletion_grace_days)
        due = Account.objects.filter(
            system=system,
            status=AccountStatus.DISABLED,
            disabled_reason=DisabledReason.LEAVER,
            disabled_at__lte=cutoff,
        ).exclude(person__affiliations__status__in=CURRENT_STATUSES)
        for account in due:
            with transaction.atomic():
                access_services.delete_account(None, account)
            deleted += 1
    return deleted
