"""Monthly figures of the service desk (MISSION task 20).

Per month of opening: tickets opened and resolved, SLA compliance (resolved within the
resolution target, of those resolved), mean hours to first response and to resolution
(calendar hours, computed in the database; compliance is what the business-hour clock says),
mean satisfaction, and publication requests published by the wanted date. The same numbers by
system and by kind. Counted from the tickets a reader may see (visible_tickets), in a few
grouped queries. Major incidents are left out: their reports are counted instead.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from tirek.servicedesk.models import DONE_STATUSES, Kind, Status, Ticket

RESOLVED = Q(resolved_at__isnull=False) & ~Q(status=Status.MERGED)


@dataclass
class Row:
    label: str
    opened: int = 0
    resolved: int = 0
    on_time: int = 0
    respond_hours: float | None = None
    resolve_hours: float | None = None
    rating: float | None = None
    publications: int = 0
    publications_on_time: int = 0

    @property
    def sla_percent(self) -> float | None:
        return round(100 * self.on_time / self.resolved, 1) if self.resolved else None

    @property
    def publication_percent(self) -> float | None:
        if not self.publications:
            return None
        return round(100 * self.publications_on_time / self.publications, 1)


@dataclass
class Figures:
    months: list[Row] = field(default_factory=list)
    by_service: list[Row] = field(default_factory=list)
    by_kind: list[Row] = field(default_factory=list)


def _hours(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        return round(value.total_seconds() / 3600, 1)
    # SQLite returns microseconds for a duration average.
    return round(float(value) / 1_000_000 / 3600, 1)


def _aggregate(tickets: QuerySet[Ticket], group: str | None):
    values = tickets.values(group) if group else tickets
    agg = {
        "opened": Count("pk"),
        "resolved": Count("pk", filter=RESOLVED),
        "on_time": Count("pk", filter=RESOLVED & Q(resolution_breached=False)),
        "respond": Avg(
            F("first_response_at") - F("opened_at"), filter=Q(first_response_at__isnull=False)
        ),
        "resolve": Avg(F("resolved_at") - F("opened_at"), filter=RESOLVED),
        "rating": Avg("rating"),
        "publications": Count(
            "pk", filter=Q(kind=Kind.PUBLICATION, publication__published_at__isnull=False)
        ),
        "publications_on_time": Count(
            "pk",
            filter=Q(
                kind=Kind.PUBLICATION,
                publication__published_at__isnull=False,
                publication__published_at__date__lte=F("publication__wanted_date"),
            ),
        ),
    }
    return values.annotate(**agg) if group else [tickets.aggregate(**agg)]


def _row(label: str, data: dict) -> Row:
    return Row(
        label=label,
        opened=data["opened"],
        resolved=data["resolved"],
        on_time=data["on_time"],
        respond_hours=_hours(data["respond"]),
        resolve_hours=_hours(data["resolve"]),
        rating=round(data["rating"], 2) if data["rating"] is not None else None,
        publications=data["publications"],
        publications_on_time=data["publications_on_time"],
    )


def compute(tickets: QuerySet[Ticket], start: dt.date, end: dt.date) -> Figures:
    """Figures for tickets opened from `start` to `end` (inclusive), by month of opening."""
    zone = timezone.get_current_timezone()
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    scoped = tickets.filter(opened_at__gte=lo, opened_at__lt=hi, is_major=False).order_by()
    figures = Figures()
    monthly = scoped.annotate(month=TruncMonth("opened_at", tzinfo=zone))
    for data in _aggregate(monthly, "month").order_by("month"):
        month = data["month"]
        figures.months.append(_row(f"{month:%Y-%m}", data))
    names = defaultdict(str)
    from tirek.servicedesk.models import Service

    for s in Service.objects.all():
        names[s.pk] = s.name
    for data in _aggregate(scoped, "service").order_by("service"):
        figures.by_service.append(_row(names.get(data["service"]) or "—", data))
    labels = dict(Kind.choices)
    for data in _aggregate(scoped, "kind").order_by("kind"):
        figures.by_kind.append(_row(str(labels.get(data["kind"], data["kind"])), data))
    return figures


HEADER = (
    "period",
    "opened",
    "resolved",
    "SLA %",
    "mean hours to respond (calendar)",
    "mean hours to resolve (calendar)",
    "satisfaction",
    "publications on time %",
)


def rows_for_export(figures: Figures) -> list[list]:
    out = []
    for section, rows in (
        ("month", figures.months),
        ("system", figures.by_service),
        ("kind", figures.by_kind),
    ):
        for r in rows:
            out.append(
                [
                    f"{section}: {r.label}",
                    r.opened,
                    r.resolved,
                    r.sla_percent,
                    r.respond_hours,
                    r.resolve_hours,
                    r.rating,
                    r.publication_percent,
                ]
            )
    return out


__all__ = ["DONE_STATUSES", "Figures", "Row", "compute", "rows_for_export"]
