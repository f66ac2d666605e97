"""core.clocks.due_at on fake (Monday–Friday) calendars."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.clocks import DEFAULT_CLOCKS, ClockName, ClockPolicy, ClockUnit, WeekdayCalendar, due_at

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAYS = WeekdayCalendar()
END_OF_DAY = time.max


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def working_days(n: int) -> ClockPolicy:
    return ClockPolicy(n, ClockUnit.WORKING_DAYS)


def test_calendar_days_count_every_day_including_weekends() -> None:
    start = sh(2026, 3, 6, 10)  # Friday
    assert due_at(start, ClockPolicy(3, ClockUnit.CALENDAR_DAYS), calendar=WEEKDAYS, tz=SHANGHAI) == sh(2026, 3, 9, 10)


def test_calendar_days_ignore_the_calendars_holidays() -> None:
    cal = WeekdayCalendar(holidays=frozenset({date(2026, 3, 9)}))
    start = sh(2026, 3, 6, 10)
    assert due_at(start, ClockPolicy(3, ClockUnit.CALENDAR_DAYS), calendar=cal, tz=SHANGHAI) == sh(2026, 3, 9, 10)


def test_the_default_normal_clock_is_seven_calendar_days() -> None:
    start = sh(2026, 3, 2, 9, 30)
    assert due_at(start, DEFAULT_CLOCKS[ClockName.NORMAL], calendar=WEEKDAYS, tz=SHANGHAI) == sh(2026, 3, 9, 9, 30)


def test_hours_are_added_to_the_start_regardless_of_the_calendar() -> None:
    start = sh(2026, 3, 6, 16)  # Friday afternoon
    due = due_at(start, ClockPolicy(48, ClockUnit.HOURS), calendar=WEEKDAYS, tz=SHANGHAI)
    assert due == sh(2026, 3, 8, 16)
    assert due - start == timedelta(hours=48)


def test_working_days_within_a_week_keep_the_time_of_day() -> None:
    assert due_at(sh(2026, 3, 2, 14, 15), working_days(2), calendar=WEEKDAYS, tz=SHANGHAI) == sh(2026, 3, 4, 14, 15)


def test_working_days_skip_the_weekend() -> None:
    start = sh(2026, 3, 6, 10)  # Friday
    assert due_at(start, working_days(2), calendar=WEEKDAYS, tz=SHANGHAI) == sh(2026, 3, 10, 10)  # Tuesday


def test_working_days_skip_a_holiday() -> None:
    cal = WeekdayCalendar(holidays=frozenset({date(2026, 3, 9)}))  # Monday off
    assert due_at(sh(2026, 3, 6, 10), working_days(1), calendar=cal, tz=SHANGHAI) == sh(2026, 3, 10, 10)


def test_a_start_on_saturday_ends_at_the_close_of_the_nth_working_day() -> None:
    start = sh(2026, 3, 7, 15)  # Saturday
    one = due_at(start, working_days(1), calendar=WEEKDAYS, tz=SHANGHAI)
    two = due_at(start, working_days(2), calendar=WEEKDAYS, tz=SHANGHAI)
    assert one == datetime.combine(date(2026, 3, 9), END_OF_DAY, tzinfo=SHANGHAI)  # Monday, end of day
    assert two == datetime.combine(date(2026, 3, 10), END_OF_DAY, tzinfo=SHANGHAI)


def test_a_make_up_workday_on_saturday_counts_as_a_working_day() -> None:
    cal = WeekdayCalendar(workdays=frozenset({date(2026, 3, 7)}))
    assert due_at(sh(2026, 3, 6, 10), working_days(1), calendar=cal, tz=SHANGHAI) == sh(2026, 3, 7, 10)


def test_a_start_on_a_make_up_workday_keeps_its_time_of_day() -> None:
    cal = WeekdayCalendar(workdays=frozenset({date(2026, 3, 7)}))
    assert due_at(sh(2026, 3, 7, 9), working_days(1), calendar=cal, tz=SHANGHAI) == sh(2026, 3, 9, 9)


def test_a_utc_friday_evening_is_already_saturday_in_shanghai() -> None:
    start = datetime(2026, 3, 6, 20, 0, tzinfo=UTC)  # Saturday 04:00 in Shanghai
    due = due_at(start, working_days(1), calendar=WEEKDAYS, tz=SHANGHAI)
    assert due.tzinfo is UTC
    assert due == datetime.combine(date(2026, 3, 9), END_OF_DAY, tzinfo=SHANGHAI)
    assert due == datetime(2026, 3, 9, 15, 59, 59, 999999, tzinfo=UTC)


def test_a_utc_sunday_evening_is_monday_morning_in_shanghai() -> None:
    start = datetime(2026, 3, 8, 23, 30, tzinfo=UTC)  # Monday 07:30 in Shanghai, a working day
    due = due_at(start, working_days(1), calendar=WEEKDAYS, tz=SHANGHAI)
    assert due == datetime(2026, 3, 9, 23, 30, tzinfo=UTC)  # Tuesday 07:30 in Shanghai
    assert due.astimezone(SHANGHAI) == sh(2026, 3, 10, 7, 30)


def test_calendar_days_in_utc_are_returned_in_utc() -> None:
    start = datetime(2026, 3, 6, 20, 0, tzinfo=UTC)
    due = due_at(start, ClockPolicy(3, ClockUnit.CALENDAR_DAYS), calendar=WEEKDAYS, tz=SHANGHAI)
    assert due == datetime(2026, 3, 9, 20, 0, tzinfo=UTC)
    assert due.tzinfo is UTC


def test_a_naive_start_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_at(datetime(2026, 3, 6, 10), working_days(1), calendar=WEEKDAYS, tz=SHANGHAI)
