"""The card of one question from a customer visit: what was asked, by whom, by when to answer."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.protocol import Button, Card, CardField, Input
from core import kinds
from core.org import Org
from core.visits import Visit


def card_id(visit: Visit, index: int) -> str:
    """The visit's id, the question's index and the visit's version."""
    return kinds.VISIT.card_id(visit.id, index, visit.version)


def question_card(visit: Visit, index: int, org: Org, tz: ZoneInfo) -> Card:
    """For the question's owner: answer within 5 working days."""
    q = visit.questions[index]
    fields = (
        CardField("客户", visit.customer),
        CardField("拜访", f"{org.name_of(visit.by)} {visit.visited_at.astimezone(tz):%m-%d}"),
        CardField("问题", q.text),
        CardField("答复截止", f"{q.due_at.astimezone(tz):%m-%d %H:%M}"),
    )
    if q.answer:
        return Card(
            card_id(visit, index), f"{visit.label} 问题 {index + 1}(已答复)", (*fields, CardField("答复", q.answer))
        )
    return Card(
        card_id(visit, index),
        f"{visit.label} 客户问题 {index + 1}",
        fields,
        actions=(Button("answer", "提交答复"),),
        inputs=(Input("answer", "答复", required=True),),
    )
