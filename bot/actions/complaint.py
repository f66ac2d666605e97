"""Taps on complaint cards: one procedure step, then the next actor's card and the owner's notice."""

from __future__ import annotations

from bot.actions.eightd import open_for_repeat
from bot.cards import kinds
from bot.cards.complaint import action_card, step_notice
from bot.context import ActionRouter, Context
from bot.notify.returns import announce
from core import archive_flow, complaint_flow, return_flow
from core import complaint as c
from core.errors import NotAllowed
from core.messages import Recipient
from core.routing import route

router = ActionRouter()


@router.card(kinds.COMPLAINT)
def on_complaint_card(ctx: Context) -> None:
    """Apply the tapped step; everything the tap changes and says is written in this transaction."""
    click, (complaint_id, version) = ctx.tapped(kinds.COMPLAINT)
    if click.action == "request_return":
        _request_return(ctx, complaint_id, click.values.get("quantity", ""), click.values.get("reason"))
        return
    try:
        action = c.Action(click.action)
    except ValueError:
        raise NotAllowed(f"没有「{click.action}」这个操作。") from None
    before, after = complaint_flow.act(
        ctx.uow,
        org=ctx.org,
        policy=ctx.policy,
        person_id=ctx.event.user,
        complaint_id=complaint_id,
        card_version=version,
        action=action,
        values=click.values,
        now=ctx.now,
    )
    notify_step(ctx, before, after)
    open_for_repeat(ctx, after)
    if action is c.Action.CONFIRM:
        _tell_new_customer(ctx, after)


def _tell_new_customer(ctx: Context, form: c.Complaint) -> None:
    """The submit opened a provisional archive (``complaint_flow.act``): its owner is asked to complete it."""
    record = ctx.uow.customers.by_name(form.details.customer or "")
    if not (record and record.provisional and record.version == 1 and record.created_at == ctx.now):
        return
    text = archive_flow.new_customer_text(record.name)
    owner = Recipient.user(record.owner)
    for to, payload in ctx.outgoing:  # one message per person per tap: add it to the owner's notice
        if to == owner and payload.get("text"):
            payload["text"] = f"{payload['text']}\n{text}"
            return
    ctx.send(owner, text=text)


def notify_step(ctx: Context, before: c.Complaint, after: c.Complaint) -> None:
    """Next actors get the card; the owner gets a notice; the tapper always learns the outcome."""
    routing = route(after, ctx.org)
    card = action_card(after, ctx.org, ctx.policy.tz)
    notice = step_notice(before, after, ctx.org)
    for to in routing.actors:
        ctx.send(to, text=notice if to == Recipient.user(after.owner) else None, card=card)
    for to in routing.informed:
        ctx.send(to, text=notice)
    tapper = Recipient.user(ctx.event.user)
    if tapper not in routing.actors and tapper not in routing.informed:
        ctx.send(tapper, text=f"已完成。{notice}")


def _request_return(ctx: Context, complaint_id: int, quantity: str, reason: str | None) -> None:
    """申请退货 from a complaint card: a return request linked to the form, sent for approval."""
    form = complaint_flow.load(ctx.uow, complaint_id)
    if not form.number:
        raise NotAllowed("草稿不能申请退货,请先提交。")
    qty = form.details.quantity
    if quantity.strip():
        qty = ctx.policy.limits.quantity(quantity, label="退货数量")
    ret, approval = return_flow.request(
        ctx.uow,
        org=ctx.org,
        policy=ctx.policy,
        person_id=ctx.event.user,
        now=ctx.now,
        complaint_no=form.number,
        quantity=qty,
        reason=reason,
    )
    announce(ctx, ret, approval)
