"""The 8D card: the repeat, the disciplines written so far, the next one to write (or the closure to approve)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.protocol import Button, Card, CardField, Input
from core import kinds
from core.eightd import DISCIPLINES, EightD, EightDState
from core.org import Org


def card_id(e: EightD) -> str:
    """The 8D's id and the disciplines written: a card goes stale once its step is written."""
    return kinds.EIGHTD.card_id(e.id, e.step)


def card(e: EightD, org: Org, tz: ZoneInfo) -> Card:
    """What QA (or, at the end, the qa_manager) acts on."""
    written = {x.key: x for x in e.entries}
    fields = [
        CardField("客诉单", e.complaint_no),
        CardField("重复于", "、".join(e.repeats) or "—"),
        CardField("负责人", org.name_of(e.owner)),
    ]
    fields += [CardField(d.label, written[d.key].text) for d in DISCIPLINES if d.key in written]
    step = e.current
    if e.state is EightDState.OPEN and step is not None:
        fields.append(CardField("待填写", f"{step.label}(截止 {e.due_at(step).astimezone(tz):%m-%d %H:%M})"))
        return Card(
            id=card_id(e),
            title=f"{e.label} 重复投诉 8D",
            fields=tuple(fields),
            actions=(Button("write", f"提交 {step.label.split()[0]}"),),
            inputs=(Input("text", step.label, required=True),),
        )
    if e.state is EightDState.CLOSING:
        return Card(
            id=card_id(e),
            title=f"{e.label} 待批准结案",
            fields=tuple(fields),
            actions=(Button("approve", "批准结案"), Button("reject", "退回")),
            inputs=(Input("reason", "退回原因(退回时必填)"),),
        )
    return Card(id=card_id(e), title=f"{e.label} 已结案", fields=tuple(fields))
