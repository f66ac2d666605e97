"""Bounds on what people type: quantities are positive whole numbers up to a maximum, texts have a length limit.

Checked once, in the domain, wherever a person gives a value; a refusal is a MissingFields naming the field and
the limit, so the card highlights the field and nothing stored changes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from core.errors import MissingFields

MAX_QUANTITY = 1_000_000  # default: no complaint, return or order of this factory comes near it
QUANTITY_CEILING = 1_000_000_000  # the most a configured maximum may be: sums of many stay far inside 64 bits
SHORT_TEXT = 100  # names and numbers: customer, product, order no., contact, department ...
LONG_TEXT = 1_000  # descriptions: defect, notes, measures, comments, reasons ...
YEARS_AROUND = 5  # a date more than 5 years from today is a typo (99999年), never a date anyone meant
MAX_ID = 2**31 - 1  # a record id, version or step read from a card id: ids are PostgreSQL integers (32 bits)

# NUL and the other C0/C1 control characters but tab and newline (PostgreSQL's text and jsonb refuse NUL; none is
# anything a person meant to type), and lone surrogates (they cannot be encoded as UTF-8).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
SURROGATE = re.compile(r"[\ud800-\udfff]")
INTEGER = re.compile(r"[+-]?[0-9]+")  # ASCII digits only: int() would also take "١٢" or "1_000"


def clean(text: str) -> str:
    """``text`` safe to store and send on every database and platform: control characters (but tab and newline)
    dropped, lone surrogates replaced by U+FFFD."""
    return SURROGATE.sub("\ufffd", CONTROL.sub("", text))


def unprintable(text: str) -> bool:
    """Whether ``text`` holds a control character (but tab and newline) or a lone surrogate."""
    return bool(CONTROL.search(text) or SURROGATE.search(text))


# Inputs that are a name, a number or a choice (a short line); every other text is a description.
SHORT_FIELDS = frozenset(
    {
        "customer",
        "product",
        "order_no",
        "contact",
        "received_via",
        "severity",
        "department",
        "problem",
        "deputy",
        "ours",
        "delivery",
        "quantity",
        "received_qty",
        "good",
        "bad",
    }
)

# How a card input is named to people when its value is refused (the rest fall back to the input's name).
FIELD_LABELS: dict[str, str] = {
    "customer": "客户",
    "product": "产品/型号",
    "defect": "不良描述",
    "quantity": "数量",
    "severity": "紧急程度",
    "order_no": "订单号",
    "contact": "客户联系人",
    "received_via": "接收方式",
    "containment": "紧急对策",
    "root_cause": "根本原因",
    "corrective": "纠正措施",
    "preventive": "预防措施",
    "comment": "意见",
    "note": "备注",
    "reason": "原因",
    "text": "内容",
    "answer": "答复",
    "analysis": "原因分析",
    "actions": "改善措施",
    "cause": "原因分析",
    "anomalies": "异常情况",
    "requirements": "特殊要求",
    "department": "责任部门",
    "problem": "问题类型",
    "deputy": "转交人",
    "ours": "是否我方原因",
    "delivery": "交期",
    "received_qty": "实收数量",
    "good": "良品数",
    "bad": "不良数",
}


@dataclass(frozen=True)
class Limits:
    """The configured bounds (kesu.toml ``[limits]``)."""

    max_quantity: int = MAX_QUANTITY
    short_text: int = SHORT_TEXT
    long_text: int = LONG_TEXT

    def quantity(
        self, raw: str | int, *, field: str = "quantity", label: str | None = None, allow_zero: bool = False
    ) -> int:
        """A positive whole number (or 0 for a count, ``allow_zero``) no larger than ``max_quantity``;
        MissingFields naming the field otherwise."""
        name = label or FIELD_LABELS.get(field, field)
        if isinstance(raw, str):
            text = raw.strip()
            if not INTEGER.fullmatch(text):
                shown = text if len(text) <= 20 else text[:20] + "…"
                kind = "整数" if allow_zero else "正整数"
                raise MissingFields(f"{name}要填{kind},收到的是「{shown}」。", (field,))
            if len(text) > 30:  # never int() a huge string (Python refuses past 4300 digits)
                raise MissingFields(f"{name}最多 {self.max_quantity},收到的数字太大。", (field,))
            value = int(text)
        else:
            value = raw
        if value < 0 or (value == 0 and not allow_zero):
            raise MissingFields(f"{name}要{'不小于' if allow_zero else '大于'} 0,收到的是 {value}。", (field,))
        if value > self.max_quantity:
            raise MissingFields(f"{name}最多 {self.max_quantity},收到的是 {value}。", (field,))
        return value

    def limit_for(self, field: str) -> int:
        """The length limit of a text input: short for names and numbers, long for descriptions."""
        return self.short_text if field in SHORT_FIELDS else self.long_text

    def text(self, value: str, *, field: str, label: str | None = None) -> str:
        """``value`` if it is within the field's length limit; MissingFields naming the field otherwise."""
        limit = self.limit_for(field)
        if len(value) > limit:
            raise MissingFields(f"{label or FIELD_LABELS.get(field, field)}最多 {limit} 字。", (field,))
        return value

    def inputs(self, values: Mapping[str, str]) -> None:
        """Every typed card input within its length limit (checked before any handler reads them)."""
        for name, value in values.items():
            self.text(value.strip(), field=name)


DEFAULT_LIMITS = Limits()


def record_number(digits: str) -> int | None:
    """A record id, version or step from the ASCII digits of a card id or key; None when it is not one or
    beyond ``MAX_ID`` (a database integer would overflow)."""
    if not (digits.isascii() and digits.isdigit()) or len(digits) > len(str(MAX_ID)):
        return None
    value = int(digits)
    return value if value <= MAX_ID else None


def record_numbers(pattern: re.Pattern[str], value: str) -> tuple[int, ...] | None:
    """Every group of ``pattern`` matched against ``value`` as a record number; None unless all are."""
    m = pattern.match(value.strip())
    if m is None:
        return None
    numbers = tuple(record_number(g) for g in m.groups())
    return None if None in numbers else tuple(n for n in numbers if n is not None)
