"""SLA clocks in business hours.

A `BusinessCalendar` knows the working week, the working hours of a day (one or more
intervals, so a lunch break is a gap) and the public holidays of Kazakhstan (`holidays.KZ`,
observed days included), all in the university's zone (Asia/Qostanay). `add()` moves a moment
forward by a number of business seconds; `between()` counts the business seconds between two
moments. Both walk day by day, which is plenty for targets of hours or days.

Ticket deadlines are counted from `opened_at`: due = add(opened_at, target + paused_seconds),
where `paused_seconds` is the business time the ticket spent waiting for its requester, so a
pause moves the deadlines exactly by the working time it covered.

Configuration (Django settings, all optional):
    SERVICEDESK_WORKING_DAYS = [0, 1, 2, 3, 4]           # Monday = 0
    SERVICEDESK_WORKING_HOURS = [("09:00", "13:00"), ("14:00", "18:00")]
    SERVICEDESK_EXTRA_HOLIDAYS = ["2026-01-05"]          # days off by decree
    SERVICEDESK_EXTRA_WORKDAYS = ["2026-01-03"]          # Saturdays worked by decree
    SERVICEDESK_SLA_TARGETS = {kind: {priority: (response_hours, resolution_hours)}}
    SERVICEDESK_WARN_FRACTION = 0.75                     # warn when this much is used
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.utils import timezone

MAX_DAYS = 3 * 366  # a target can never be further than this; a guard against empty calendars

DEFAULT_HOURS = (("09:00", "13:00"), ("14:00", "18:00"))
DEFAULT_DAYS = (0, 1, 2, 3, 4)

# Business hours per kind and priority (1 = P1 ... 4 = P4): (respond within, resolve within).
DEFAULT_TARGETS: dict[str, dict[int, tuple[float, float]]] = {
    "incident": {1: (0.5, 4), 2: (1, 8), 3: (4, 24), 4: (8, 40)},
    "service_request": {1: (1, 8), 2: (2, 16), 3: (8, 40), 4: (16, 80)},
    "question": {1: (1, 8), 2: (2, 8), 3: (4, 16), 4: (8, 24)},
    # Publication: answered within a day, published within three working days of the request
    # (or by the wanted date, which staff schedule against).
    "publication": {1: (2, 8), 2: (4, 16), 3: (8, 24), 4: (8, 40)},
}


def _time(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


@dataclass(frozen=True)
class BusinessCalendar:
    weekdays: frozenset[int] = frozenset(DEFAULT_DAYS)
    hours: tuple[tuple[dt.time, dt.time], ...] = tuple(
        (_time(a), _time(b)) for a, b in DEFAULT_HOURS
    )
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Qostanay"))
    extra_holidays: frozenset[dt.date] = frozenset()
    extra_workdays: frozenset[dt.date] = frozenset()

    def __post_init__(self) -> None:
        for start, end in self.hours:
            if end <= start:
                raise ValueError(f"working hours {start}-{end}: the end is not after the start")
        ordered = sorted(self.hours)
        for (_, end), (start, _) in itertools.pairwise(ordered):
            if start < end:
                raise ValueError("working hours overlap")
        if not self.hours or not (self.weekdays or self.extra_workdays):
            raise ValueError("a calendar needs working days and working hours")

    @classmethod
    def build(
        cls,
        weekdays: Iterable[int] = DEFAULT_DAYS,
        hours: Iterable[tuple[str, str]] = DEFAULT_HOURS,
        zone: str = "Asia/Qostanay",
        extra_holidays: Iterable = (),
        extra_workdays: Iterable = (),
    ) -> BusinessCalendar:
        return cls(
            weekdays=frozenset(int(d) for d in weekdays),
            hours=tuple(sorted((_time(a), _time(b)) for a, b in hours)),
            zone=ZoneInfo(zone),
            extra_holidays=frozenset(_date(d) for d in extra_holidays),
            extra_workdays=frozenset(_date(d) for d in extra_workdays),
        )

    # --- days -----------------------------------------------------------------------------

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays or day in _kz_holidays(day.year):
            return False
        return day.weekday() in self.weekdays

    def _windows(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        if not self.is_working_day(day):
            return []
        return [
            (
                dt.datetime.combine(day, start, tzinfo=self.zone),
                dt.datetime.combine(day, end, tzinfo=self.zone),
            )
            for start, end in self.hours
        ]

    # --- arithmetic -----------------------------------------------------------------------

    def add(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """The moment `seconds` business seconds after `start` (aware datetimes)."""
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        if seconds == 0:
            return start
        local = start.astimezone(self.zone)
        remaining = dt.timedelta(seconds=seconds)
        day = local.date()
        for _ in range(MAX_DAYS):
            for window_start, window_end in self._windows(day):
                begin = max(window_start, local)
                if begin >= window_end:
                    continue
                available = window_end - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(start.tzinfo)
                remaining -= available
            day += dt.timedelta(days=1)
        raise ValueError("no working time found within three years")

    def between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Business seconds from `start` to `end` (0 if end is not after start)."""
        if end <= start:
            return 0.0
        a, b = start.astimezone(self.zone), end.astimezone(self.zone)
        total = dt.timedelta(0)
        day = a.date()
        while day <= b.date():
            for window_start, window_end in self._windows(day):
                lo, hi = max(window_start, a), min(window_end, b)
                if hi > lo:
                    total += hi - lo
            day += dt.timedelta(days=1)
        return total.total_seconds()


