"""``monthly_summary``: the month's complaint statistics on request (QA and management only), privately — the
summary, the Pareto chart and the Excel register, as on the 1st in the management group."""

from __future__ import annotations

from datetime import timedelta

from bot.context import Context, IntentRouter, Understood
from bot.intents.asker import asker_with
from bot.reports import monthly
from core.messages import Recipient
from core.org import Role

router = IntentRouter()

READERS = (Role.QA, Role.QA_MANAGER, Role.CS_MANAGER, Role.VP, Role.GM, Role.ADMIN)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.intent("monthly_summary")
def monthly_summary(ctx: Context, understood: Understood) -> None:
    """The month asked for (default: last month), to the person who asked, never to a group."""
    me = asker_with(ctx, READERS, refusal="客诉月报仅限品质部和管理层查看。")
    if me is None:
        return
    if ctx.monthly is None:
        ctx.reply("月报暂不可用,请联系管理员。")
        return
    understood.refuse_invalid("month")
    local = ctx.now.astimezone(ctx.policy.tz).date()
    month = str(understood.slots.get("month") or f"{local.replace(day=1) - timedelta(days=1):%Y-%m}")
    if month > f"{local:%Y-%m}":
        ctx.reply(f"{month} 还没到,请换一个月份。")
        return
    summary = ctx.monthly(month)
    to = Recipient.user(me.id)
    ctx.send(to, text=monthly.text(summary))
    png = ctx.uow.media.put(monthly.pareto_png(summary), content_type="image/png", now=ctx.now)
    ctx.attach(to, media_id=png)
    xlsx = ctx.uow.media.put(monthly.workbook_xlsx(summary), content_type=XLSX, now=ctx.now)
    ctx.attach(to, media_id=xlsx, kind="file", name=f"客诉月报-{month}.xlsx")
    if ctx.event.chat:
        ctx.reply("月报含客户信息,已私信发给您。")
