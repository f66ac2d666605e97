"""``record_visit``: a visit and the questions the customer raised; each question to its owner, answered within
5 working days (reminded and escalated like every clock); the reply letter when all are answered."""

from __future__ import annotations

from bot.cards import visits as cards
from bot.context import Context, IntentRouter, Understood
from core import visit_flow
from core.clocks import ClockPolicy, ClockUnit, due_at
from core.messages import Recipient
from core.org import Role
from core.policy import person

router = IntentRouter()

ANSWER_WITHIN = ClockPolicy(5, ClockUnit.WORKING_DAYS)  # PROCEDURE §7


def question_owner(ctx: Context) -> str:
    """Who answers a visit question by default: the qa_manager (who routes it), else QA, else the visitor."""
    for role in (Role.QA_MANAGER, Role.QA):
        people = ctx.org.with_role(role)
        if people:
            return people[0].id
    return ctx.event.user


@router.intent("record_visit")
def record_visit(ctx: Context, understood: Understood) -> None:
    """Record the visit; the questions go to their owner with a 5-working-day clock."""
    me = person(ctx.org, ctx.event.user)
    customer = understood.slots.get("customer") or understood.entities.get("customer")
    if not customer:
        ctx.reply("拜访了哪个客户?例如:拜访明辉电子,客户提出:1.交期太长 2.包装要改进")
        return
    text = ctx.event.text or ""
    due = due_at(ctx.now, ANSWER_WITHIN, calendar=ctx.policy.calendar, tz=ctx.policy.tz)
    owner = question_owner(ctx)
    visit = visit_flow.record(
        ctx.uow,
        customer=str(customer),
        text=text,
        by=me.id,
        owner=owner,
        due=due,
        limits=ctx.policy.limits,
        now=ctx.now,
    )
    questions = visit.questions
    if not questions:
        ctx.reply(f"已记录{visit.label}。客户若提出问题,请这样写:拜访{customer},客户提出:1.… 2.…")
        return
    tz = ctx.policy.tz
    for i in range(len(questions)):
        ctx.send(Recipient.user(owner), card=cards.question_card(visit, i, ctx.org, tz))
    ctx.reply(
        f"已记录{visit.label},客户问题 {len(questions)} 个,已交{ctx.org.name_of(owner)}在 "
        f"{due.astimezone(tz):%m-%d %H:%M} 前答复(5 个工作日)。全部答复后生成客户意见答复单。"
    )
