"""Numbers as people type them: 200, 1,200, 1.5万, 2k, 两百, 一千二, 三十五; never rounded or made positive."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "俩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
CN_NUMBER = "[零〇一二两俩三四五六七八九十百千万]+"
ARABIC = re.compile(r"^(\d+(?:,\d{3})*(?:\.\d+)?)\s*(万|千|k|w|百)?$", re.IGNORECASE)
SCALE = {"万": 10000, "w": 10000, "千": 1000, "k": 1000, "百": 100}


def chinese_to_int(text: str) -> int | None:
    """一千二 → 1200, 两百 → 200, 十五 → 15, 三万五 → 35000, 一百零五 → 105; None if not a number."""
    if not text or any(ch not in DIGITS and ch not in UNITS for ch in text):
        return None
    if text[0] != "十" and not any(ch in DIGITS for ch in text):
        return None  # 万, 千万: a scale word alone is no number
    total, section, digit = 0, 0, None
    last_unit = 1
    for ch in text:
        if ch in DIGITS:
            if digit is not None and digit != 0 and DIGITS[ch] != 0:
                return None  # 六七十 is a guess, not a number
            digit = DIGITS[ch]
            continue
        unit = UNITS[ch]
        if unit == 10000:
            section = (section + (digit or 0)) * unit
            total += section
            section, digit, last_unit = 0, None, unit
            continue
        section += (1 if digit is None else digit) * unit
        digit, last_unit = None, unit
    if digit is not None:
        # A trailing digit after a unit is colloquial shorthand: 一千二 = 1200, 三万五 = 35000.
        if last_unit >= 100 and not text.endswith("零" + _last(text)):
            section += digit * (last_unit // 10)
        else:
            section += digit
    return total + section


def _last(text: str) -> str:
    return text[-1]


# A number of more digits is read as 10**MAX_DIGITS (never converting a huge string); the domain refuses a quantity
# beyond the configured maximum with a sentence naming it.
MAX_DIGITS = 30


def to_number(text: str) -> Decimal | None:
    """The exact value of ``text`` (1.5万 → 15000, 1.5 → 1.5); None if it is not a number."""
    t = text.strip()
    m = ARABIC.match(t)
    if m:
        digits = m.group(1).replace(",", "")
        if len(digits) > MAX_DIGITS:
            return Decimal(10) ** MAX_DIGITS  # beyond any quantity; never convert a huge string
        value = Decimal(digits)
        return value * SCALE[m.group(2).lower()] if m.group(2) else value
    n = chinese_to_int(t)
    return None if n is None else Decimal(n)


def to_int(text: str) -> int | None:
    """A whole number in Arabic (with 万/千/k/w scale and thousands commas) or Chinese numerals; None otherwise
    (1.5 is not a whole number and is never rounded)."""
    value = to_number(text)
    if value is None or value != value.to_integral_value():
        return None
    return int(value)


@dataclass(frozen=True)
class Quantity:
    """A quantity as written: its value when it is a positive whole number, else why not."""

    written: str
    value: int | None
    problem: str | None


def read_quantity(written: str, *, negative: bool = False, label: str = "数量") -> Quantity | None:
    """``written`` (with its sign) as a quantity; None if it is no number at all.

    -5, 0 and 1.5 are not quantities and are never turned into one: the reading carries the sentence that says so.
    """
    number = to_number(written.lstrip("-−负 "))
    if number is None:
        return None
    shown = written.strip()
    shown = shown if len(shown) <= 20 else shown[:20] + "…"
    if negative or number <= 0 or number != number.to_integral_value():
        return Quantity(shown, None, f"{label}要填正整数,收到的是「{shown}」。")
    return Quantity(shown, int(number), None)  # the domain checks it against the configured maximum
