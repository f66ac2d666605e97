"""退货分析改善报告: opened when a return is approved (a batch, or one defect from several customers); QA submits it."""

from __future__ import annotations

from bot.cards import analysis as cards
from bot.cards import kinds
from bot.context import ActionRouter, Context
from core import analysis as ra
from core import analysis_flow
from core.messages import Recipient
from core.org import Role
from core.policy import person
from core.returns import ReturnRequest

router = ActionRouter()


def open_if_due(ctx: Context, ret: ReturnRequest) -> ra.ReturnAnalysis | None:
    """After a return is approved: open the report when it is a batch or a repeat across customers (unless an
    open report already covers the product), and send QA its card. Returns the new report."""
    report = analysis_flow.open_if_due(ctx.uow, ret, org=ctx.org, policy=ctx.policy, actor=ctx.event.user, now=ctx.now)
    if report is None:
        return None
    text = f"📑 需要退货分析改善报告:{report.why}。截止 {report.due_at.astimezone(ctx.policy.tz):%m-%d %H:%M}。"
    ctx.send(Recipient.user(report.owner), text=text, card=cards.card(report, ctx.org, ctx.policy.tz))
    return report


@router.card(kinds.ANALYSIS)
def on_analysis_card(ctx: Context) -> None:
    """QA submits the report; the qa_manager is told."""
    click, (report_id, version) = ctx.tapped(kinds.ANALYSIS)
    actor = person(ctx.org, ctx.event.user)
    after = analysis_flow.submit(
        ctx.uow, report_id, actor=actor, values=click.values, card_version=version, now=ctx.now
    )
    card = cards.card(after, ctx.org, ctx.policy.tz)
    ctx.reply(f"已提交:{after.label}。", card=card)
    for manager in ctx.org.with_role(Role.QA_MANAGER):
        ctx.send(Recipient.user(manager.id), text=f"{after.label} 退货分析改善报告已提交。", card=card)
