"""Answering a visit question; when every question is answered the reply letter goes to the visitor."""

from __future__ import annotations

from bot.cards import visits as cards
from bot.context import ActionRouter, Context
from core import visits as v
from core.errors import NotFound
from core.messages import Recipient
from core.services import person

router = ActionRouter()


@router.card("v")
def on_question_card(ctx: Context) -> None:
    """The owner answers; the visitor gets the 客户意见答复单 once the last answer is in."""
    click = ctx.event.click
    ids = cards.parse_card_id(click.card_id) if click else None
    if click is None or ids is None:
        raise NotFound("卡片编号无效。")
    visit_id, index, version = ids
    visit = ctx.uow.visits.get(visit_id)
    if visit is None:
        raise NotFound("找不到这次拜访记录。")
    after = v.answer(
        visit,
        index=index,
        actor=person(ctx.org, ctx.event.user),
        text=click.values.get("answer", ""),
        card_version=version,
        now=ctx.now,
    )
    ctx.uow.visits.save(after, expected_version=visit.version)
    ctx.reply(
        f"已答复:{after.label} 问题 {index + 1}。", card=cards.question_card(after, index, ctx.org, ctx.policy.tz)
    )
    if after.answered:
        letter = v.reply_letter(after, company="本公司", tz_date=f"{ctx.now.astimezone(ctx.policy.tz):%Y-%m-%d}")
        ctx.send(Recipient.user(after.by), text=f"{after.label} 的问题已全部答复,客户意见答复单如下:\n\n{letter}")
