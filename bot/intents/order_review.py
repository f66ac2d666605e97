"""``order_review``: sales submit an order for 合同评审; standard products are released at once."""

from __future__ import annotations

from datetime import date

from bot.context import Context, IntentRouter, Understood
from bot.notify.approvals import send_cards
from bot.notify.orders import release
from core import order_flow

router = IntentRouter()


@router.intent("order_review")
def order_review(ctx: Context, understood: Understood) -> None:
    """Create the order: a standard one gets its 生产通知书 now, any other goes to the joint review."""
    understood.refuse_invalid("quantity", "delivery")
    slots = understood.slots
    qty = slots.get("quantity")
    delivery = slots.get("delivery")
    order, approval = order_flow.submit(
        ctx.uow,
        org=ctx.org,
        policy=ctx.policy,
        person_id=ctx.event.user,
        customer=slots.get("customer"),
        product=slots.get("product"),
        quantity=int(qty) if qty else None,
        delivery=date.fromisoformat(delivery) if delivery else None,
        requirements=slots.get("requirements"),
        now=ctx.now,
    )
    if approval is None:
        release(ctx, order)
    else:
        send_cards(ctx, approval)
