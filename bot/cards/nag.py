"""The card of a reminder or escalation: what is due, who owes it, and 收到/处理中 to stop the escalation."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.protocol import Button, Card, CardField
from core.nag import Nudge, Watch
from core.org import Org

ACK = "ack"


def card_id(watch_key: str) -> str:
    """``n`` + the watch key (``f12:normal`` → ``nf12-normal``: no colon, which button keys use)."""
    return "n" + watch_key.replace(":", "-", 1)


def watch_key(card: str) -> str | None:
    """Back from a card id; None when it is not a reminder card."""
    if not card.startswith("n") or "-" not in card:
        return None
    return card[1:].replace("-", ":", 1)


def nudge_card(watch: Watch, nudge: Nudge, org: Org, tz: ZoneInfo) -> Card:
    """The reminder with its facts; escalations and the due notice carry the acknowledge button."""
    fields = (
        CardField("截止", f"{watch.due_at.astimezone(tz):%m-%d %H:%M}"),
        CardField("负责人", "、".join(org.name_of(p) for p in watch.owners) or "无"),
    )
    actions = (Button(ACK, "收到/处理中"),) if nudge.stage == "due" or nudge.level > 0 else ()
    return Card(id=card_id(watch.key), title=nudge.text, fields=fields, actions=actions)
