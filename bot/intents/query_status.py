"""``query_status``: 'KS-… 进度' shows the form, its history and its due times."""

from __future__ import annotations

from bot.cards.complaint import history_lines, status_card
from bot.context import Context, IntentRouter, Understood
from core import services

router = IntentRouter()


@router.intent("query_status")
def query_status(ctx: Context, understood: Understood) -> None:
    """Reply with the status card and the form's history, oldest first."""
    services.person(ctx.org, ctx.event.user)
    form = services.find(ctx.uow, str(understood.slots["complaint_no"]))
    assert form.id is not None
    history = ctx.uow.audit.history(services.AUDIT_ENTITY, str(form.id))
    lines = history_lines(history, ctx.org, ctx.policy.tz)
    ctx.reply("处理记录:\n" + "\n".join(lines), card=status_card(form, ctx.org, ctx.policy.tz))
