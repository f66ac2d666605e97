"""``customer_info``: 明辉电子的联系人 / 客户资料 明辉电子 — the archive card; contacts and credit only for those
allowed (owner, owner's manager, gm, granted roles); always in a private chat. Every look is logged."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.cards.customers import customer_card
from bot.context import Context, IntentRouter, Understood
from bot.intents.private import reply_privately
from core import archive_flow
from core.customers import REFUSED
from core.policy import person

router = IntentRouter()

ASKS_CONTACTS = re.compile(r"(联系人|联系方式|电话|手机|邮箱|信用)")
NOT_NAME = re.compile(
    r"(客户资料|客户档案|的?联系人|的?联系方式|的?电话(?:号码)?|查一?下|查询|查看|看看|[\s::??。!!]+)"
)


def history(ctx: Context, name: str) -> tuple[tuple[str, str], ...]:
    """The customer's history with us: complaints, returns, visits, satisfaction surveys."""
    long_ago = ctx.now - timedelta(days=3650)
    forms = ctx.uow.complaints.for_customer(name)
    returns = [r for r in ctx.uow.returns.since(long_ago) if r.customer == name]
    visits = [v for v in ctx.uow.visits.since(long_ago) if v.customer == name]
    surveys = [(c, s) for c in ctx.uow.campaigns.since(long_ago) for s in c.surveys if s.customer == name and s.scores]
    out = [("客诉", f"{len(forms)} 单" + (f"(最近 {'、'.join(forms[:3])})" if forms else ""))]
    out.append(("退货", f"{len(returns)} 次" + (f",共 {sum(r.quantity for r in returns)} 件" if returns else "")))
    out.append(("拜访", f"{len(visits)} 次"))
    if surveys:
        campaign, survey = surveys[-1]
        out.append(("满意度", f"{survey.index:.0f}({campaign.name})" if survey.index is not None else "—"))
    return tuple(out)


@router.intent("customer_info")
def customer_info(ctx: Context, understood: Understood) -> None:
    """Reply with the archive card, to the asker only (asked in a group, the group is told it went privately)."""
    me = person(ctx.org, ctx.event.user)
    text = ctx.event.text or ""
    name = str(understood.slots.get("customer") or understood.entities.get("customer") or NOT_NAME.sub("", text))
    if not name:
        ctx.reply("请告诉我客户名称,例如:客户资料 明辉电子")
        return
    asked = bool(ASKS_CONTACTS.search(text))
    found = archive_flow.look_up(
        ctx.uow,
        org=ctx.org,
        viewer=me,
        name=name,
        asked=asked,
        granted_roles=ctx.policy.confidential_roles,
        now=ctx.now,
    )
    card = customer_card(
        found.record,
        ctx.org,
        confidential=found.confidential and not found.refused,
        history=history(ctx, found.record.name),
    )
    # The archive is confidential (PROCEDURE §6), its public view and history too: never shown in a group chat.
    reply_privately(ctx, REFUSED if found.refused else None, card=card, what="客户资料")
