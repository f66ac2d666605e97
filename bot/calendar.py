"""China's business calendar: chinese-calendar where it has data, else statutory holidays (holidays) plus config."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache

import chinese_calendar
import holidays as statutory


@lru_cache(maxsize=1)
def _library_years() -> tuple[int, int]:
    """The first and last year the installed chinese-calendar has data for."""
    known = chinese_calendar.holidays.keys()
    return min(known).year, max(known).year


def covered_by_library(year: int) -> bool:
    """True when the installed chinese-calendar knows ``year`` (1.11: 2004–2026)."""
    first, last = _library_years()
    return first <= year <= last


@lru_cache(maxsize=4096)
def _library_is_workday(day: date) -> bool | None:
    """chinese-calendar's answer for ``day``, or None when the library has no data for its year."""
    if not covered_by_library(day.year):
        return None
    return bool(chinese_calendar.is_workday(day))


@lru_cache(maxsize=64)
def statutory_days_off(year: int) -> frozenset[date]:
    """China's statutory days off in ``year`` from the lunar calendar (the ``holidays`` package, category public).

    These are the days of 《全国年节及纪念日放假办法》: 元旦, 春节 (the eve and the first three days since the
    2025 rules), 清明, 劳动节 (two days since 2025), 端午, 中秋, 国庆 (three days), plus the weekday a
    statutory day falling on a weekend is made up on (补假, article 6). The half-day holidays of some groups
    (妇女节, 青年节, …) are a separate category and left out. Make-up workdays (调休) cannot be computed: the
    State Council announces them each year.
    """
    return frozenset(statutory.country_holidays("CN", years=year).keys())


class ChinaCalendar:
    """Working days in mainland China: statutory holidays and make-up workdays (调休) included.

    Explicit ``holidays`` and ``workdays`` from config win in every year (a make-up workday wins over a
    holiday). For a year chinese-calendar does not know, the statutory days off are computed and the rest is
    Monday to Friday: make-up workdays are estimated (none) until config lists them and names the year in
    ``confirmed_years``.
    """

    def __init__(
        self,
        *,
        holidays: frozenset[date] = frozenset(),
        workdays: frozenset[date] = frozenset(),
        confirmed_years: frozenset[int] = frozenset(),
    ):
        self.holidays = holidays
        self.workdays = workdays
        self.confirmed_years = confirmed_years

    def is_workday(self, day: date) -> bool:
        """True for a working day; never raises for a year outside the library's data."""
        if isinstance(day, datetime):
            day = day.date()
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        known = _library_is_workday(day)
        if known is not None:
            return known
        return day.weekday() < 5 and day not in statutory_days_off(day.year)

    def estimated_years(self, years: Iterable[int]) -> list[int]:
        """The years among ``years`` whose make-up workdays are estimated: unknown to chinese-calendar and not
        confirmed in config, sorted."""
        return uncovered_years(years, self.confirmed_years)

    def __repr__(self) -> str:
        return (
            f"ChinaCalendar(holidays={len(self.holidays)} days, workdays={len(self.workdays)} days,"
            f" confirmed_years={sorted(self.confirmed_years)})"
        )


def uncovered_years(years: Iterable[int], confirmed_years: Iterable[int] = ()) -> list[int]:
    """The years among ``years`` that neither chinese-calendar knows nor config confirms, sorted.

    Only an explicit confirmation (``[calendar] confirmed_years``) covers a year: one configured holiday
    does not, since the year's make-up workdays may still be missing.
    """
    confirmed = set(confirmed_years)
    return sorted({y for y in years if not covered_by_library(y) and y not in confirmed})


def estimate_notice(years: Iterable[int]) -> str | None:
    """A one-line Chinese notice that make-up workdays of ``years`` are estimated, or None when there are none."""
    shown = sorted(set(years))
    if not shown:
        return None
    return f"⚠️ {'、'.join(str(y) for y in shown)} 年调休安排尚未配置,工作日按法定节假日估算。"


def calendar_notice(calendar: object, days: Iterable[date]) -> str | None:
    """The estimate notice for the years of ``days`` when ``calendar`` is a ChinaCalendar, else None."""
    if not isinstance(calendar, ChinaCalendar):
        return None
    return estimate_notice(calendar.estimated_years({d.year for d in days}))
