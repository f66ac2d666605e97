"""Local channel: what a person typed or tapped on the command line → a neutral InboundEvent."""

from __future__ import annotations

import uuid
from datetime import datetime

from bot.protocol import Click, InboundEvent

PLATFORM = "local"


def say_event(*, user: str, text: str, now: datetime, chat: str | None = None, key: str | None = None) -> InboundEvent:
    """A text message from ``user`` (in ``chat`` when given)."""
    return InboundEvent(platform=PLATFORM, event_key=key or uuid.uuid4().hex, user=user, at=now, chat=chat, text=text)


def click_event(
    *, user: str, card_id: str, action: str, values: dict[str, str], now: datetime, key: str | None = None
) -> InboundEvent:
    """A tap on ``action`` of card ``card_id`` with the inputs ``values``."""
    return InboundEvent(
        platform=PLATFORM,
        event_key=key or uuid.uuid4().hex,
        user=user,
        at=now,
        click=Click(card_id=card_id, action=action, values=values),
    )
