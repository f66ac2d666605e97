"""bot.calendar.ChinaCalendar: chinese-calendar where it has data, statutory holidays plus config elsewhere."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

from bot.calendar import (
    ChinaCalendar,
    calendar_notice,
    covered_by_library,
    estimate_notice,
    statutory_days_off,
    uncovered_years,
)
from core.clocks import ClockPolicy, ClockUnit, WeekdayCalendar, due_at

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


def test_new_years_day_2027_is_a_day_off_without_config() -> None:
    cal = ChinaCalendar()
    assert date(2027, 1, 1).weekday() == 4  # a Friday: only the statutory holidays make it a day off
    assert not cal.is_workday(date(2027, 1, 1))
    assert not cal.is_workday(date(2027, 1, 2))
    assert not cal.is_workday(date(2027, 1, 3))
    assert cal.is_workday(date(2027, 1, 4))


def test_the_2027_spring_festival_eve_and_first_three_days_are_days_off() -> None:
    cal = ChinaCalendar()
    for day in (date(2027, 2, 5), date(2027, 2, 6), date(2027, 2, 7), date(2027, 2, 8)):
        assert not cal.is_workday(day), day
    assert cal.is_workday(date(2027, 2, 4))


def test_spring_festival_days_on_a_2027_weekend_are_made_up_on_the_following_weekdays() -> None:
    cal = ChinaCalendar()  # 初一 and 初二 fall on Saturday and Sunday: 补假 on Tuesday and Wednesday
    assert not cal.is_workday(date(2027, 2, 9))
    assert not cal.is_workday(date(2027, 2, 10))
    assert cal.is_workday(date(2027, 2, 11))


def test_the_other_statutory_holidays_of_2027_are_days_off() -> None:
    cal = ChinaCalendar()
    for day in (
        date(2027, 4, 5),  # 清明 (Monday)
        date(2027, 5, 3),  # 劳动节 1-2 fall on the weekend: made up on Monday and Tuesday
        date(2027, 5, 4),
        date(2027, 6, 9),  # 端午 (Wednesday)
        date(2027, 9, 15),  # 中秋 (Wednesday)
        date(2027, 10, 1),  # 国庆 (Friday), then 补假 for the weekend days
        date(2027, 10, 4),
        date(2027, 10, 5),
    ):
        assert day.weekday() < 5 and not cal.is_workday(day), day
    assert cal.is_workday(date(2027, 10, 6))


def test_statutory_days_off_follow_the_2025_rules_in_2028() -> None:
    days = statutory_days_off(2028)
    assert {date(2028, 1, 25), date(2028, 1, 26), date(2028, 1, 27), date(2028, 1, 28)} <= days  # eve + 3 days
    assert {date(2028, 5, 1), date(2028, 5, 2)} <= days  # 劳动节: two days
    assert date(2028, 3, 8) not in days  # 妇女节 is a half day for some, not a statutory day off


def test_a_configured_make_up_workday_in_2027_wins_over_a_statutory_holiday() -> None:
    cal = ChinaCalendar(workdays=frozenset({date(2027, 2, 10)}))
    assert cal.is_workday(date(2027, 2, 10))


def test_make_up_weekend_workdays_of_2027_are_estimated_as_days_off_until_configured() -> None:
    saturday = date(2027, 2, 20)
    assert not ChinaCalendar().is_workday(saturday)
    assert ChinaCalendar(workdays=frozenset({saturday}), confirmed_years=frozenset({2027})).is_workday(saturday)


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


def test_a_year_counts_as_covered_only_when_the_library_knows_it_or_config_confirms_it() -> None:
    assert uncovered_years([2029, 2026, 2027, 2028, 2027], [2028]) == [2027, 2029]


def test_configured_2027_holidays_alone_leave_2027_estimated() -> None:
    cal = ChinaCalendar(holidays=frozenset({date(2027, 1, 1)}), workdays=frozenset({date(2027, 2, 20)}))
    assert cal.estimated_years([2026, 2027]) == [2027]
    confirmed = ChinaCalendar(holidays=frozenset({date(2027, 1, 1)}), confirmed_years=frozenset({2027}))
    assert confirmed.estimated_years([2026, 2027]) == []


def test_uncovered_years_is_empty_for_covered_years() -> None:
    assert uncovered_years(range(2004, 2027)) == []


def test_the_notice_names_each_estimated_year_once() -> None:
    assert estimate_notice([2028, 2027, 2027]) == "⚠️ 2027、2028 年调休安排尚未配置,工作日按法定节假日估算。"
    assert estimate_notice([]) is None


def test_the_calendar_notice_covers_the_years_of_the_given_days_of_a_china_calendar() -> None:
    days = [date(2026, 12, 30), date(2027, 1, 8)]
    assert calendar_notice(ChinaCalendar(), days) == "⚠️ 2027 年调休安排尚未配置,工作日按法定节假日估算。"
    assert calendar_notice(ChinaCalendar(confirmed_years=frozenset({2027})), days) is None
    assert calendar_notice(ChinaCalendar(), [date(2026, 12, 30)]) is None
    assert calendar_notice(WeekdayCalendar(), days) is None  # a test fake is no business calendar


def test_a_deadline_running_into_2027_skips_new_years_day() -> None:
    start = datetime(2026, 12, 30, 10, 0, tzinfo=SHANGHAI)  # Wednesday
    policy = ClockPolicy(3, ClockUnit.WORKING_DAYS)
    plain = due_at(start, policy, calendar=ChinaCalendar(), tz=SHANGHAI)
    assert plain == datetime(2027, 1, 5, 10, 0, tzinfo=SHANGHAI)  # Thu 31, (Fri 1 off), Mon 4, Tue 5


def test_a_working_day_clock_started_before_the_2027_spring_festival_skips_it() -> None:
    start = datetime(2027, 2, 4, 10, 0, tzinfo=SHANGHAI)  # Thursday, the day before the eve
    policy = ClockPolicy(3, ClockUnit.WORKING_DAYS)
    due = due_at(start, policy, calendar=ChinaCalendar(), tz=SHANGHAI)
    assert due == datetime(2027, 2, 15, 10, 0, tzinfo=SHANGHAI)  # Thu 11, Fri 12, Mon 15


def test_the_2027_statutory_days_are_computed_once_per_year() -> None:
    statutory_days_off.cache_clear()
    cal = ChinaCalendar()
    for offset in range(365):
        cal.is_workday(date(2027, 1, 1) + timedelta(days=offset))
    assert statutory_days_off.cache_info().misses == 1
