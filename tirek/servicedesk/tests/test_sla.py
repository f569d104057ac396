"""Business-hours arithmetic on hand-made calendars: weekends, Kazakh holidays, lunch, pauses."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tirek.servicedesk.sla import BusinessCalendar

QOS = ZoneInfo("Asia/Qostanay")
H = 3600
CAL = BusinessCalendar.build()  # Mon-Fri 09:00-13:00, 14:00-18:00, KZ holidays


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=QOS)


def test_within_one_day_skipping_lunch():
    assert CAL.add(at(2026, 11, 30, 12, 0), 2 * H) == at(2026, 11, 30, 15, 0)
    no_lunch = BusinessCalendar.build(hours=[("09:00", "18:00")])
    assert no_lunch.add(at(2026, 11, 30, 12, 0), 2 * H) == at(2026, 11, 30, 14, 0)


def test_over_a_weekend():
    # Friday 27 November 2026, 16:30: 1.5 h left on Friday, the rest on Monday.
    assert CAL.add(at(2026, 11, 27, 16, 30), 4 * H) == at(2026, 11, 30, 11, 30)


def test_started_at_night_or_on_sunday_counts_from_the_next_opening():
    assert CAL.add(at(2026, 11, 29, 23, 0), 1 * H) == at(2026, 11, 30, 10, 0)
    assert CAL.add(at(2026, 11, 30, 6, 0), 1 * H) == at(2026, 11, 30, 10, 0)
    assert CAL.add(at(2026, 11, 30, 13, 30), 1 * H) == at(2026, 11, 30, 15, 0)


def test_nauryz_and_its_observed_days_are_not_working_days():
    # Friday 20 March 2026; 21-23 March are Nauryz and the 24th and 25th its observed days
    # off (21 and 22 fell on a weekend), so work resumes on Thursday 26 March.
    for day in range(21, 26):
        assert not CAL.is_working_day(dt.date(2026, 3, day))
    assert CAL.add(at(2026, 3, 20, 17, 0), 4 * H) == at(2026, 3, 26, 12, 0)


def test_independence_day():
    # Tuesday 15 December 2026, 16:00, eight hours: 2 on Tuesday, none on Wednesday the 16th.
    assert not CAL.is_working_day(dt.date(2026, 12, 16))
    assert CAL.add(at(2026, 12, 15, 16, 0), 8 * H) == at(2026, 12, 17, 16, 0)


def test_between_counts_only_working_time():
    assert CAL.between(at(2026, 11, 27, 16, 30), at(2026, 11, 30, 11, 30)) == 4 * H
    assert CAL.between(at(2026, 3, 20, 9, 0), at(2026, 3, 26, 9, 0)) == 8 * H
    assert CAL.between(at(2026, 11, 30, 12, 0), at(2026, 11, 30, 11, 0)) == 0


def test_decree_days_off_and_working_saturdays():
    cal = BusinessCalendar.build(extra_holidays=["2026-11-30"], extra_workdays=["2026-11-28"])
    # Friday 16:30 + 4 h: 1.5 h Friday, Saturday 28th worked, Monday 30th off.
    assert cal.add(at(2026, 11, 27, 16, 30), 4 * H) == at(2026, 11, 28, 11, 30)
    assert cal.add(at(2026, 11, 28, 17, 0), 2 * H) == at(2026, 12, 1, 10, 0)


def test_other_zone_input_gives_the_same_instant():
    utc = at(2026, 11, 27, 16, 30).astimezone(dt.UTC)
    assert CAL.add(utc, 4 * H) == at(2026, 11, 30, 11, 30)


def test_bad_calendars_are_refused():
    with pytest.raises(ValueError):
        BusinessCalendar.build(hours=[("18:00", "09:00")])
    with pytest.raises(ValueError):
        BusinessCalendar.build(hours=[("09:00", "13:00"), ("12:00", "18:00")])
    with pytest.raises(ValueError):
        BusinessCalendar.build(weekdays=[])
    with pytest.raises(ValueError):
        CAL.add(at(2026, 1, 5, 9), -1)


@settings(max_examples=60, deadline=None)
@given(
    start=st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 12, 1)),
    minutes=st.integers(min_value=1, max_value=60 * 60),
)
def test_between_undoes_add(start, minutes):
    begin = start.replace(tzinfo=QOS)
    end = CAL.add(begin, minutes * 60)
    assert end > begin
    assert CAL.between(begin, end) == minutes * 60
