"""China's business calendar (chinese-calendar), falling back to Monday–Friday plus config for uncovered years."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache

import chinese_calendar


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


class ChinaCalendar:
    """Working days in mainland China: statutory holidays and make-up workdays (调休) included.

    Explicit ``holidays`` and ``workdays`` from config win in every year (a make-up workday wins over a
    holiday). For a year chinese-calendar does not know, the rest is Monday to Friday instead of raising.
    """

    def __init__(self, *, holidays: frozenset[date] = frozenset(), workdays: frozenset[date] = frozenset()):
        self.holidays = holidays
        self.workdays = workdays

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
        return day.weekday() < 5

    def __repr__(self) -> str:
        return f"ChinaCalendar(holidays={len(self.holidays)} days, workdays={len(self.workdays)} days)"


def uncovered_years(years: Iterable[int], holidays: Iterable[date], workdays: Iterable[date]) -> list[int]:
    """The years among ``years`` that neither chinese-calendar nor the config's holidays cover, sorted.

    A year counts as covered when the library knows it or config lists at least one holiday in it;
    make-up ``workdays`` alone do not cover a year (they only make sense next to the holidays they
    compensate for).
    """
    configured = {d.year for d in holidays}
    return sorted({y for y in years if not covered_by_library(y) and y not in configured})
