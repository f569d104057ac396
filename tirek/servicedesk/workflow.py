"""Which status may follow which, for each kind of ticket, and who may move it.

STAFF are holders of servicedesk.work_queue; REQUESTER is the person who filed the ticket.
"""

from __future__ import annotations

from tirek.servicedesk.models import Kind, Status

STAFF = "staff"
REQUESTER = "requester"
BOTH = frozenset({STAFF, REQUESTER})
S = frozenset({STAFF})
R = frozenset({REQUESTER})

STANDARD: dict[str, dict[str, frozenset[str]]] = {
    Status.NEW: {Status.IN_PROGRESS: S, Status.WAITING: S, Status.RESOLVED: S},
    Status.IN_PROGRESS: {Status.WAITING: S, Status.RESOLVED: S},
    Status.WAITING: {Status.IN_PROGRESS: BOTH, Status.RESOLVED: S},
    # Reopen (back to in progress) or close; a closed ticket stays closed.
    Status.RESOLVED: {Status.CLOSED: BOTH, Status.IN_PROGRESS: BOTH},
    Status.CLOSED: {},
    Status.MERGED: {},
}

PUBLICATION: dict[str, dict[str, frozenset[str]]] = {
    Status.SUBMITTED: {Status.IN_REVIEW: S, Status.RETURNED: S},
    Status.IN_REVIEW: {Status.RETURNED: S, Status.SCHEDULED: S, Status.PUBLISHED: S},
    Status.RETURNED: {Status.RESUBMITTED: R},
    Status.RESUBMITTED: {Status.IN_REVIEW: S, Status.RETURNED: S, Status.SCHEDULED: S},
    Status.SCHEDULED: {Status.PUBLISHED: S, Status.RETURNED: S},
    Status.PUBLISHED: {Status.CONFIRMED: R},
    Status.CONFIRMED: {},
    Status.MERGED: {},
}


def initial_status(kind: str) -> str:
    return Status.SUBMITTED if kind == Kind.PUBLICATION else Status.NEW


def table(kind: str) -> dict[str, dict[str, frozenset[str]]]:
    return PUBLICATION if kind == Kind.PUBLICATION else STANDARD


def allowed(kind: str, current: str, wanted: str) -> frozenset[str]:
    """Who may move a ticket of `kind` from `current` to `wanted` (empty: nobody)."""
    return table(kind).get(current, {}).get(wanted, frozenset())


def next_statuses(kind: str, current: str, parties: set[str]) -> list[str]:
    return [to for to, who in table(kind).get(current, {}).items() if who & parties]
