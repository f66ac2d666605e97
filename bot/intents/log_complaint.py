"""``log_complaint``: a complaint typed in chat becomes a draft; the bot asks for each missing field in turn.

The draft and the question it is waiting on live in the database, so the answer may reach any worker.
"""

from __future__ import annotations

import re
from typing import Any

from bot.cards.complaint import action_card
from bot.context import Context, IntentRouter, Understood
from bot.intents.numbers import read_quantity
from core import complaint as c
from core import complaint_flow
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
    """Make a draft from what was understood and ask only for what is missing (a wrong quantity is refused)."""
    understood.refuse_invalid("quantity")
    form = complaint_flow.log_complaint(
        ctx.uow,
        org=ctx.org,
        person_id=ctx.event.user,
        details=details_from(understood.slots, ctx.policy.limits),
        now=ctx.now,
    )
    _ask_or_confirm(ctx, form, first=True)


# 客户改成美的 / 数量改为300: the one way a reply changes a field already filled.
CHANGE = re.compile(
    r"^(?:把)?(客户|产品|型号|不良描述|不良现象|不良|问题|数量|订单号|订单)\s*"
    r"(?:改成|改为|换成|换为|更正为|更正成|更改为|修改为|应该是|应为)\s*[::]?\s*(.+)$"
)
CHANGE_FIELDS = {
    "客户": "customer",
    "产品": "product",
    "型号": "product",
    "不良描述": "defect",
    "不良现象": "defect",
    "不良": "defect",
    "问题": "defect",
    "数量": "quantity",
    "订单号": "order_no",
    "订单": "order_no",
}
SHORT_LABELS = {"customer": "客户", "product": "产品", "defect": "不良", "quantity": "数量", "order_no": "订单号"}
UNIT_WORDS = re.compile(r"(个|pcs|件|台|只|片|套|箱|左右|大概|约|一共|共)", re.I)


class Unusable(Exception):
    """A reply that cannot fill the field: ``sentence`` says why (None: not an answer at all)."""

    def __init__(self, sentence: str | None = None) -> None:
        super().__init__(sentence)
        self.sentence = sentence


def _quantity(reply: str, understood: Understood) -> str:
    """The quantity a reply states, exactly as a whole number; Unusable if it states none or a wrong one."""
    if "quantity" in understood.invalid:
        raise Unusable(understood.invalid["quantity"])
    if "quantity" in understood.entities:
        return str(understood.entities["quantity"])
    bare = UNIT_WORDS.sub("", reply).strip()
    sign = re.match(r"^[-−负]\s*", bare)
    reading = read_quantity(bare, negative=bool(sign))
    if reading is None:
        raise Unusable()
    if reading.value is None:
        raise Unusable(reading.problem)
    return str(reading.value)


def _answer(form: c.Complaint, text: str, understood: Understood) -> tuple[dict[str, str], list[str]]:
    """The value for the asked field from a reply, plus fields the reply states that the draft does not have yet;
    and the fields it states that are kept as they were (a filled field changes only by 「客户改成…」)."""
    asking = form.asking or ""
    entities = understood.entities
    stated = {k: str(v) for k, v in entities.items() if k in c.DETAIL_LABELS and k != "severity"}
    if entities.get("severity") == "urgent":
        stated["severity"] = "urgent"
    reply = re.sub(r"^[\s,.;:!?]+|[\s,.;:!?。!?]+$", "", text)
    if asking == "quantity" or ("quantity" in understood.invalid and form.details.quantity is None):
        stated["quantity"] = _quantity(reply, understood)
    elif asking not in stated or asking == "defect":
        if not reply or len(reply) > 60:
            raise Unusable()
        stated[asking] = reply
    values: dict[str, str] = {}
    kept: list[str] = []
    for name, value in stated.items():
        current = getattr(form.details, name)
        if name == asking or current in (None, "") or (name == "severity" and value == "urgent"):
            values[name] = value
        elif str(current) != value:
            kept.append(name)
    return values, kept


def _change(form: c.Complaint, m: re.Match[str], understood: Understood) -> dict[str, str]:
    """「客户改成美的」: the named field's new value (a catalogue name when one is written)."""
    name = CHANGE_FIELDS[m.group(1)]
    value = m.group(2).strip(" ,.;。")
    if name == "quantity":
        return {name: _quantity(value, understood)}
    if name in ("customer", "product", "order_no") and name in understood.entities:
        return {name: str(understood.entities[name])}
    if not value or len(value) > 60:
        raise Unusable()
    return {name: value}


@router.follow_up
def answer_question(ctx: Context, understood: Understood, text: str) -> bool:
    """A reply to the draft's open question fills it (and only fields still empty); 「客户改成…」 changes a field;
    a message that is clearly something else is not taken."""
    draft = complaint_flow.open_draft(ctx.uow, ctx.event.user)
    if draft is None or draft.id is None:
        return False
    me = Recipient.user(draft.owner)
    change = CHANGE.match(re.sub(r"^[\s,.;:!?]+|[\s,.;:!?。!?]+$", "", text))
    if not draft.asking and change is None:
        return False
    if understood.intent in OTHER_INTENTS_WIN:
        return False
    whole = understood.intent == "log_complaint" and sum(k in understood.slots for k in NEW_COMPLAINT_FIELDS) >= 2
    if whole and change is None:
        return False  # a whole new complaint, not an answer
    kept: list[str] = []
    try:
        if change is not None:
            values = _change(draft, change, understood)
        else:
            values, kept = _answer(draft, text, understood)
    except Unusable as unusable:
        question = c.QUESTIONS[draft.asking] if draft.asking else ""
        if unusable.sentence:
            ctx.send(me, text=unusable.sentence + question)
        else:
            hint = "请回复数字,例如 200。" if draft.asking == "quantity" else "请简短回复。"
            ctx.send(me, text=f"{question}{hint}(发「取消」放弃这张草稿)")
        return True
    form = complaint_flow.answer_draft(
        ctx.uow,
        org=ctx.org,
        person_id=ctx.event.user,
        complaint_id=draft.id,
        values=values,
        now=ctx.now,
        limits=ctx.policy.limits,
    )
    if kept:
        d = form.details
        shown = "、".join(f"{c.DETAIL_LABELS[k]}仍为{getattr(d, k)}" for k in kept)
        ctx.send(me, text=f"{shown}(要改请发「{SHORT_LABELS.get(kept[0], '')}改成…」)。")
    _ask_or_confirm(ctx, form, first=False)
    return True
