"""Who sees which tickets: one queryset for the portal, the queue, detail pages, attachments,
figures and the API, so a list never shows what a detail page denies.

Department staff, the head and auditors see every ticket; anyone else sees the tickets they
filed, and a head of unit also those filed from the units they answer for. Internal notes and
the files attached to them are for those who see every ticket.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from tirek.core.permissions import can
from tirek.core.roles import Role, roles_for
from tirek.people.models import OrgUnit
from tirek.people.permissions import managed_units
from tirek.servicedesk.models import Comment, Kind, PublicationDelegate, Ticket


def active_delegations(user) -> QuerySet[PublicationDelegate]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return PublicationDelegate.objects.none()
    return PublicationDelegate.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=timezone.localdate()),
        user_id=user.pk,
        revoked_at__isnull=True,
        unit__is_active=True,
    )


def delegated_units(user) -> QuerySet[OrgUnit]:
    """Units whose publication requests the user files as a delegate of the head."""
    return OrgUnit.objects.filter(pk__in=active_delegations(user).values("unit_id"))


def publication_units(user) -> list[OrgUnit]:
    """The units a user may file publication requests for: those they head, then those they
    are a delegate for."""
    units = list(OrgUnit.objects.filter(head__user_id=getattr(user, "pk", None), is_active=True))
    units += [u for u in delegated_units(user) if u not in units]
    return units


def may_request_publication(user) -> bool:
    return can(user, "servicedesk.request_publication") or active_delegations(user).exists()


def speaks_for_requester(user, ticket: Ticket) -> bool:
    """The requester, and for a publication request also the head of its unit and the unit's
    delegates: they follow it, resubmit it and confirm it."""
    if not getattr(user, "is_authenticated", False):
        return False
    if ticket.requester_id == user.pk:
        return True
    if ticket.kind != Kind.PUBLICATION or ticket.requester_unit_id is None:
        return False
    if managed_units(user).filter(pk=ticket.requester_unit_id).exists():
        return True
    return active_delegations(user).filter(unit_id=ticket.requester_unit_id).exists()


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
    delegated = active_delegations(user).values("unit_id")
    if delegated.exists():
        scope |= Q(kind=Kind.PUBLICATION, requester_unit__in=delegated)
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
    if works_queue(user) or speaks_for_requester(user, ticket):
        return True
    if can(user, "servicedesk.view_all"):
        return False
    return visible_tickets(user).filter(pk=ticket.pk).exists()
