"""A new return request: its approval cards, the form's other open requests, and the form's owner told."""

from __future__ import annotations

from bot.context import Context
from bot.notify.approvals import send_cards
from core import approval as a
from core import complaint_flow, return_flow
from core import returns as r
from core.messages import Recipient


def announce(ctx: Context, ret: r.ReturnRequest, approval: a.Approval) -> None:
    """A new return request: the approvers' cards; the requester also sees the form's other open requests;
    the form's owner is told when someone else (customer service) requested it."""
    send_cards(ctx, approval)
    others = r.open_note(return_flow.open_on(ctx.uow, ret.complaint_id, besides=ret.id))
    requester = Recipient.user(ret.requester)
    if others:
        for to, payload in ctx.outgoing:  # one message per person per event: add it to the requester's notice
            if to == requester and payload.get("text"):
                payload["text"] = f"{payload['text']}\n{others}。"
                break
    if ret.complaint_id is None:
        return
    owner = complaint_flow.load(ctx.uow, ret.complaint_id).owner
    if owner != ret.requester:
        ctx.send(
            Recipient.user(owner),
            text=f"{ctx.org.name_of(ret.requester)}为您的 {ret.complaint_no} 申请退货 {ret.quantity} 个"
            f"({ret.label}),审批中。" + (f"\n{others}。" if others else ""),
        )
