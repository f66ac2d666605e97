"""Dates as people type them: 交期 12月20日 / 2026-12-28 / 12/30 and report months 10月 / 上个月 / 2026年3月.

A date that does not exist (2月30日, 13月1日) or whose year is far from today (99999年) is reported with the sentence
that says so, never dropped and never read as another date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from bot.intents.numbers import chinese_to_int
from core.limits import YEARS_AROUND

MONTHS_EN = {
    m: i
    for i, m in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        1,
    )
}
MONTH_EXPLICIT = re.compile(
    r"(?<![\d.])(?:(\d{4,})\s*[-/.]\s*(\d{1,3})(?![\d.])|(\d+)\s*年\s*(\d{1,3}|[一二三四五六七八九十]{1,3})\s*月)"
)
MONTH_NAMED = re.compile(r"(今年|去年)?\s*(?<!\d)(\d{1,3}|[一二三四五六七八九十]{1,3})\s*月(?:份)?")

_DAY = r"(\d{1,2}|[一二三四五六七八九十]{1,3})"
DELIVERY_LABEL = r"(?:交期|交货期|交货日期|交货时间|货期|交货|交付|出货|deliver(?:y)?(?:\s*date)?)"
DELIVERY_TAIL = r"(?:\s*(?:前|之前|以前))?(?:\s*(?:交货|交付|出货|发货|到货|交))?"
DELIVERY_FULL = re.compile(
    rf"(?i)(?:{DELIVERY_LABEL}\s*(?:要求|为|是|在)?\s*[::]?\s*)?(?<![A-Za-z\d.-])(\d{{2,}})\s*[-/.年]\s*(\d{{1,3}})\s*[-/.月]\s*"
    rf"(\d{{1,3}})(?![\d.])\s*[日号]?{DELIVERY_TAIL}",
)
DELIVERY_MONTH_DAY = re.compile(
    rf"(?i)(?:{DELIVERY_LABEL}\s*(?:要求|为|是|在)?\s*[::]?\s*)?{_DAY}\s*月\s*{_DAY}\s*[日号]?{DELIVERY_TAIL}",
)
DELIVERY_SLASH = re.compile(
    rf"(?i){DELIVERY_LABEL}\s*(?:要求|为|是|在)?\s*[::]?\s*(\d{{1,2}})\s*[/.-]\s*(\d{{1,2}})(?![\d/.-]){DELIVERY_TAIL}"
    rf"|(?<![\d/.-])(\d{{1,2}})\s*/\s*(\d{{1,2}})(?![\d/.-])\s*(?:前|之前|以前)?\s*(?:交货|交付|出货|发货|到货)",
)


def month_of(text: str, now: datetime) -> tuple[str | None, str | None]:
    """YYYY-MM for 本月, 上个月, 上上个月, 10月份, 去年12月, 2026年3月, October … resolved against ``now``, or why the
    month written is not one (13月, 99999年1月): (month, None) or (None, sentence); (None, None) if none is named."""
    year, month = now.year, now.month
    lowered = text.lower()
    english = next((i for name, i in MONTHS_EN.items() if name in lowered), None)
    if re.search(r"上上个?月", text):
        month -= 2
    elif re.search(r"(上个?月|last month|previous month)", text, re.I):
        month -= 1
    elif re.search(r"(本月|这个?月|当月|this month)", text, re.I):
        pass
    elif m := MONTH_EXPLICIT.search(text):
        raw_year, raw_month = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        written = _shown(m.group(0).strip())
        value = _day_number(raw_month)
        if value is None or not 1 <= value <= 12:
            return None, f"月份「{written}」不存在,请写 1–12 月。"
        year, month = _full_year(raw_year), value
        if abs(year - now.year) > YEARS_AROUND:
            return None, f"年份「{_shown(raw_year)}」不对,只能查 {now.year - YEARS_AROUND}–{now.year} 年的月份。"
    elif english is not None:
        month = english
        if month > now.month:
            year -= 1
    elif m := MONTH_NAMED.search(text):
        raw = m.group(2)
        value = _day_number(raw)
        if value is None or not 1 <= value <= 12:
            return None, f"月份「{raw}月」不存在,请写 1–12 月。"
        month = value
        if m.group(1) == "去年" or (m.group(1) != "今年" and month > now.month):
            year -= 1
    else:
        return None, None
    while month < 1:
        month += 12
        year -= 1
    return f"{year:04d}-{month:02d}", None


def _full_year(raw: str) -> int:
    """26 → 2026; a year is otherwise as written (a 5-digit year is then refused, never shortened)."""
    year = int(raw) if len(raw) <= 6 else 10**6
    return year + 2000 if year < 100 else year


def _day_number(raw: str) -> int | None:
    """A day, month or year in Arabic or Chinese numerals (a huge one is never converted: it is out of range)."""
    if raw.isdecimal():
        return int(raw) if len(raw) <= 6 else 10**6
    return chinese_to_int(raw)


def _shown(written: str) -> str:
    """What the person wrote, cut to 20 characters for the answer."""
    return written if len(written) <= 20 else written[:20] + "…"


@dataclass(frozen=True)
class Delivery:
    """A delivery date as written: ISO ``value`` when it is a real date within a few years of today, else why not."""

    value: str | None
    written: str
    span: tuple[int, int]
    problem: str | None = None


def _written_date(m: re.Match[str], text: str) -> str:
    """The date part of a match (12月20日 of 交期12月20日前交货)."""
    starts = [m.start(i) for i in range(1, len(m.groups()) + 1) if m.group(i) is not None]
    ends = [m.end(i) for i in range(1, len(m.groups()) + 1) if m.group(i) is not None]
    end = max(ends)
    after = text[end : end + 1]
    return text[min(starts) : end + (1 if after in ("日", "号") else 0)]


def delivery_of(text: str, now: datetime) -> Delivery | None:
    """Delivery date and its span: 2026-12-28, 12月20日交货, 交期12/20; a past month/day is next year.

    A date that does not exist (2月30日, 13月1日, 2026-02-30) or whose year is more than YEARS_AROUND years
    from today (99999年1月1日) is returned with the sentence saying so, never dropped or turned into another date.
    """
    today = now.date()
    for pattern in (DELIVERY_FULL, DELIVERY_MONTH_DAY, DELIVERY_SLASH):
        for m in pattern.finditer(text):
            groups = [g for g in m.groups() if g is not None]
            numbers = [_day_number(g) for g in groups]
            if any(n is None for n in numbers):
                continue
            values = [n for n in numbers if n is not None]
            written = _shown(_written_date(m, text))
            month, day = values[-2], values[-1]
            if len(values) == 3:
                year = _full_year(groups[0])
                if abs(year - today.year) > YEARS_AROUND:
                    lo, hi = today.year - YEARS_AROUND, today.year + YEARS_AROUND
                    return Delivery(None, written, m.span(), f"交期「{written}」的年份不在 {lo}–{hi} 年之间。")
                years = [year]
            else:
                years = [today.year, today.year + 1]  # a month and day already past this year is next year's
            dates = [_date(y, month, day) for y in years]
            real = [d for d in dates if d is not None]
            if not real:
                return Delivery(None, written, m.span(), f"交期「{written}」不是有效日期。")
            when = real[0] if len(values) == 3 else next((d for d in real if d >= today), real[-1])
            return Delivery(when.isoformat(), written, m.span())
    return None


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
