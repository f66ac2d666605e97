"""``request_return``: sales ask to return goods → a 退货申请单 and its approval. The warehouse is told
that goods without an approved RMA are refused."""

from __future__ import annotations

import re

from bot.context import Context, IntentRouter, Understood
from bot.notify.returns import announce
from core import return_flow
from core.org import Role
from core.policy import person

router = IntentRouter()

REASON = re.compile(r"(?:原因|理由)\s*[::是为]?\s*(.+)$", re.S)  # 原因:客户整批退回 (needed past the form's quantity)

NO_RMA = "没有已批准 RMA 号的退货一律拒收(退货须先经客服经理审核、副总批准)。请联系业务员申请退货。"


@router.intent("request_return")
def request_return(ctx: Context, understood: Understood) -> None:
    """Create the return request (linked to its complaint when one is named) and send it for approval."""
    me = person(ctx.org, ctx.event.user)
    if me.has_any(Role.WAREHOUSE) and not me.has_any(Role.SALES, Role.CS_MANAGER):
        ctx.reply(NO_RMA)
        return
    understood.refuse_invalid("quantity")
    slots = understood.slots
    qty = slots.get("quantity")
    said = REASON.search(ctx.event.text or "")
    ret, approval = return_flow.request(
        ctx.uow,
        org=ctx.org,
        policy=ctx.policy,
        person_id=me.id,
        now=ctx.now,
        complaint_no=slots.get("complaint_no"),
        customer=slots.get("customer"),
        product=slots.get("product"),
        quantity=int(qty) if qty else None,
        order_no=slots.get("order_no"),
        reason=said.group(1) if said else None,
    )
    announce(ctx, ret, approval)
