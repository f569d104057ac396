"""Who sees which tickets: one queryset for the portal, the queue, detail pages, attachments,
figures and the API, so a list never shows what a detail page denies.

Department staff, the head and auditors see every ticket; anyone else sees the tickets they
filed, and a head of unit also those filed from the units they answer for. Internal notes and
the files attached to them are for those who see every ticket.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from tirek.core.permissions import can
from tirek.core.roles import Role, roles_for
from tirek.people.permissions import managed_units
from tirek.servicedesk.models import Comment, Ticket


def visible_tickets(user) -> QuerySet[Ticket]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Ticket.objects.none()
    if can(user, "servicedesk.view_all"):
        return Ticket.objects.all()
    if not can(user, "servicedesk.submit"):
        return Ticket.objects.none()
    scope = Q(requester_id=user.pk)
    if Role.UNIT_HEAD in roles_for(user):
        scope |= Q(requester_unit__in=managed_units(user).values("pk"))
    return Ticket.objects.filter(scope)


def sees_internal(user) -> bool:
    return can(user, "servicedesk.view_all")


def works_queue(user) -> bool:
    return can(user, "servicedesk.work_queue")


def visible_comments(user, ticket: Ticket) -> QuerySet[Comment]:
    comments = ticket.comments.select_related("author")
    return comments if sees_internal(user) else comments.filter(internal=False)


def is_requester(user, ticket: Ticket) -> bool:
    return getattr(user, "is_authenticated", False) and ticket.requester_id == user.pk


def may_reply(user, ticket: Ticket) -> bool:
    """Staff, the requester, and a head of unit who sees the ticket may write on it; readers
    who only audit (auditors) may not."""
    if works_queue(user) or is_requester(user, ticket):
        return True
    if can(user, "servicedesk.view_all"):
        return False
    return visible_tickets(user).filter(pk=ticket.pk).exists()
