"""``my_tasks``: what waits for the sender — forms whose next step is theirs, overdue ones first."""

from __future__ import annotations

from bot.context import Context, IntentRouter, Understood
from core import complaint as c
from core import services
from core.messages import Recipient
from core.routing import route

router = IntentRouter()


@router.intent("my_tasks")
def my_tasks(ctx: Context, understood: Understood) -> None:
    """One line per form waiting for the sender, with its due time; drafts are reminded too."""
    me = services.person(ctx.org, ctx.event.user)
    mine = [f for f in ctx.uow.complaints.open_forms() if Recipient.user(me.id) in route(f, ctx.org).actors]
    lines = []
    for form in sorted(mine, key=lambda f: min((k.due_at for k in f.clocks if not k.met_at), default=ctx.now)):
        due = [k.due_at for k in form.clocks if not k.met_at]
        when = ""
        if due:
            first = min(due)
            late = "已超期 " if first <= ctx.now else "截止 "
            when = f" · {late}{first.astimezone(ctx.policy.tz):%m-%d %H:%M}"
        d = form.details
        lines.append(f"{form.label} {d.customer} {d.product} · {c.STATE_LABELS[form.state]}{when}")
    drafts = ctx.uow.complaints.open_drafts(me.id)
    if drafts:
        lines.append(f"另有 {len(drafts)} 张草稿未提交。")
    ctx.reply(("您的待办:\n" + "\n".join(lines)) if lines else "您目前没有待办。")
