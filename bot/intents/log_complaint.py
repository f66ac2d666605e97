"""``log_complaint``: a complaint typed in chat becomes a draft; the bot asks for each missing field in turn.

The draft and the question it is waiting on live in the database, so the answer may reach any worker.
"""

from __future__ import annotations

import re
from typing import Any

from bot.cards.complaint import action_card
from bot.context import Context, IntentRouter, Understood
from bot.intents.numbers import to_int
from core import complaint as c
from core import services
from core.limits import DEFAULT_LIMITS, Limits
from core.messages import Recipient

router = IntentRouter()

NEW_COMPLAINT_FIELDS = ("customer", "product", "defect")
OTHER_INTENTS_WIN = {
    "help",
    "cancel",
    "query_status",
    "my_tasks",
    "monthly_summary",
    "request_return",
    "record_visit",
    "order_review",
}


def details_from(slots: dict[str, Any], limits: Limits = DEFAULT_LIMITS) -> c.Details:
    """Details from parsed fields (anything unknown is ignored; a quantity or text beyond ``limits`` is refused)."""
    values = {k: str(v) for k, v in slots.items() if k in c.DETAIL_LABELS and v not in (None, "")}
    return c.Details().merged(values, limits)


def _known(form: c.Complaint) -> str:
    d = form.details
    parts = [
        f"{c.DETAIL_LABELS[name]} {value}"
        for name, value in (
            ("customer", d.customer),
            ("product", d.product),
            ("defect", d.defect),
            ("quantity", d.quantity),
        )
        if value
    ]
    urgent = "(急件)" if d.severity is c.Severity.URGENT else ""
    return "、".join(parts) + urgent


def _ask_or_confirm(ctx: Context, form: c.Complaint, *, first: bool) -> None:
    me = Recipient.user(form.owner)
    card = action_card(form, ctx.org, ctx.policy.tz)
    if form.asking:
        known = _known(form)
        prefix = f"已记下:{known}。" if first and known else ""
        # The card goes with the first question, so a form-capable app can fill everything at once.
        ctx.send(me, text=prefix + c.QUESTIONS[form.asking], card=card if first else None)
    else:
        ctx.send(me, text=f"已记下:{_known(form)}。请核对后点「提交」。", card=card)


@router.intent("log_complaint")
def log_complaint(ctx: Context, understood: Understood) -> None:
    """Make a draft from what was understood and ask only for what is missing."""
    form = services.log_complaint(
        ctx.uow,
        org=ctx.org,
        user_id=ctx.event.user,
        details=details_from(understood.slots, ctx.policy.limits),
        now=ctx.now,
    )
    _ask_or_confirm(ctx, form, first=True)


def _answer(asking: str, text: str, entities: dict[str, Any]) -> dict[str, str] | None:
    """The value for the asked field from a reply, plus any other fields the reply states; None if unusable."""
    values = {k: str(v) for k, v in entities.items() if k in c.DETAIL_LABELS and k != "severity"}
    if entities.get("severity") == "urgent":
        values["severity"] = "urgent"
    reply = re.sub(r"^[\s,.;:!?]+|[\s,.;:!?。!?]+$", "", text)
    if asking == "quantity":
        if "quantity" not in values:
            qty = to_int(re.sub(r"(个|pcs|件|台|只|片|套|箱|左右|大概|约|一共|共)", "", reply, flags=re.I).strip())
            if qty is None or qty <= 0:
                return None
            values["quantity"] = str(qty)
    elif asking not in values or asking == "defect":
        if not reply or len(reply) > 60:
            return None
        values[asking] = reply
    return values


@router.follow_up
def answer_question(ctx: Context, understood: Understood, text: str) -> bool:
    """A reply to the draft's open question fills it; a message that is clearly something else is not taken."""
    draft = services.open_draft(ctx.uow, ctx.event.user)
    if draft is None or draft.id is None or not draft.asking:
        return False
    if understood.intent in OTHER_INTENTS_WIN:
        return False
    if understood.intent == "log_complaint" and sum(k in understood.slots for k in NEW_COMPLAINT_FIELDS) >= 2:
        return False  # a whole new complaint, not an answer
    values = _answer(draft.asking, text, understood.entities)
    if values is None:
        hint = "请回复数字,例如 200。" if draft.asking == "quantity" else "请简短回复。"
        ctx.send(Recipient.user(draft.owner), text=f"{c.QUESTIONS[draft.asking]}{hint}(发「取消」放弃这张草稿)")
        return True
    form = services.answer_draft(
        ctx.uow,
        org=ctx.org,
        user_id=ctx.event.user,
        form_id=draft.id,
        values=values,
        now=ctx.now,
        limits=ctx.policy.limits,
    )
    _ask_or_confirm(ctx, form, first=False)
    return True
