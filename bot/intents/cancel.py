"""``cancel``: drop the sender's newest draft."""

from __future__ import annotations

from bot.context import Context, IntentRouter, Understood
from core import complaint_flow

router = IntentRouter()


@router.intent("cancel")
def cancel(ctx: Context, understood: Understood) -> None:
    """Drop the sender's newest draft, if any."""
    cancelled = complaint_flow.cancel_draft(
        ctx.uow, org=ctx.org, policy=ctx.policy, person_id=ctx.event.user, now=ctx.now
    )
    ctx.reply("草稿已取消。" if cancelled else "没有可以取消的草稿。")
