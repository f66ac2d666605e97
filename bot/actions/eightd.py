"""8D: opened by a repeat complaint; QA writes D1–D8 on its card; the qa_manager approves the closure."""

from __future__ import annotations

from bot.cards import eightd as cards
from bot.cards import kinds
from bot.context import ActionRouter, Context
from core import eightd as e8
from core import eightd_flow
from core.complaint import Complaint
from core.messages import Recipient
from core.org import Role
from core.policy import person

router = ActionRouter()


def open_for_repeat(ctx: Context, form: Complaint) -> e8.EightD | None:
    """When ``form`` repeats earlier ones and has no 8D yet: open one for QA and send its card (this
    transaction). Returns the new 8D."""
    qa = [p.id for p in ctx.org.with_role(Role.QA)]
    owner = form.qa_owner or (qa[0] if qa else form.owner)
    opened = eightd_flow.open_for_repeat(ctx.uow, form, owner=owner, actor=ctx.event.user, now=ctx.now)
    if opened is None:
        return None
    text = f"⚠️ 重复投诉:{form.number} 与 {'、'.join(form.repeat_of)} 相同(客户、产品、问题类型),已开 8D。"
    ctx.send(Recipient.user(opened.owner), text=text, card=cards.card(opened, ctx.org, ctx.policy.tz))
    return opened


@router.card(kinds.EIGHTD)
def on_eightd_card(ctx: Context) -> None:
    """Write the next discipline, or approve / send back the closure."""
    click, (eightd_id, step) = ctx.tapped(kinds.EIGHTD)
    actor = person(ctx.org, ctx.event.user)
    report, after = eightd_flow.act(
        ctx.uow, eightd_id, actor=actor, action=click.action, values=click.values, card_step=step, now=ctx.now
    )
    card = cards.card(after, ctx.org, ctx.policy.tz)
    owner = Recipient.user(after.owner)
    if after.state is e8.EightDState.CLOSING:
        for manager in ctx.org.with_role(Role.QA_MANAGER):
            ctx.send(Recipient.user(manager.id), text=f"{after.label} 已填写完 D1–D8,请审批结案。", card=card)
        ctx.send(owner, text=f"{after.label} 已提交品质经理批准结案。")
    elif after.state is e8.EightDState.CLOSED:
        ctx.send(owner, text=f"{after.label} 已批准结案。", card=card)
    elif report.state is e8.EightDState.CLOSING:  # sent back
        ctx.send(owner, text=f"{after.label} 结案被退回:{click.values.get('reason', '')}", card=card)
    else:
        ctx.send(owner, card=card)
    if Recipient.user(ctx.event.user) != owner:
        ctx.send(Recipient.user(ctx.event.user), text=f"已完成:{after.label}。")
