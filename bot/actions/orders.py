"""Order review: what its approval cards show, what happens once it is decided, and the change card."""

from __future__ import annotations

from bot.actions.approval import Subject, register, send_cards
from bot.cards import orders as cards
from bot.context import ActionRouter, Context
from bot.protocol import CardField
from core import approval as a
from core import order_flow
from core import orders as o
from core.errors import NotAllowed, NotFound
from core.messages import Recipient
from core.org import Role

router = ActionRouter()


def _describe(ctx: Context, approval: a.Approval) -> tuple[str, list[CardField]]:
    order = order_flow.load(ctx.uow, order_flow.subject_id(approval))
    return f"合同评审 {order.number}", cards.subject_fields(order, ctx.org)


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


def release(ctx: Context, order: o.Order) -> None:
    """The 生产通知书 goes out; the requester is told and keeps a card to change the order."""
    tz = ctx.policy.tz
    notice = cards.notice_card(order, ctx.org, tz)
    for pid in notice_recipients(ctx):
        ctx.send(Recipient.user(pid), card=notice)
    how = "标准品,已直接下发生产通知书" if order.standard else "评审通过,已下发生产通知书"
    ctx.send(Recipient.user(order.requester), text=f"{order.number} {how}。", card=cards.change_card(order, ctx.org, tz))


def _who(ctx: Context, vote: a.Vote) -> str:
    name = ctx.org.name_of(vote.approver)
    return f"{name}(代{ctx.org.name_of(vote.on_behalf_of)})" if vote.on_behalf_of else name


def _settled(ctx: Context, approval: a.Approval) -> None:
    order = order_flow.settle(ctx.uow, approval=approval, now=ctx.now)
    requester = Recipient.user(order.requester)
    if order.state is o.OrderState.RELEASED:
        release(ctx, order)
    elif order.state is o.OrderState.RETURNED:
        why = [f"{_who(ctx, v)}:{v.comment}" for v in approval.votes if v.verdict is a.Verdict.REJECT and v.comment]
        notes = [f"{_who(ctx, v)}:{v.comment}" for v in approval.votes if v.verdict is a.Verdict.APPROVE and v.comment]
        text = f"{order.number} 评审未通过,已退回。原因:\n" + "\n".join(why)
        if notes:
            text += "\n其他意见:\n" + "\n".join(notes)
        text += "\n修改后点「变更」重新评审。"
        ctx.send(requester, text=text, card=cards.change_card(order, ctx.org, ctx.policy.tz))
    else:
        ctx.send(requester, text=f"{order.number} 合同评审已撤回。")


register("order_review", Subject(_describe, _settled))


@router.card("o")
def on_order_card(ctx: Context) -> None:
    """变更: new figures on a released or returned order; the review runs again (unless now standard)."""
    click = ctx.event.click
    assert click is not None
    ids = cards.parse_card_id(click.card_id)
    if ids is None:
        raise NotFound("卡片编号无效。")
    if click.action != "change":
        raise NotAllowed(f"没有「{click.action}」这个操作。")
    before, after, approval = order_flow.change(
        ctx.uow,
        org=ctx.org,
        policy=ctx.policy,
        user_id=ctx.event.user,
        order_id=ids[0],
        card_version=ids[1],
        values=click.values,
        now=ctx.now,
    )
    if before.state is o.OrderState.RELEASED:
        for pid in notice_recipients(ctx):
            ctx.send(Recipient.user(pid), text=f"{after.number} 订单变更,原生产通知书作废,以新通知为准。")
    if approval is None:
        release(ctx, after)
    else:
        send_cards(ctx, approval)
