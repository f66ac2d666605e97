"""Order review: what its approval cards show, what happens once it is decided, and the change card."""

from __future__ import annotations

from bot.cards import kinds
from bot.cards import orders as cards
from bot.context import ActionRouter, Context
from bot.notify.approvals import Subject, register, send_cards
from bot.notify.orders import notice_recipients, release
from bot.protocol import CardField
from core import approval as a
from core import order_flow
from core import orders as o
from core.errors import NotAllowed
from core.messages import Recipient

router = ActionRouter()


def _describe(ctx: Context, approval: a.Approval) -> tuple[str, list[CardField]]:
    order = order_flow.load(ctx.uow, order_flow.subject_id(approval))
    return f"合同评审 {order.number}", cards.subject_fields(order, ctx.org)


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


@router.card(kinds.ORDER)
def on_order_card(ctx: Context) -> None:
    """变更: new figures on a released or returned order; the review runs again (unless now standard)."""
    click, (order_id, version) = ctx.tapped(kinds.ORDER)
    if click.action != "change":
        raise NotAllowed(f"没有「{click.action}」这个操作。")
    before, after, approval = order_flow.change(
        ctx.uow,
        org=ctx.org,
        policy=ctx.policy,
        person_id=ctx.event.user,
        order_id=order_id,
        card_version=version,
        values=click.values,
        now=ctx.now,
    )
    was_released = before.state is o.OrderState.RELEASED
    if approval is None:
        release(ctx, after, note=f"{after.number} 订单变更,原生产通知书作废,以此为准。" if was_released else None)
        return
    if was_released:
        for pid in notice_recipients(ctx):
            ctx.send(Recipient.user(pid), text=f"{after.number} 订单变更,重新评审中,原生产通知书暂停执行。")
    send_cards(ctx, approval)
