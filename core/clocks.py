"""Deadlines: a clock is an amount of calendar days, working days or hours, counted on a business calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo


class ClockUnit(StrEnum):
    """How a clock counts."""

    CALENDAR_DAYS = "calendar_days"
    WORKING_DAYS = "working_days"
    HOURS = "hours"


class ClockName(StrEnum):
    """The clocks of PROCEDURE §1.3."""

    FIRST_RESPONSE = "first_response"
    URGENT = "urgent"
    NORMAL = "normal"
    IMPROVEMENT_REPORT = "improvement_report"
    RETURN_PROCESSING = "return_processing"  # PROCEDURE §2.4: processing result after receipt


CLOCK_LABELS: dict[ClockName, str] = {
    ClockName.FIRST_RESPONSE: "首次答复客户",
    ClockName.URGENT: "处理完成(急件)",
    ClockName.NORMAL: "处理完成(普通件)",
    ClockName.IMPROVEMENT_REPORT: "改善报告",
    ClockName.RETURN_PROCESSING: "退货处理结果",
}


@dataclass(frozen=True)
class ClockPolicy:
    """One configured clock: ``amount`` of ``unit``."""

    amount: int
    unit: ClockUnit

    def describe(self) -> str:
        """Chinese text such as '7 个工作日'."""
        unit = {ClockUnit.CALENDAR_DAYS: "天", ClockUnit.WORKING_DAYS: "个工作日", ClockUnit.HOURS: "小时"}
        return f"{self.amount} {unit[self.unit]}"


DEFAULT_CLOCKS: dict[ClockName, ClockPolicy] = {
    ClockName.FIRST_RESPONSE: ClockPolicy(3, ClockUnit.CALENDAR_DAYS),
    ClockName.URGENT: ClockPolicy(2, ClockUnit.CALENDAR_DAYS),
    ClockName.NORMAL: ClockPolicy(7, ClockUnit.CALENDAR_DAYS),
    ClockName.IMPROVEMENT_REPORT: ClockPolicy(3, ClockUnit.CALENDAR_DAYS),
    ClockName.RETURN_PROCESSING: ClockPolicy(5, ClockUnit.CALENDAR_DAYS),
}


class Calendar(Protocol):
    """A business calendar: which dates are working days (port; implemented outside core)."""

    def is_workday(self, day: date) -> bool:
        """True for a working day (weekdays that are not holidays, plus make-up workdays)."""
        ...


class WeekdayCalendar:
    """Monday to Friday, with explicit holidays and make-up workdays: the fallback and the test fake."""

    def __init__(self, *, holidays: frozenset[date] = frozenset(), workdays: frozenset[date] = frozenset()):
        self.holidays = holidays
        self.workdays = workdays

    def is_workday(self, day: date) -> bool:
        """A make-up workday counts; a holiday does not; otherwise Monday to Friday."""
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5


def due_at(start: datetime, policy: ClockPolicy, *, calendar: Calendar, tz: ZoneInfo) -> datetime:
    """When a clock started at ``start`` runs out.

    Working days are counted in the factory's timezone: the deadline is the same time of day on the
    N-th working day after the start day (a start on a non-working day counts from the next working
    day's start of business, i.e. its 00:00 + N working days is the end of that N-th working day).
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if policy.unit is ClockUnit.HOURS:
        return (start.astimezone(UTC) + timedelta(hours=policy.amount)).astimezone(start.tzinfo)  # real hours
    if policy.unit is ClockUnit.CALENDAR_DAYS:
        local = start.astimezone(tz)
        return (local + timedelta(days=policy.amount)).astimezone(start.tzinfo)
    local = start.astimezone(tz)
    day = local.date()
    time_of_day = local.timetz().replace(tzinfo=None)
    if not calendar.is_workday(day):
        # Received on a day off: the clock starts with the next working day, so it ends at the close
        # of the N-th working day from then (end of day, not a time-of-day a weekend message carried).
        time_of_day = datetime.max.time()
        remaining = policy.amount
        while not calendar.is_workday(day):
            day += timedelta(days=1)
        remaining -= 1
    else:
        remaining = policy.amount
    while remaining > 0:
        day += timedelta(days=1)
        if calendar.is_workday(day):
            remaining -= 1
    end = datetime.combine(day, time_of_day).replace(tzinfo=tz)
    return end.astimezone(start.tzinfo)
