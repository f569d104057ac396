"""Lifecycle of access requests, for other apps to follow without access importing them.

`access_request_changed` is sent inside the transaction of the change (so a subscriber's
writes commit or roll back with it) with `request` (an AccessRequest) and `state`:

    APPROVED   every approval given; the grant's operations are on their way to the target
    GRANTED    approved and carried out in the target (no operation of the account is open)
    REJECTED   a step said no
    CANCELLED  the requester withdrew it

GRANTED may be sent again when later operations on the same account finish; subscribers
act on it once (e.g. only while their own record is still open).
"""

from __future__ import annotations

from django.dispatch import Signal

APPROVED = "approved"
GRANTED = "granted"
REJECTED = "rejected"
CANCELLED = "cancelled"

access_request_changed = Signal()


def is_provisioned(request) -> bool:
    """Approved, and no operation of the accounts its grants live on is unfinished (pending,
    running, failed or waiting for staff: a manual system's work item counts until closed)."""
    from tirek.access.models import OPEN_STATUSES, Operation, OperationStatus, RequestStatus

    if request.status != RequestStatus.APPROVED:
        return False
    accounts = request.grants.values("account_id")
    if not accounts.exists():
        return False
    unfinished = (*OPEN_STATUSES, OperationStatus.NEEDS_ATTENTION)
    return not Operation.objects.filter(account__in=accounts, status__in=unfinished).exists()


def send(request, state: str) -> None:
    access_request_changed.send(sender=type(request), request=request, state=state)


def after_operations(account_ids) -> None:
    """Tell subscribers which approved requests became fully provisioned."""
    from tirek.access.models import AccessRequest, RequestStatus

    requests = AccessRequest.objects.filter(
        status=RequestStatus.APPROVED, grants__account_id__in=list(account_ids)
    ).distinct()
    for request in requests:
        if is_provisioned(request):
            send(request, GRANTED)
