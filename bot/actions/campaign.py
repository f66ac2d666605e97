"""Survey cards: the owner records a sampled customer's answers."""

from __future__ import annotations

from bot.cards import campaign as cards
from bot.cards import kinds
from bot.context import ActionRouter, Context
from core import campaign_flow
from core.policy import person

router = ActionRouter()


@router.card(kinds.CAMPAIGN)
def on_survey_card(ctx: Context) -> None:
    """Record one customer's answers on its card."""
    click, (campaign_id, index, version) = ctx.tapped(kinds.CAMPAIGN)
    actor = person(ctx.org, ctx.event.user)
    after = campaign_flow.record(
        ctx.uow, campaign_id, index=index, actor=actor, values=click.values, version=version, now=ctx.now
    )
    left = sum(1 for s in after.surveys if not s.scores and s.owner == actor.id)
    more = f"您还有 {left} 家待调查。" if left else "您负责的客户已全部调查。"
    ctx.reply(f"已登记 {after.surveys[index].customer}。{more}", card=cards.survey_card(after, index, ctx.policy.tz))
