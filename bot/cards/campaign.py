"""The survey card an owner gets per sampled customer: the items, each answered on the four levels."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from bot.protocol import Button, Card, CardField, Input
from core.campaign import LEVELS, Campaign
from core.limits import record_numbers

CARD_ID = re.compile(r"^sv(\d+)c(\d+)s(\d+)$")


def card_id(c: Campaign, index: int) -> str:
    """sv<campaign>c<survey>s<version>."""
    return f"sv{c.id}c{index}s{c.version}"


def parse_card_id(value: str) -> tuple[int, int, int] | None:
    """(campaign id, survey index, version), or None."""
    ids = record_numbers(CARD_ID, value)
    return (ids[0], ids[1], ids[2]) if ids else None


def survey_card(c: Campaign, index: int, tz: ZoneInfo) -> Card:
    """Record the customer's answers (or show them once recorded)."""
    s = c.surveys[index]
    fields = [CardField("客户", s.customer), CardField("截止", f"{c.closes_at.astimezone(tz):%m-%d}")]
    if s.scores:
        fields += [CardField(item, level) for item, level in s.scores]
        return Card(card_id(c, index), f"{c.label}(已登记)", tuple(fields))
    levels = "/".join(LEVELS)
    return Card(
        card_id(c, index),
        f"{c.label}:请调查 {s.customer}",
        tuple(fields),
        actions=(Button("record", "登记结果"),),
        inputs=(*(Input(item, f"{item}({levels})", required=True) for item in c.items), Input("note", "客户意见")),
    )
