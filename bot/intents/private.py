"""Answers that hold private data (a person's tasks, a form's status, the customer archive) go to the asker only:
asked in a group chat, the group sees one short line and nothing of the answer."""

from __future__ import annotations

from bot.context import Context
from bot.protocol import Card
from core.messages import Recipient


def reply_privately(ctx: Context, text: str | None = None, *, card: Card | None = None, what: str = "答复") -> None:
    """Send the answer to the sender; in a group chat also tell the group, in one line, that it went privately."""
    ctx.send(Recipient.user(ctx.event.user), text=text, card=card)
    if ctx.event.chat is not None:
        ctx.send(Recipient.chat(ctx.event.chat), text=f"{ctx.org.name_of(ctx.event.user)},{what}已私信发给您。")
