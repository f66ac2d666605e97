"""The survey card an owner gets per sampled customer: the items, each answered on the four levels."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.protocol import Button, Card, CardField, Input
from core import kinds
from core.campaign import LEVELS, Campaign


def card_id(c: Campaign, index: int) -> str:
    """The campaign's id, the survey's index and the campaign's version."""
    return kinds.CAMPAIGN.card_id(c.id, index, c.version)


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
