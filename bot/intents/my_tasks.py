"""``my_tasks``: what waits for the sender — complaint steps, approvals and return steps, soonest due first."""

from __future__ import annotations

from datetime import datetime

from bot.context import Context, IntentRouter, Understood
from bot.intents.private import reply_privately
from bot.notify.approvals import SUBJECTS
from core import approval as a
from core import complaint as c
from core import returns as r
from core.messages import Recipient
from core.org import Role
from core.policy import person
from core.routing import may_act, route

router = IntentRouter()


def _when(due: datetime | None, ctx: Context) -> str:
    if due is None:
        return ""
    late = "已超期 " if due <= ctx.now else "截止 "
    return f" · {late}{due.astimezone(ctx.policy.tz):%m-%d %H:%M}"


@router.intent("my_tasks")
def my_tasks(ctx: Context, understood: Understood) -> None:
    """One line per thing waiting for the sender, with its due time, to the sender only; drafts are reminded too."""
    me = person(ctx.org, ctx.event.user)
    tasks: list[tuple[datetime | None, str]] = []
    for form in ctx.uow.complaints.open_forms(may_act=may_act(me.id, ctx.org)):
        if Recipient.user(me.id) in route(form, ctx.org).actors:
            due = min((k.due_at for k in form.clocks if not k.met_at), default=None)
            d = form.details
            tasks.append(
                (due, f"{form.label} {d.customer} {d.product} · {c.STATE_LABELS[form.state]}{_when(due, ctx)}")
            )
    for approval in ctx.uow.approvals.open():
        step = approval.current
        if step is None or approval.kind not in SUBJECTS:
            continue
        if any(me.id in people for people in a.waiting_for(approval, ctx.org).values()):
            title, _ = SUBJECTS[approval.kind].describe(ctx, approval)
            tasks.append((approval.step_due_at, f"待审批:{title} · {step.name}{_when(approval.step_due_at, ctx)}"))
    for ret in ctx.uow.returns.open():
        if ret.state is r.ReturnState.AWAITING_GOODS and me.has_any(Role.WAREHOUSE):
            tasks.append((None, f"{ret.label} 待收货"))
        elif ret.state is r.ReturnState.RECEIVED and me.has_any(Role.QA, Role.QA_MANAGER):
            tasks.append((ret.processing_due_at, f"{ret.label} 待提交处理结果{_when(ret.processing_due_at, ctx)}"))
        elif ret.state is r.ReturnState.REPLACING and ret.requester == me.id:
            tasks.append((None, f"{ret.label} 待确认客户收到补货"))
    tasks.sort(key=lambda t: (t[0] is None, t[0] or ctx.now))
    lines = [line for _, line in tasks]
    drafts = ctx.uow.complaints.draft_count(me.id)
    if drafts:
        lines.append(f"另有 {drafts} 张草稿未提交。")
    # A person's tasks name customers and forms: never shown in a group chat.
    reply_privately(ctx, ("您的待办:\n" + "\n".join(lines)) if lines else "您目前没有待办。", what="您的待办")
