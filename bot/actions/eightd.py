"""8D: opened by a repeat complaint; QA writes D1–D8 on its card; the qa_manager approves the closure."""

from __future__ import annotations

from bot.cards import eightd as cards
from bot.context import ActionRouter, Context
from core import eightd as e8
from core.complaint import Complaint
from core.errors import NotAllowed, NotFound
from core.messages import Recipient
from core.org import Role
from core.services import person

router = ActionRouter()


def open_for_repeat(ctx: Context, form: Complaint) -> e8.EightD | None:
    """When ``form`` repeats earlier ones and has no 8D yet: open one for QA and send its card (this
    transaction). Returns the new 8D."""
    if not form.repeat_of or form.id is None or not form.number:
        return None
    if ctx.uow.eightds.by_number(f"8D-{form.number}") is not None:
        return None
    qa = [p.id for p in ctx.org.with_role(Role.QA)]
    owner = form.qa_owner or (qa[0] if qa else form.owner)
    opened = ctx.uow.eightds.add(
        e8.open_eightd(complaint_id=form.id, complaint_no=form.number, repeats=form.repeat_of, owner=owner, now=ctx.now)
    )
    text = f"⚠️ 重复投诉:{form.number} 与 {'、'.join(form.repeat_of)} 相同(客户、产品、问题类型),已开 8D。"
    ctx.send(Recipient.user(owner), text=text, card=cards.card(opened, ctx.org, ctx.policy.tz))
    return opened


@router.card("e")
def on_eightd_card(ctx: Context) -> None:
    """Write the next discipline, or approve / send back the closure."""
    click, eightd_id, step = ctx.tapped(cards.parse_card_id)
    report = ctx.uow.eightds.get(eightd_id)
    if report is None:
        raise NotFound("找不到这份 8D。")
    actor = person(ctx.org, ctx.event.user)
    if click.action == "write":
        after = e8.write_step(report, actor=actor, text=click.values.get("text", ""), card_step=step, now=ctx.now)
    elif click.action in ("approve", "reject"):
        after = e8.decide_closure(
            report,
            actor=actor,
            approve=click.action == "approve",
            reason=click.values.get("reason", ""),
            card_step=step,
            now=ctx.now,
        )
    else:
        raise NotAllowed(f"没有「{click.action}」这个操作。")
    ctx.uow.eightds.save(after, expected_version=report.version)
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
