"""退货分析改善报告: opened when a return is approved (a batch, or one defect from several customers); QA submits it."""

from __future__ import annotations

from datetime import timedelta

from bot.cards import analysis as cards
from bot.context import ActionRouter, Context
from core import analysis as ra
from core.clocks import ClockName, due_at
from core.errors import NotFound
from core.messages import Recipient
from core.org import Role
from core.returns import ReturnRequest
from core.services import person

router = ActionRouter()


def open_if_due(ctx: Context, ret: ReturnRequest) -> ra.ReturnAnalysis | None:
    """After a return is approved: open the report when it is a batch or a repeat across customers (unless an
    open report already covers the product), and send QA its card. Returns the new report."""
    if not ret.rma_no or ret.id is None:
        return None
    since = ctx.now - timedelta(days=ctx.policy.repeat_window_days)
    recent = [r for r in ctx.uow.returns.since(since) if r.id != ret.id]
    problems: dict[int, str | None] = {}
    for r in (*recent, ret):
        if r.complaint_id and r.complaint_id not in problems:
            form = ctx.uow.complaints.get(r.complaint_id)
            problems[r.complaint_id] = form.problem if form else None
    found = ra.trigger(ret, recent, problems, batch=ctx.policy.batch_return)
    if found is None or any(a.product == ret.product for a in ctx.uow.analyses.open()):
        return None
    why, returns = found
    qa = [p.id for p in ctx.org.with_role(Role.QA)]
    clock = ctx.policy.clocks[ClockName.IMPROVEMENT_REPORT]
    due = due_at(ctx.now, clock, calendar=ctx.policy.calendar, tz=ctx.policy.tz)
    report = ctx.uow.analyses.add(
        ra.ReturnAnalysis(
            id=None,
            rma_no=ret.rma_no,
            product=ret.product or "",
            why=why,
            returns=returns,
            owner=qa[0] if qa else ret.requester,
            opened_at=ctx.now,
            due_at=due,
        )
    )
    text = f"📑 需要退货分析改善报告:{why}。截止 {due.astimezone(ctx.policy.tz):%m-%d %H:%M}。"
    ctx.send(Recipient.user(report.owner), text=text, card=cards.card(report, ctx.org, ctx.policy.tz))
    return report


@router.card("ra")
def on_analysis_card(ctx: Context) -> None:
    """QA submits the report; the qa_manager is told."""
    click, report_id, version = ctx.tapped(cards.parse_card_id)
    report = ctx.uow.analyses.get(report_id)
    if report is None:
        raise NotFound("找不到这份报告。")
    actor = person(ctx.org, ctx.event.user)
    after = ra.submit(report, actor=actor, values=click.values, card_version=version, now=ctx.now)
    ctx.uow.analyses.save(after, expected_version=report.version)
    card = cards.card(after, ctx.org, ctx.policy.tz)
    ctx.reply(f"已提交:{after.label}。", card=card)
    for manager in ctx.org.with_role(Role.QA_MANAGER):
        ctx.send(Recipient.user(manager.id), text=f"{after.label} 退货分析改善报告已提交。", card=card)
