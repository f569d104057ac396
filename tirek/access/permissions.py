"""Who sees which accounts, requests and approvals: the querysets every page and the API use.

- Department head and staff (access.manage) act on every account; auditors read everything.
- Anyone sees the accounts of the people they may see (people.permissions.visible_people): a
  person their own, a unit head those of their units' people.
- An approval step is decided by exactly one kind of person: the head of a unit the subject
  currently belongs to (unit_head step), the system's owner (owner step), or the head of the
  IT department (dept_head step). Each approver's inbox holds only the steps that are theirs
  and are next in their request's chain.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from tirek.access.models import (
    AccessRequest,
    Account,
    Approval,
    ApprovalStatus,
    ApprovalStep,
    Finding,
    Operation,
    ReconciliationRun,
)
from tirek.core.permissions import can
from tirek.core.roles import Role, roles_for
from tirek.people.models import Affiliation, Person
from tirek.people.permissions import managed_units, visible_people


def _signed_in(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def visible_accounts(user) -> QuerySet[Account]:
    if not _signed_in(user):
        return Account.objects.none()
    if can(user, "access.view_all"):
        return Account.objects.all()
    return Account.objects.filter(person__in=visible_people(user).values("pk"))


def visible_operations(user) -> QuerySet[Operation]:
    if not _signed_in(user) or not can(user, "access.view_all"):
        return Operation.objects.none()
    return Operation.objects.all()


def people_in_my_units(user) -> QuerySet[Person]:
    units = managed_units(user).values("pk")
    current = Affiliation.objects.current().filter(unit__in=units)
    return Person.objects.filter(pk__in=current.values("person_id"))


def may_request_for(user, person: Person) -> bool:
    """A person asks for themself; a unit head for the people of their units; staff for all."""
    if not _signed_in(user):
        return False
    if person.user_id == user.pk or can(user, "access.manage"):
        return True
    return people_in_my_units(user).filter(pk=person.pk).exists()


def visible_requests(user) -> QuerySet[AccessRequest]:
    if not _signed_in(user):
        return AccessRequest.objects.none()
    if can(user, "access.view_all"):
        return AccessRequest.objects.all()
    mine = Q(person__user_id=user.pk) | Q(requested_by=user)
    return AccessRequest.objects.filter(
        mine | Q(pk__in=decidable_approvals(user, any_state=True).values("request_id"))
    ).distinct()


def can_decide(user, approval: Approval) -> bool:
    if not _signed_in(user) or approval.status != ApprovalStatus.PENDING:
        return False
    if approval.step == ApprovalStep.UNIT_HEAD:
        return people_in_my_units(user).filter(pk=approval.request.person_id).exists()
    if approval.step == ApprovalStep.OWNER:
        owner = approval.request.role.system.owner
        return owner is not None and owner.user_id == user.pk
    if approval.step == ApprovalStep.DEPT_HEAD:
        return Role.DEPT_HEAD in roles_for(user)
    return False


def decidable_approvals(user, *, any_state: bool = False) -> QuerySet[Approval]:
    """The steps `user` may decide now (any_state: also those they could decide, past or
    future, so that they can read the requests they took part in)."""
    if not _signed_in(user):
        return Approval.objects.none()
    q = Q(step=ApprovalStep.OWNER, request__role__system__owner__user_id=user.pk)
    if Role.UNIT_HEAD in roles_for(user):
        q |= Q(
            step=ApprovalStep.UNIT_HEAD, request__person__in=people_in_my_units(user).values("pk")
        )
    if Role.DEPT_HEAD in roles_for(user):
        q |= Q(step=ApprovalStep.DEPT_HEAD)
    approvals = Approval.objects.filter(q)
    if not any_state:
        approvals = approvals.filter(status=ApprovalStatus.PENDING)
    return approvals.select_related("request__person", "request__role__system")


def visible_runs(user) -> QuerySet[ReconciliationRun]:
    """Reconciliation reports: whoever reads every account (staff, head, auditors)."""
    if not _signed_in(user) or not can(user, "access.view_all"):
        return ReconciliationRun.objects.none()
    return ReconciliationRun.objects.all()


def visible_findings(user) -> QuerySet[Finding]:
    return Finding.objects.filter(run__in=visible_runs(user).values("pk"))
