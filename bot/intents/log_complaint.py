"""``log_complaint``: a complaint typed in chat becomes a draft card for the sales person to confirm."""

from __future__ import annotations

from bot.cards.complaint import action_card
from bot.context import Context, IntentRouter, Understood
from core import complaint as c
from core import services
from core.messages import Recipient

router = IntentRouter()


def details_from(slots: dict[str, object]) -> c.Details:
    """Details from parsed fields (anything unknown is ignored)."""
    values = {k: str(v) for k, v in slots.items() if k in c.DETAIL_LABELS and v not in (None, "")}
    return c.Details().merged(values)


@router.intent("log_complaint")
def log_complaint(ctx: Context, understood: Understood) -> None:
    """Make a draft from what was understood and ask only for what is missing."""
    form = services.log_complaint(
        ctx.uow, org=ctx.org, user_id=ctx.event.user, details=details_from(understood.slots), now=ctx.now
    )
    missing = form.details.missing()
    if missing:
        text = "已记下。还缺:" + "、".join(c.DETAIL_LABELS[n] for n in missing) + ",请在卡片里补上后点「提交」。"
    else:
        text = "已记下,请核对后点「提交」。"
    ctx.send(Recipient.user(ctx.event.user), text=text, card=action_card(form, ctx.org, ctx.policy.tz))
