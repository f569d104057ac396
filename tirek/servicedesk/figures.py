"""Monthly figures of the service desk (MISSION task 20).

Per month of opening: tickets opened and resolved, SLA compliance (resolved within the
resolution target, of those resolved), mean business hours to first response and to
resolution (the SLA calendar of sla.py: working days and hours, holidays; the time a ticket
waited for its requester is not counted against resolution), mean satisfaction, and
publication requests published by the wanted date. The same numbers by system and by kind.
Counts come from a few grouped queries; the business-hour means from one pass over the
tickets' timestamps. Major incidents are left out: their reports are counted instead.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from tirek.access.models import System
from tirek.servicedesk import sla
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
    by_system: list[Row] = field(default_factory=list)
    by_kind: list[Row] = field(default_factory=list)


@dataclass
class _Means:
    """Running sums of business seconds, to respond and to resolve."""

    respond: float = 0.0
    responded: int = 0
    resolve: float = 0.0
    resolved: int = 0

    def hours(self) -> tuple[float | None, float | None]:
        return (
            round(self.respond / self.responded / 3600, 1) if self.responded else None,
            round(self.resolve / self.resolved / 3600, 1) if self.resolved else None,
        )


def business_means(
    tickets: QuerySet[Ticket], zone, cal: sla.BusinessCalendar | None = None
) -> dict[str, dict]:
    """Mean business hours to first response and to resolution, by month ("YYYY-MM" of
    opening in `zone`), by system id and by kind: {"month": {key: (respond, resolve)}, ...}."""
    cal = cal or sla.calendar()
    sums: dict[str, dict] = {"month": defaultdict(_Means), "system": defaultdict(_Means)}
    sums["kind"] = defaultdict(_Means)
    rows = tickets.values_list(
        "opened_at", "first_response_at", "resolved_at", "paused_seconds", "status", "system_id",
        "kind",
    )  # fmt: skip
    for opened, responded, resolved, paused, status, system_id, kind in rows.iterator(2000):
        keys = (
            ("month", f"{timezone.localtime(opened, zone):%Y-%m}"),
            ("system", system_id),
            ("kind", kind),
        )
        respond_s = cal.between(opened, responded) if responded else None
        resolve_s = None
        if resolved and status != Status.MERGED:
            resolve_s = max(cal.between(opened, resolved) - (paused or 0), 0.0)
        for group, key in keys:
            means = sums[group][key]
            if respond_s is not None:
                means.respond += respond_s
                means.responded += 1
            if resolve_s is not None:
                means.resolve += resolve_s
                means.resolved += 1
    return {group: {k: m.hours() for k, m in by.items()} for group, by in sums.items()}


def _aggregate(tickets: QuerySet[Ticket], group: str | None):
    values = tickets.values(group) if group else tickets
    agg = {
        "opened": Count("pk"),
        "resolved": Count("pk", filter=RESOLVED),
        "on_time": Count("pk", filter=RESOLVED & Q(resolution_breached=False)),
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


def _row(label: str, data: dict, means: tuple[float | None, float | None]) -> Row:
    return Row(
        label=label,
        opened=data["opened"],
        resolved=data["resolved"],
        on_time=data["on_time"],
        respond_hours=means[0],
        resolve_hours=means[1],
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
    means = business_means(scoped, zone)
    none = (None, None)
    monthly = scoped.annotate(month=TruncMonth("opened_at", tzinfo=zone))
    for data in _aggregate(monthly, "month").order_by("month"):
        label = f"{data['month']:%Y-%m}"
        figures.months.append(_row(label, data, means["month"].get(label, none)))
    names = {s.pk: s.name for s in System.objects.all()}
    for data in _aggregate(scoped, "system").order_by("system"):
        label = names.get(data["system"]) or str(_("other"))
        figures.by_system.append(_row(label, data, means["system"].get(data["system"], none)))
    labels = dict(Kind.choices)
    for data in _aggregate(scoped, "kind").order_by("kind"):
        label = str(labels.get(data["kind"], data["kind"]))
        figures.by_kind.append(_row(label, data, means["kind"].get(data["kind"], none)))
    return figures


HEADER = (
    "period",
    "opened",
    "resolved",
    "SLA %",
    "mean business hours to respond",
    "mean business hours to resolve",
    "satisfaction",
    "publications on time %",
)


def rows_for_export(figures: Figures) -> list[list]:
    out = []
    for section, rows in (
        ("month", figures.months),
        ("system", figures.by_system),
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
