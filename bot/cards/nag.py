"""The card of a reminder or escalation: what is due, who owes it, and 收到/处理中 to stop the escalation."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.protocol import Button, Card, CardField
from core import kinds
from core.nag import Nudge, Watch
from core.org import Org

ACK = "ack"


def nudge_card(watch: Watch, nudge: Nudge, org: Org, tz: ZoneInfo) -> Card:
    """The reminder with its facts; escalations and the due notice carry the acknowledge button."""
    fields = (
        CardField("截止", f"{watch.due_at.astimezone(tz):%m-%d %H:%M}"),
        CardField("负责人", "、".join(org.name_of(p) for p in watch.owners) or "无"),
    )
    actions = (Button(ACK, "收到/处理中"),) if nudge.stage == "due" or nudge.level > 0 else ()
    return Card(id=kinds.REMINDER.card_id(watch.key), title=nudge.text, fields=fields, actions=actions)
