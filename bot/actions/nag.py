"""收到/处理中 on a reminder card: the clock is acknowledged and its escalation stops."""

from __future__ import annotations

from bot.cards import kinds
from bot.cards import nag as cards
from bot.context import ActionRouter, Context
from core.errors import NotAllowed
from core.messages import Recipient
from core.nag import escalation_people
from core.watches import find

router = ActionRouter()


@router.card(kinds.REMINDER)
def on_acknowledge(ctx: Context) -> None:
    """Someone concerned (an owner, or anyone the escalation reaches) says they are on it."""
    click, key = ctx.tapped(kinds.REMINDER)
    if click.action != cards.ACK:
        raise NotAllowed(f"没有「{click.action}」这个操作。")
    watch = find(ctx.uow, ctx.org, key)
    if watch is None:
        ctx.reply("该事项已办结,无需确认。")
        return
    policy = ctx.policy.reminders.policy(watch.clock)
    concerned = set(watch.owners).union(*(escalation_people(level, watch.owners, ctx.org) for level in policy.levels))
    if ctx.event.user not in concerned:
        raise NotAllowed("您不是该事项的负责人或升级对象,无需确认。")
    if not ctx.uow.nags.acknowledge(key, by=ctx.event.user, at=ctx.now):
        ctx.reply("已有人确认收到,升级提醒已停止。")
        return
    name = ctx.org.name_of(ctx.event.user)
    ctx.reply(f"已确认收到:{watch.title}。升级提醒已停止,请尽快办结。")
    for owner in watch.owners:
        if owner != ctx.event.user:
            ctx.send(Recipient.user(owner), text=f"{name} 已确认收到:{watch.title}。")
