"""The person who asked, when they hold a role the intent is for; otherwise they are told whom it is for."""

from __future__ import annotations

from collections.abc import Iterable

from bot.context import Context
from core.org import Person, Role
from core.policy import person


def asker_with(ctx: Context, roles: Iterable[Role], *, refusal: str) -> Person | None:
    """The sender if they hold one of ``roles``; else None, after replying ``refusal``."""
    me = person(ctx.org, ctx.event.user)
    if me.has_any(*roles):
        return me
    ctx.reply(refusal)
    return None
