"""Returns: approvals of 退货申请单 and 补退货通知单, and taps on the warehouse, QA and sales cards."""

from __future__ import annotations

from bot.actions.analysis import open_if_due
from bot.cards import kinds
from bot.cards import returns as cards
from bot.context import ActionRouter, Context
from bot.notify.approvals import Subject, register, send_cards
from bot.protocol import CardField
from core import approval as a
from core import return_flow
from core import returns as r
from core.errors import NotAllowed
from core.messages import Recipient
from core.org import Role

router = ActionRouter()


def _describe(ctx: Context, approval: a.Approval) -> tuple[str, list[CardField]]:
    ret = return_flow.load(ctx.uow, return_flow.subject_id(approval))
    kind = "补退货通知" if approval.kind == "replacement" else "退货申请"
    fields = cards.fields(ret, ctx.org, ctx.policy.tz)
    if approval.kind == "return" and approval.state is a.ApprovalState.PENDING:  # approvers see the others
        others = r.open_note(return_flow.open_on(ctx.uow, ret.complaint_id, besides=ret.id))
        if others:
            fields.append(CardField("⚠️ 同单退货", others.removeprefix("本单已有退货申请:")))
    return f"{kind} {ret.rma_no or f'#{ret.id}'}", fields


def _people(ctx: Context, role: Role) -> list[Recipient]:
    return [Recipient.user(p.id) for p in ctx.org.with_role(role)]


def _settled(ctx: Context, approval: a.Approval) -> None:
    ret = return_flow.settle(ctx.uow, policy=ctx.policy, approval=approval, now=ctx.now)
    requester = Recipient.user(ret.requester)
    tz = ctx.policy.tz
    if ret.state is r.ReturnState.AWAITING_GOODS:
        ctx.send(requester, text=f"退货已批准,RMA 号:{ret.rma_no}。请告知客户在货物上标明 RMA 号。")
        for wh in _people(ctx, Role.WAREHOUSE):
            ctx.send(wh, text=f"新 RMA:{ret.rma_no},到货请核对收货。", card=cards.receive_card(ret, ctx.org, tz))
        open_if_due(ctx, ret)
    elif ret.state is r.ReturnState.REPLACING:
        ctx.send(
            requester, text=f"{ret.label} 补货已批准,计划可安排补货。", card=cards.replacement_card(ret, ctx.org, tz)
        )
    else:
        votes = [v for v in approval.votes if v.comment]
        why = f"原因:{votes[-1].comment}" if votes and approval.state is a.ApprovalState.REJECTED else ""
        ctx.send(requester, text=f"{ret.label} {r.RETURN_STATE_LABELS[ret.state]}。{why}")


register("return", Subject(_describe, _settled))
register("replacement", Subject(_describe, _settled))


@router.card(kinds.RETURN)
def on_return_card(ctx: Context) -> None:
    """Receive (warehouse), process (QA) or confirm the replacement (sales)."""
    click, (return_id, stage) = ctx.tapped(kinds.RETURN)
    try:
        action = r.ReturnAction(click.action)
    except ValueError:
        raise NotAllowed(f"没有「{click.action}」这个操作。") from None
    _, after, started = return_flow.act(
        ctx.uow,
        org=ctx.org,
        policy=ctx.policy,
        person_id=ctx.event.user,
        return_id=return_id,
        card_stage=stage,
        action=action,
        values=click.values,
        now=ctx.now,
    )
    tz = ctx.policy.tz
    requester = Recipient.user(after.requester)
    tapper = Recipient.user(ctx.event.user)
    if after.state is r.ReturnState.RECEIVED:
        assert after.processing_due_at is not None
        due = f"{after.processing_due_at.astimezone(tz):%m-%d %H:%M}"
        for qa in _people(ctx, Role.QA):
            ctx.send(
                qa,
                text=f"{after.label} 已收货,处理结果请于 {due} 前提交。",
                card=cards.process_card(after, ctx.org, tz),
            )
        ctx.send(requester, text=f"{after.label} 仓库已收货:实收 {after.received_qty}。")
        ctx.send(tapper, text=f"已确认收货 {after.label}。")
    elif started is not None:
        send_cards(ctx, started)
        ctx.send(tapper, text=f"{after.label} 处理结果已提交:我方原因,已发起补退货审批。")
    else:
        ctx.send(requester, text=f"{after.label} 已结案。")
        if tapper != requester:
            ctx.send(tapper, text=f"{after.label} 处理结果已提交,已结案。")
