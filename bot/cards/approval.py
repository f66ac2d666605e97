"""Approval cards: one per step, for everyone who may decide it; after a decision every copy shows it."""

from __future__ import annotations

from datetime import tzinfo

from bot.protocol import Button, Card, CardField, Input
from core import approval as a
from core import kinds
from core.org import Org


def card_id(approval: a.Approval, step: int | None = None) -> str:
    """The approval's id and step: a tap is valid only while that step is the current one."""
    return kinds.APPROVAL.card_id(approval.id, approval.step if step is None else step)


def _progress(approval: a.Approval, org: Org, tz: tzinfo) -> list[CardField]:
    out = []
    for v in approval.votes:
        step = approval.steps[v.step]
        deputy = f"(代{org.name_of(v.on_behalf_of)})" if v.on_behalf_of else ""
        comment = f":{v.comment}" if v.comment else ""
        when = f"{v.at.astimezone(tz):%m-%d %H:%M}"
        out.append(
            CardField(step.name, f"{org.name_of(v.approver)}{deputy} {a.VERDICT_LABELS[v.verdict]} {when}{comment}")
        )
    return out


def approval_card(
    approval: a.Approval, subject: list[CardField], org: Org, tz: tzinfo, *, title: str, for_requester: bool = False
) -> Card:
    """The card for the current step: approve, reject (with a reason) or hand to a deputy; the requester's
    copy can only withdraw."""
    step = approval.current
    assert step is not None
    who = "、".join(m.label(org) for m in step.members)
    need = "" if step.needed == len(step.members) == 1 else f"({step.needed}/{len(step.members)} 同意即通过)"
    if step.quorum is None and len(step.members) > 1:
        need = "(全部同意才通过)"
    fields = [
        *subject,
        CardField("当前步骤", f"{step.name} {approval.step + 1}/{len(approval.steps)}:{who}{need}"),
        *_progress(approval, org, tz),
    ]
    if approval.step_due_at:
        fields.append(CardField("截止", f"{approval.step_due_at.astimezone(tz):%m-%d %H:%M}"))
    if for_requester:
        return Card(card_id(approval), title, tuple(fields), (Button("withdraw", "撤回申请"),))
    return Card(
        card_id(approval),
        title,
        tuple(fields),
        (Button("approve", "批准"), Button("reject", "驳回"), Button("delegate", "转交")),
        (Input("comment", "意见(驳回时必填)"), Input("deputy", "转交给(人员 id,转交时填)")),
    )


def outcome_card(
    approval: a.Approval, step: int, subject: list[CardField], org: Org, tz: tzinfo, *, title: str
) -> Card:
    """What every copy of a step's card turns into once the step is decided: the outcome, no buttons."""
    last = (
        f"{org.name_of(approval.last_actor)}于 {approval.last_at.astimezone(tz):%m-%d %H:%M} {approval.last_action}"
        if (approval.last_at and approval.last_actor)
        else ""
    )
    state = a.APPROVAL_STATE_LABELS[approval.state]
    if approval.state is a.ApprovalState.PENDING:
        state = f"「{approval.steps[step].name}」已通过"
    fields = [*subject, CardField("结果", f"{state}({last})" if last else state), *_progress(approval, org, tz)]
    return Card(card_id(approval, step), f"{title}:{state}", tuple(fields))
