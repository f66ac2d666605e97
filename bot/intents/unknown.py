"""``unknown``: not something Kesu understands; say so briefly and show how to log a complaint."""

from __future__ import annotations

from bot.context import Context, IntentRouter, Understood

router = IntentRouter()


@router.intent("unknown")
def unknown(ctx: Context, understood: Understood) -> None:
    """Not a complaint: say so briefly and show how to log one."""
    ctx.reply("没太明白。如果是客诉,请说客户、产品、问题和数量,例如:明辉电子投诉X200外壳划伤,200个。发「帮助」看用法。")
