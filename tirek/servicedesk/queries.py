"""Filtering, searching and counting tickets for the portal, the queue and the API, and the
short-lived cache of the queue's rendered pages.

Searches use PostgreSQL's full-text search when the database is PostgreSQL (a GIN index on the
same expression serves it), and a case-insensitive substring match elsewhere (SQLite).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, Max, Q, QuerySet, Window
from django.db.models.signals import post_delete, post_save
from django.utils import timezone, translation

from tirek.servicedesk.models import OPEN_STATUSES, Comment, Ticket

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


def page_of(tickets: QuerySet[Ticket], number, size: int, count: int | None = None) -> Page:
    """One page of `tickets`. Without a known `count`, the rows bring it along (COUNT(*) OVER
    ()): a filtered view, a full-text search above all, is evaluated once instead of twice."""
    paginator = Paginator(tickets, size)
    if count is not None:
        paginator.count = count
        return paginator.get_page(number)
    try:
        n = max(int(number), 1)
    except (TypeError, ValueError):
        n = 1
    rows = list(tickets.annotate(_total=Window(Count("pk")))[(n - 1) * size : n * size])
    if not rows:  # no tickets, or past the last page: the paginator says which
        return paginator.get_page(number)
    paginator.count = rows[0]._total
    return Page(rows, n, paginator)


# --- the queue's cache ------------------------------------------------------------------------
#
# A page of the queue (counts, rows, pager, filter form) is rendered once and kept for
# TIREK_SERVICEDESK_CACHE_SECONDS under a key made of the user, the language, the time zone, the
# query string and a version of the ticket data. The version is the latest `updated_at` of all
# tickets (auto_now: every save moves it; an index makes it one index probe) and a counter this
# process bumps on every ticket saved or deleted here, so a change is seen at once in the process
# that made it and, through the database, in every other process. What the version cannot see
# (a bulk `update()`, time passing an SLA warning) is seen when the entry expires.

_generation = itertools.count()
_current = [next(_generation)]


def _bump(**kwargs) -> None:
    _current[0] = next(_generation)


post_save.connect(_bump, sender=Ticket, dispatch_uid="servicedesk_queue_cache_ticket_saved")
post_delete.connect(_bump, sender=Ticket, dispatch_uid="servicedesk_queue_cache_ticket_deleted")
post_save.connect(_bump, sender=Comment, dispatch_uid="servicedesk_queue_cache_comment_saved")


def data_version() -> str:
    latest = Ticket.objects.aggregate(v=Max("updated_at"))["v"]
    return f"{latest.timestamp() if latest else 0}.{_current[0]}"


def remember(key: str, compute):
    """`compute()`, kept under `key` for TIREK_SERVICEDESK_CACHE_SECONDS (0: computed each time)."""
    seconds = settings.TIREK_SERVICEDESK_CACHE_SECONDS
    if seconds <= 0:
        return compute()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value


def conversation_key(ticket: Ticket, sees_all: bool) -> str:
    """A ticket's comments and files change only with the ticket: a comment or a file saves it
    (updated_at), and this process's counter covers saves within the same microsecond."""
    stamp = ticket.updated_at.timestamp() if ticket.updated_at else 0
    return f"servicedesk:conversation:{ticket.pk}:{stamp}:{_current[0]}:{int(sees_all)}"


def queue_cache_key(user, query: str, sees_all: bool) -> str | None:
    """The key for one user's view of one queue page, or None when the cache is off."""
    if settings.TIREK_SERVICEDESK_CACHE_SECONDS <= 0:
        return None
    parts = "|".join(
        [
            str(user.pk),
            "all" if sees_all else "own",
            translation.get_language() or "",
            timezone.get_current_timezone_name(),
            query,
            data_version(),
        ]
    )
    return "servicedesk:queue:" + hashlib.sha256(parts.encode()).hexdigest()


def cached_queue(key: str | None) -> dict | None:
    return cache.get(key) if key else None


def keep_queue(key: str | None, parts: dict) -> None:
    if key:
        cache.set(key, parts, settings.TIREK_SERVICEDESK_CACHE_SECONDS)
