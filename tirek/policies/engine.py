"""What the policies say, compared with what people hold: a plan, computed without writing.

The same plan drives the preview of a policy before it is saved, the lifecycle subscriber, the
nightly full pass and the drift view of a person, so they cannot disagree. Everything is loaded
in a few queries per chunk of people (no query per person), because a new academic year brings
thousands of students at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from tirek.access.models import Account, AccountStatus, DisabledReason, Grant, GrantSource
from tirek.people.models import CURRENT_STATUSES, Affiliation, AffiliationStatus
from tirek.policies.models import Policy

CHUNK = 500

ACTIVE, LEAVE, GONE = "active", "leave", "gone"


@dataclass
class PersonPlan:
    person_id: int
    state: str  # ACTIVE, LEAVE (only on academic leave) or GONE (no current affiliation)
    desired: dict[int, set[int]] = field(default_factory=dict)  # role id -> policy ids
    add: set[int] = field(default_factory=set)  # role ids to grant with source "policy"
    remove: set[int] = field(default_factory=set)  # role ids whose policy grant goes
    disable: list[int] = field(default_factory=list)  # account ids
    enable: list[int] = field(default_factory=list)  # account ids the lifecycle had disabled
    relabel: list[int] = field(default_factory=list)  # disabled for leave, now a leaver

    @property
    def destructive(self) -> bool:
        return bool(self.remove or self.disable)

    @property
    def changes(self) -> bool:
        return bool(self.add or self.remove or self.disable or self.enable or self.relabel)


@dataclass
class Plan:
    people: list[PersonPlan] = field(default_factory=list)

    def changed(self) -> list[PersonPlan]:
        return [p for p in self.people if p.changes]

    def counts(self) -> dict[str, int]:
        return {
            "people": len(self.people),
            "add": sum(len(p.add) for p in self.people),
            "remove": sum(len(p.remove) for p in self.people),
            "disable": sum(len(p.disable) for p in self.people),
            "enable": sum(len(p.enable) for p in self.people),
        }


@dataclass(frozen=True)
class _Rule:
    policy_id: int
    role_id: int
    kinds: frozenset[str]
    unit_path: str | None
    subtree: bool
    categories: frozenset[str]

    def matches(self, kind: str, unit_path: str, category: str | None) -> bool:
        if self.kinds and kind not in self.kinds:
            return False
        if self.unit_path is not None:
            if self.subtree and not unit_path.startswith(self.unit_path):
                return False
            if not self.subtree and unit_path != self.unit_path:
                return False
        return not self.categories or (category or "") in self.categories


def rules(policies: Iterable[Policy] | None = None) -> list[_Rule]:
    if policies is None:
        policies = Policy.objects.filter(is_active=True, role__system__is_active=True)
    if hasattr(policies, "select_related"):
        policies = policies.select_related("unit")
    return [
        _Rule(
            policy_id=p.pk,
            role_id=p.role_id,
            kinds=frozenset(p.affiliation_kinds or ()),
            unit_path=p.unit.path if p.unit_id else None,
            subtree=p.include_subunits,
            categories=frozenset(p.position_categories or ()),
        )
        for p in policies
    ]


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def plan_for(person_ids: Iterable[int], rule_set: list[_Rule] | None = None) -> Plan:
    """The plan for these people under the active policies (or under `rule_set`)."""
    rule_set = rules() if rule_set is None else rule_set
    plan = Plan()
    ids = sorted(set(person_ids))
    for chunk in _chunks(ids):
        plan.people.extend(_plan_chunk(chunk, rule_set))
    return plan


def _plan_chunk(ids: list[int], rule_set: list[_Rule]) -> list[PersonPlan]:
    affiliations = defaultdict(list)
    for row in Affiliation.objects.filter(person_id__in=ids, status__in=CURRENT_STATUSES).values(
        "person_id", "kind", "status", "unit__path", "position__category"
    ):
        affiliations[row["person_id"]].append(row)
    held = defaultdict(set)  # person -> role ids held through a policy grant
    for person_id, role_id in Grant.objects.filter(
        account__person_id__in=ids, source=GrantSource.POLICY
    ).values_list("account__person_id", "role_id"):
        held[person_id].add(role_id)
    accounts = defaultdict(list)
    for row in (
        Account.objects.filter(person_id__in=ids)
        .exclude(status=AccountStatus.DELETED)
        .values("id", "person_id", "status", "disabled_reason")
    ):
        accounts[row["person_id"]].append(row)

    result = []
    for person_id in ids:
        rows = affiliations.get(person_id, [])
        if any(r["status"] == AffiliationStatus.ACTIVE for r in rows):
            state = ACTIVE
        elif rows:
            state = LEAVE
        else:
            state = GONE
        pp = PersonPlan(person_id=person_id, state=state)
        for rule in rule_set:
            if any(rule.matches(r["kind"], r["unit__path"], r["position__category"]) for r in rows):
                pp.desired.setdefault(rule.role_id, set()).add(rule.policy_id)
        if state != GONE:
            pp.add = set(pp.desired) - held[person_id]
            pp.remove = held[person_id] - set(pp.desired)
        # A leaver keeps their grants until the account is deleted after the grace period, so
        # that someone who comes back within it finds everything as it was.
        for acc in accounts.get(person_id, []):
            live = acc["status"] in (AccountStatus.PENDING, AccountStatus.ACTIVE)
            reason = acc["disabled_reason"]
            if state == GONE:
                if live:
                    pp.disable.append(acc["id"])
                elif reason == DisabledReason.LEAVE:
                    pp.relabel.append(acc["id"])
            elif state == LEAVE:
                if live:
                    pp.disable.append(acc["id"])
            elif acc["status"] == AccountStatus.DISABLED and reason in (
                DisabledReason.LEAVER,
                DisabledReason.LEAVE,
            ):
                pp.enable.append(acc["id"])
        result.append(pp)
    return result
