"""Who sees which cards: the one queryset lists, detail pages, QR, PDFs and the API use.

Department head and staff see every card; a unit head sees the cards of their units
(read-only); everyone sees their own.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from tirek.cards.models import Card
from tirek.core.permissions import can
from tirek.people.permissions import managed_units


def visible_cards(user) -> QuerySet[Card]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Card.objects.none()
    if can(user, "cards.view_all"):
        return Card.objects.all()
    own = Q(person__user_id=user.pk)
    if can(user, "cards.view_unit"):
        return Card.objects.filter(own | Q(unit__in=managed_units(user).values("pk")))
    return Card.objects.filter(own)


def own_cards(user) -> QuerySet[Card]:
    if not getattr(user, "is_authenticated", False):
        return Card.objects.none()
    return Card.objects.filter(person__user_id=user.pk)
