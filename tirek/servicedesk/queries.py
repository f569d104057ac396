"""Filtering, searching and counting tickets for the portal, the queue and the API.

Searches use PostgreSQL's full-text search when the database is PostgreSQL, and a
case-insensitive substring match elsewhere (SQLite).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from tirek.servicedesk.models import OPEN_STATUSES, Ticket

OPEN = Q(status__in=OPEN_STATUSES)


def sla_q(state: str, now: dt.datetime) -> Q:
    running = Q(paused_at__isnull=True)
    if state == "breached":
        return OPEN & (Q(resolution_breached=True) | (running & Q(resolution_due__lte=now)))
    if state == "warning":
        return (
            OPEN & running & Q(warn_at__lte=now, resolution_due__gt=now, resolution_breached=False)
        )
    if state == "paused":
        return OPEN & Q(paused_at__isnull=False)
    if state == "ok":
        return OPEN & running & Q(warn_at__gt=now, resolution_breached=False)
    return Q()


def search(tickets: QuerySet[Ticket], text: str) -> QuerySet[Ticket]:
    text = (text or "").strip()[:100]
    if not text:
        return tickets
    if text.upper().startswith("TKT-"):
        return tickets.filter(number__iexact=text)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        vector = SearchVector("subject", "description", config="simple")
        return tickets.annotate(_search=vector).filter(
            Q(_search=SearchQuery(text, config="simple", search_type="websearch"))
            | Q(number__icontains=text)
        )
    q = Q()
    for variant in {text, text.lower(), text.capitalize()}:
        q |= (
            Q(subject__icontains=variant)
            | Q(description__icontains=variant)
            | Q(number__icontains=variant)
        )
    return tickets.filter(q)


def apply_filters(tickets: QuerySet[Ticket], data: dict, user) -> QuerySet[Ticket]:
    now = timezone.now()
    status = data.get("status") or ""
    if status == "":
        tickets = tickets.filter(OPEN)
    elif status != "all":
        tickets = tickets.filter(status=status)
    if data.get("kind"):
        tickets = tickets.filter(kind=data["kind"])
    if data.get("system"):
        tickets = tickets.filter(system=data["system"])
    assignee = data.get("assignee") or ""
    if assignee == "me":
        tickets = tickets.filter(assignee_id=user.pk)
    elif assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif assignee.isdigit():
        tickets = tickets.filter(assignee_id=int(assignee))
    if data.get("sla"):
        tickets = tickets.filter(sla_q(data["sla"], now))
    return search(tickets, data.get("q", ""))


def queue_counts(tickets: QuerySet[Ticket], user) -> dict[str, int]:
    """The queue's headline numbers in one query."""
    now = timezone.now()
    # Only open tickets count here: aggregate over them, not over the whole history.
    return tickets.filter(OPEN).aggregate(
        open=Count("pk"),
        unassigned=Count("pk", filter=OPEN & Q(assignee__isnull=True)),
        mine=Count("pk", filter=OPEN & Q(assignee_id=user.pk)),
        warning=Count("pk", filter=sla_q("warning", now)),
        breached=Count("pk", filter=sla_q("breached", now)),
        paused=Count("pk", filter=sla_q("paused", now)),
    )


def for_list(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return tickets.select_related("system", "assignee", "requester", "publication").only(
        "pk",
        "number",
        "kind",
        "status",
        "subject",
        "priority",
        "opened_at",
        "updated_at",
        "resolution_due",
        "warn_at",
        "paused_at",
        "resolution_breached",
        "is_major",
        "system__code",
        "system__name_kk",
        "system__name_ru",
        "system__name_en",
        "assignee__username",
        "assignee__first_name",
        "assignee__last_name",
        "requester__username",
        "requester__first_name",
        "requester__last_name",
        "publication__wanted_date",
        "publication__published_at",
        "requester_id",
        "assignee_id",
        "system_id",
    )
