"""Answering a visit question; when every question is answered the reply letter goes to the visitor."""

from __future__ import annotations

from bot.cards import kinds
from bot.cards import visits as cards
from bot.context import ActionRouter, Context
from core import visit_flow
from core import visits as v
from core.messages import Recipient
from core.policy import person

router = ActionRouter()


@router.card(kinds.VISIT)
def on_question_card(ctx: Context) -> None:
    """The owner answers; the visitor gets the 客户意见答复单 once the last answer is in."""
    click, (visit_id, index, version) = ctx.tapped(kinds.VISIT)
    after = visit_flow.answer(
        ctx.uow,
        visit_id,
        index=index,
        actor=person(ctx.org, ctx.event.user),
        text=click.values.get("answer", ""),
        card_version=version,
        now=ctx.now,
    )
    ctx.reply(
        f"已答复:{after.label} 问题 {index + 1}。", card=cards.question_card(after, index, ctx.org, ctx.policy.tz)
    )
    if after.answered:
        letter = v.reply_letter(after, company="本公司", tz_date=f"{ctx.now.astimezone(ctx.policy.tz):%Y-%m-%d}")
        ctx.send(Recipient.user(after.by), text=f"{after.label} 的问题已全部答复,客户意见答复单如下:\n\n{letter}")