@cache
def _kz_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("KZ", years=year).keys())


def calendar() -> BusinessCalendar:
    """The calendar configured in settings."""
    return BusinessCalendar.build(
        weekdays=getattr(settings, "SERVICEDESK_WORKING_DAYS", DEFAULT_DAYS),
        hours=getattr(settings, "SERVICEDESK_WORKING_HOURS", DEFAULT_HOURS),
        zone=settings.TIME_ZONE,
        extra_holidays=getattr(settings, "SERVICEDESK_EXTRA_HOLIDAYS", ()),
        extra_workdays=getattr(settings, "SERVICEDESK_EXTRA_WORKDAYS", ()),
    )


def targets(kind: str, priority: int) -> tuple[float, float]:
    """(response, resolution) target in business seconds."""
    table = getattr(settings, "SERVICEDESK_SLA_TARGETS", None) or DEFAULT_TARGETS
    response_h, resolution_h = table[kind][int(priority)]
    return response_h * 3600, resolution_h * 3600


def warn_fraction() -> float:
    return float(getattr(settings, "SERVICEDESK_WARN_FRACTION", 0.75))


def set_due_dates(ticket, cal: BusinessCalendar | None = None) -> None:
    """Fill in the ticket's due times from its kind, priority, opening and pauses (no save)."""
    cal = cal or calendar()
    response_s, resolution_s = targets(ticket.kind, ticket.priority)
    paused = ticket.paused_seconds
    ticket.response_due = cal.add(ticket.opened_at, response_s + paused)
    ticket.resolution_due = cal.add(ticket.opened_at, resolution_s + paused)
    ticket.warn_at = cal.add(ticket.opened_at, resolution_s * warn_fraction() + paused)


def pause(ticket, now: dt.datetime | None = None) -> None:
    if ticket.paused_at is None:
        ticket.paused_at = now or timezone.now()


def resume(ticket, now: dt.datetime | None = None, cal: BusinessCalendar | None = None) -> None:
    """End a pause: the business time it covered moves every deadline later."""
    if ticket.paused_at is None:
        return
    cal = cal or calendar()
    now = now or timezone.now()
    ticket.paused_seconds += int(cal.between(ticket.paused_at, now))
    ticket.paused_at = None
    set_due_dates(ticket, cal)


class SlaState:
    OK = "ok"
    WARNING = "warning"
    BREACHED = "breached"
    PAUSED = "paused"
    DONE = "done"


def state(ticket, now: dt.datetime | None = None) -> str:
    """Where a ticket stands against its resolution target now."""
    now = now or timezone.now()
    if not ticket.is_open:
        return SlaState.BREACHED if ticket.resolution_breached else SlaState.DONE
    if ticket.resolution_breached or (
        ticket.paused_at is None and ticket.resolution_due and now >= ticket.resolution_due
    ):
        return SlaState.BREACHED
    if ticket.paused_at is not None:
        return SlaState.PAUSED
    if ticket.warn_at and now >= ticket.warn_at:
        return SlaState.WARNING
    return SlaState.OK


def business_seconds_left(ticket, now: dt.datetime | None = None) -> float | None:
    if not ticket.is_open or ticket.resolution_due is None:
        return None
    now = now or timezone.now()
    cal = calendar()
    if now >= ticket.resolution_due:
        return -cal.between(ticket.resolution_due, now)
    return cal.between(now, ticket.resolution_due)
