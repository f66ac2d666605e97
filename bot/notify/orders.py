"""Order notifications: the 生产通知书 to production, QA and the warehouse, and the requester's change card."""

from __future__ import annotations

from bot.cards import orders as cards
from bot.context import Context
from core import orders as o
from core.messages import Recipient
from core.org import Role


def notice_recipients(ctx: Context) -> list[str]:
    """Who gets the 生产通知书: production (生产部 head and members, PMC), QA and the warehouse."""
    org = ctx.org
    wanted: set[str] = set()
    prod = org.department("prod") or org.department("生产部")
    if prod:
        wanted |= {prod.head} if prod.head else set()
        wanted |= {p.id for p in org.members(prod.id)}
    wanted |= {p.id for role in (Role.PMC, Role.QA, Role.WAREHOUSE) for p in org.with_role(role)}
    return [p.id for p in org.people if p.id in wanted]


def release(ctx: Context, order: o.Order, *, note: str | None = None) -> None:
    """The 生产通知书 goes out; the requester is told and keeps a card to change the order."""
    tz = ctx.policy.tz
    notice = cards.notice_card(order, ctx.org, tz)
    for pid in notice_recipients(ctx):
        ctx.send(Recipient.user(pid), text=note, card=notice)
    how = "标准品,已直接下发生产通知书" if order.standard else "评审通过,已下发生产通知书"
    ctx.send(
        Recipient.user(order.requester), text=f"{order.number} {how}。", card=cards.change_card(order, ctx.org, tz)
    )
