"""``request_return``: sales ask to return goods → a 退货申请单 and its approval. The warehouse is told
that goods without an approved RMA are refused."""

from __future__ import annotations

from bot.context import Context, IntentRouter, Understood
from bot.notify.approvals import send_cards
from core import return_flow, services
from core.org import Role

router = IntentRouter()

NO_RMA = "没有已批准 RMA 号的退货一律拒收(退货须先经客服经理审核、副总批准)。请联系业务员申请退货。"


@router.intent("request_return")
def request_return(ctx: Context, understood: Understood) -> None:
    """Create the return request (linked to its complaint when one is named) and send it for approval."""
    me = services.person(ctx.org, ctx.event.user)
    if me.has_any(Role.WAREHOUSE) and not me.has_any(Role.SALES, Role.CS_MANAGER):
        ctx.reply(NO_RMA)
        return
    understood.refuse_invalid("quantity")
    slots = understood.slots
    qty = slots.get("quantity")
    _, approval = return_flow.request(
        ctx.uow,
        org=ctx.org,
        policy=ctx.policy,
        user_id=me.id,
        now=ctx.now,
        complaint_no=slots.get("complaint_no"),
        customer=slots.get("customer"),
        product=slots.get("product"),
        quantity=int(qty) if qty else None,
        order_no=slots.get("order_no"),
    )
    send_cards(ctx, approval)
