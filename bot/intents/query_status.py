"""``query_status``: a KS number shows the form, its history and due times; an RMA number shows the return
(and gives the warehouse its receiving card); a customer lists that customer's open forms."""

from __future__ import annotations

from bot.cards import returns as return_cards
from bot.cards.complaint import history_lines, status_card
from bot.context import Context, IntentRouter, Understood
from bot.intents.private import reply_privately
from core import complaint as c
from core import complaint_flow
from core import returns as r
from core.org import Role
from core.policy import person

router = IntentRouter()


@router.intent("query_status")
def query_status(ctx: Context, understood: Understood) -> None:
    """Reply with what the sender asked about (privately: a form names its customer), or ask for a number."""
    me = person(ctx.org, ctx.event.user)
    slots = understood.slots
    tz = ctx.policy.tz
    if "complaint_no" in slots:
        form = complaint_flow.find(ctx.uow, str(slots["complaint_no"]))
        assert form.id is not None
        history = ctx.uow.audit.history(complaint_flow.AUDIT_ENTITY, str(form.id))
        lines = history_lines(history, ctx.org, tz)
        can_return = r.may_request(me, form.owner)
        card = status_card(form, ctx.org, tz, can_return=can_return)
        reply_privately(ctx, "处理记录:\n" + "\n".join(lines), card=card, what="进度")
    elif "rma_no" in slots:
        ret = ctx.uow.returns.by_number(str(slots["rma_no"]))
        if ret is None:
            warehouse = " 没有已批准 RMA 的退货请拒收。" if me.has_any(Role.WAREHOUSE) else ""
            ctx.reply(f"没有找到 {slots['rma_no']},请检查编号。{warehouse}")
        elif me.has_any(Role.WAREHOUSE) and ret.state is r.ReturnState.AWAITING_GOODS:
            card = return_cards.receive_card(ret, ctx.org, tz)
            reply_privately(ctx, f"{ret.label} 已批准,可以收货。", card=card, what="收货卡片")
        else:
            reply_privately(ctx, card=return_cards.status_card(ret, ctx.org, tz), what="进度")
    elif "customer" in slots:
        customer = str(slots["customer"])
        forms = ctx.uow.complaints.open_forms(customer=customer)
        if not forms:
            reply_privately(ctx, f"{customer} 目前没有处理中的客诉。", what="进度")
            return
        lines = [
            f"{f.label} {f.details.product or ''} {f.details.defect or ''} · {c.STATE_LABELS[f.state]}" for f in forms
        ]
        reply_privately(
            ctx, f"{customer} 处理中的客诉:\n" + "\n".join(lines) + "\n发「单号 进度」看详情。", what="进度"
        )
    else:
        ctx.reply("请告诉我单号,例如:KS-202611-0001 进度,或 RMA-202611-0001 进度。")
