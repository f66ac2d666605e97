"""收到/处理中 on a reminder card: the clock is acknowledged and its escalation stops."""

from __future__ import annotations

import re

from bot.cards import nag as cards
from bot.context import ActionRouter, Context
from core.errors import NotAllowed, NotFound
from core.messages import Recipient
from core.nag import (
    Watch,
    analysis_watches,
    approval_watches,
    campaign_watches,
    complaint_watches,
    eightd_watches,
    escalation_people,
    return_watches,
    visit_watches,
)

router = ActionRouter()


def _watch(ctx: Context, key: str) -> Watch | None:
    """The running clock ``key`` names (``f12:normal``, ``a3:s1``, ``r5:processing``, ``e2:d3``,
    ``ra1:report``), if it still runs."""
    m = re.match(r"^([a-z]+)(\d+):", key)
    if m is None:
        return None
    kind, number = m.group(1), int(m.group(2))
    found: list[Watch] = []
    if kind == "f":
        form = ctx.uow.complaints.get(number)
        found = complaint_watches(form, ctx.org) if form else []
    elif kind == "a":
        approval = ctx.uow.approvals.get(number)
        found = approval_watches(approval, ctx.org) if approval else []
    elif kind == "r":
        ret = ctx.uow.returns.get(number)
        found = return_watches(ret, ctx.org) if ret else []
    elif kind == "e":
        eightd = ctx.uow.eightds.get(number)
        found = eightd_watches(eightd, ctx.org) if eightd else []
    elif kind == "v":
        visit = ctx.uow.visits.get(number)
        found = visit_watches(visit, ctx.org) if visit else []
    elif kind == "sv":
        campaign = ctx.uow.campaigns.get(number)
        found = campaign_watches(campaign, ctx.org) if campaign else []
    elif kind == "ra":
        analysis = ctx.uow.analyses.get(number)
        found = analysis_watches(analysis, ctx.org) if analysis else []
    return next((w for w in found if w.key == key), None)


@router.card("n")
def on_acknowledge(ctx: Context) -> None:
    """Someone concerned (an owner, or anyone the escalation reaches) says they are on it."""
    click = ctx.event.click
    key = cards.watch_key(click.card_id) if click else None
    if click is None or key is None:
        raise NotFound("卡片编号无效。")
    if click.action != cards.ACK:
        raise NotAllowed(f"没有「{click.action}」这个操作。")
    watch = _watch(ctx, key)
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
