"""bot.calendar.ChinaCalendar: chinese-calendar where it has data, weekdays plus config elsewhere."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import chinese_calendar

from bot.calendar import ChinaCalendar, covered_by_library, uncovered_years
from core.clocks import ClockPolicy, ClockUnit, due_at

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_national_day_2026_is_not_a_workday() -> None:
    cal = ChinaCalendar()
    assert date(2026, 10, 1).weekday() == 3  # a Thursday: only the holiday data makes it a day off
    assert not cal.is_workday(date(2026, 10, 1))
    assert not cal.is_workday(date(2026, 10, 7))
    assert cal.is_workday(date(2026, 10, 8))


def test_the_make_up_saturday_after_national_day_2026_is_a_workday() -> None:
    make_up = date(2026, 10, 10)
    assert make_up.weekday() == 5
    assert make_up in chinese_calendar.workdays  # the library's own data, not an assumption
    assert ChinaCalendar().is_workday(make_up)


def test_every_2026_make_up_weekend_day_in_the_library_is_a_workday() -> None:
    make_ups = [d for d in chinese_calendar.workdays if d.year == 2026 and d.weekday() >= 5]
    assert make_ups  # 2026 has make-up weekend days (e.g. 2026-02-14, 2026-10-10)
    cal = ChinaCalendar()
    assert all(cal.is_workday(d) for d in make_ups)


def test_an_ordinary_weekend_in_2026_is_not_a_workday() -> None:
    cal = ChinaCalendar()
    assert not cal.is_workday(date(2026, 3, 7))
    assert not cal.is_workday(date(2026, 3, 8))
    assert cal.is_workday(date(2026, 3, 9))


def test_2027_falls_back_to_monday_to_friday_without_raising() -> None:
    cal = ChinaCalendar()
    assert cal.is_workday(date(2027, 1, 1))  # New Year's Day, unknown without config: a Friday
    assert not cal.is_workday(date(2027, 1, 2))
    assert not cal.is_workday(date(2027, 1, 3))
    assert cal.is_workday(date(2027, 1, 4))


def test_a_year_before_the_library_data_falls_back_too() -> None:
    assert ChinaCalendar().is_workday(date(2003, 12, 31))


def test_config_holidays_and_workdays_are_honoured_in_2027() -> None:
    cal = ChinaCalendar(holidays=frozenset({date(2027, 1, 1)}), workdays=frozenset({date(2027, 2, 7)}))
    assert not cal.is_workday(date(2027, 1, 1))
    assert date(2027, 2, 7).weekday() == 6
    assert cal.is_workday(date(2027, 2, 7))


def test_config_entries_override_the_library_in_a_covered_year() -> None:
    cal = ChinaCalendar(holidays=frozenset({date(2026, 3, 9)}), workdays=frozenset({date(2026, 10, 1)}))
    assert not cal.is_workday(date(2026, 3, 9))
    assert cal.is_workday(date(2026, 10, 1))


def test_a_datetime_is_judged_by_its_date() -> None:
    cal = ChinaCalendar(holidays=frozenset({date(2027, 1, 1)}))
    assert not cal.is_workday(datetime(2027, 1, 1, 9, 0))
    assert not cal.is_workday(datetime(2026, 10, 1, 9, 0))


def test_the_library_covers_2004_to_2026() -> None:
    assert covered_by_library(2004)
    assert covered_by_library(2026)
    assert not covered_by_library(2003)
    assert not covered_by_library(2027)


def test_uncovered_years_are_those_neither_the_library_nor_config_holidays_cover() -> None:
    holidays = [date(2028, 1, 1)]
    workdays = [date(2027, 2, 7)]  # make-up workdays alone do not cover a year
    assert uncovered_years([2029, 2026, 2027, 2028, 2027], holidays, workdays) == [2027, 2029]


def test_uncovered_years_is_empty_for_covered_years() -> None:
    assert uncovered_years(range(2004, 2027), [], []) == []


def test_a_deadline_running_into_2027_does_not_crash() -> None:
    start = datetime(2026, 12, 30, 10, 0, tzinfo=SHANGHAI)  # Wednesday
    policy = ClockPolicy(3, ClockUnit.WORKING_DAYS)
    plain = due_at(start, policy, calendar=ChinaCalendar(), tz=SHANGHAI)
    assert plain == datetime(2027, 1, 4, 10, 0, tzinfo=SHANGHAI)  # Thu 31, Fri 1 (no data), Mon 4
    with_config = due_at(start, policy, calendar=ChinaCalendar(holidays=frozenset({date(2027, 1, 1)})), tz=SHANGHAI)
    assert with_config == datetime(2027, 1, 5, 10, 0, tzinfo=SHANGHAI)
