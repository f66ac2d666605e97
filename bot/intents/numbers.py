"""Numbers as people type them: 200, 1,200, 1.5万, 2k, 两百, 一千二, 三十五."""

from __future__ import annotations

import re

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


def to_int(text: str) -> int | None:
    """Arabic (with 万/千/k/w scale and thousands commas) or Chinese numerals; None otherwise."""
    t = text.strip()
    m = ARABIC.match(t)
    if m:
        value = float(m.group(1).replace(",", ""))
        if m.group(2):
            value *= SCALE[m.group(2).lower()]
        return round(value)
    return chinese_to_int(t)
