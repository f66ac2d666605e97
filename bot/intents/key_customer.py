"""``key_customer``: a salesperson or manager proposes a customer as a key customer (重点客户); the gm approves
through the approval engine (``[approvals.key_customer]``); on approval the archive marks it."""

from __future__ import annotations

import re

from bot.context import Context, IntentRouter, Understood
from bot.intents.asker import asker_with
from bot.notify.approvals import Subject, register, send_cards
from bot.protocol import CardField
from core import approval as a
from core import archive_flow
from core.approval_flow import open_approval
from core.messages import Recipient
from core.org import Role

router = IntentRouter()

PROPOSERS = (Role.SALES, Role.CS_MANAGER, Role.QA_MANAGER, Role.VP, Role.GM)
NOT_NAME = re.compile(r"(申请|认定|提名|设为|列为|推荐|为|成|重点客户|把|将|请|一下|[,,。.!!\s])")


def _customer_id(approval: a.Approval) -> int:
    return int(approval.subject.split(":", 1)[1])


def _describe(ctx: Context, approval: a.Approval) -> tuple[str, list[CardField]]:
    record = ctx.uow.customers.get(_customer_id(approval))
    name = record.name if record else approval.subject
    fields = [CardField("客户", name), CardField("申请人", ctx.org.name_of(approval.requester))]
    if record:
        fields.append(CardField("负责业务员", ctx.org.name_of(record.owner)))
    return f"重点客户认定 {name}", fields


def _settled(ctx: Context, approval: a.Approval) -> None:
    record = ctx.uow.customers.get(_customer_id(approval))
    if record is None:
        return
    requester = Recipient.user(approval.requester)
    if approval.state is a.ApprovalState.APPROVED:
        decider = approval.votes[-1].approver if approval.votes else approval.requester
        archive_flow.mark_key(ctx.uow, _customer_id(approval), actor=decider, now=ctx.now)
        ctx.send(requester, text=f"「{record.name}」已认定为重点客户。")
        if record.owner != approval.requester:
            ctx.send(Recipient.user(record.owner), text=f"您负责的「{record.name}」已认定为重点客户。")
    elif approval.state is a.ApprovalState.REJECTED:
        votes = [v for v in approval.votes if v.comment]
        why = f"原因:{votes[-1].comment}" if votes else ""
        ctx.send(requester, text=f"「{record.name}」重点客户认定未通过。{why}")


register("key_customer", Subject(_describe, _settled))


@router.intent("key_customer")
def key_customer(ctx: Context, understood: Understood) -> None:
    """Open the designation approval for a customer in the archive_flow."""
    me = asker_with(ctx, PROPOSERS, refusal="重点客户由业务部门提出申请。")
    if me is None:
        return
    name = str(understood.slots.get("customer") or NOT_NAME.sub("", ctx.event.text or ""))
    record = ctx.uow.customers.by_name(name) if name else None
    if record is None or record.id is None:
        ctx.reply(f"客户档案里没有「{name}」,请先建立档案(kesu customers import)。" if name else "是哪个客户?")
        return
    if record.key:
        ctx.reply(f"「{record.name}」已经是重点客户。")
        return
    subject = f"customer:{record.id}"
    if any(x.subject == subject and x.kind == "key_customer" for x in ctx.uow.approvals.open()):
        ctx.reply(f"「{record.name}」的重点客户认定已在审批中。")
        return
    approval = open_approval(
        ctx.uow,
        policy=ctx.policy,
        kind="key_customer",
        subject=subject,
        requester=me.id,
        department=me.department,
        now=ctx.now,
    )
    send_cards(ctx, approval)
