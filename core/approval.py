"""The approval engine: a chain of steps, each approved by a role, a person, the requester's manager, a
department head, or a parallel group (all of / N of M). One decision per step, checked against who may
take it; reject needs a comment; the requester may withdraw; an approver may hand a step to a deputy."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from core.approval_chains import CHAIN_LABELS, DEFAULT_CHAINS, roles_in
from core.approval_deciders import people_of, requester_only, stand_in, stands_in, waiting_for
from core.approval_model import (
    APPROVAL_STATE_LABELS,
    DEFAULT_STEP_CLOCK,
    ROLE_LABELS,
    VERDICT_LABELS,
    Approval,
    ApprovalState,
    Approver,
    ApproverKind,
    Deputy,
    Step,
    Verdict,
    Vote,
)
from core.clocks import Calendar, due_at
from core.errors import MissingFields, NotAllowed, StaleCard
from core.org import Org

# The model lives in core.approval_model, who may decide in core.approval_deciders and the default chains in
# core.approval_chains; this module holds the transitions and is the one import path.
__all__ = [
    "APPROVAL_STATE_LABELS",
    "CHAIN_LABELS",
    "DEFAULT_CHAINS",
    "DEFAULT_STEP_CLOCK",
    "OWN_REQUEST",
    "ROLE_LABELS",
    "VERDICT_LABELS",
    "Approval",
    "ApprovalState",
    "Approver",
    "ApproverKind",
    "Deputy",
    "Step",
    "Verdict",
    "Vote",
    "decide",
    "delegate",
    "overdue",
    "people_of",
    "requester_only",
    "require_step",
    "roles_in",
    "stand_in",
    "stands_in",
    "start",
    "waiting_for",
    "withdraw",
]


def start(
    *,
    kind: str,
    subject: str,
    requester: str,
    department: str | None,
    steps: tuple[Step, ...],
    now: datetime,
    calendar: Calendar,
    tz: ZoneInfo,
) -> Approval:
    """A new approval at its first step, with that step's clock running."""
    if not steps:
        raise ValueError("an approval chain needs at least one step")
    due = due_at(now, steps[0].clock, calendar=calendar, tz=tz)
    return Approval(
        id=None,
        kind=kind,
        subject=subject,
        requester=requester,
        department=department,
        steps=steps,
        created_at=now,
        step_due_at=due,
    )


OWN_REQUEST = "不能审批自己提交的申请。"


def require_step(approval: Approval, step: int, org: Org, tz: ZoneInfo) -> None:
    """A tap on a card for ``step`` is valid only while that step is the current one."""
    if approval.state is ApprovalState.PENDING and approval.step == step:
        return
    who = ""
    if approval.last_actor and approval.last_at and approval.last_action:
        who = (
            f",已被{org.name_of(approval.last_actor)}于 {approval.last_at.astimezone(tz):%H:%M} {approval.last_action}"
        )
    raise StaleCard(f"此审批卡片已失效{who}。当前:{APPROVAL_STATE_LABELS[approval.state]}。")


def decide(
    approval: Approval,
    *,
    actor: str,
    verdict: Verdict,
    comment: str | None,
    now: datetime,
    org: Org,
    calendar: Calendar,
    tz: ZoneInfo,
) -> Approval:
    """One approver's decision on the current step. Rules: pending only; the actor must be waited for;
    a rejection needs a comment and ends the approval; enough approvals pass the step."""
    step = approval.current
    if step is None:
        require_step(approval, -1, org, tz)
        raise AssertionError("unreachable")
    comment = (comment or "").strip() or None
    if actor == approval.requester:
        raise NotAllowed(OWN_REQUEST)
    if any(v.approver == actor for v in approval.step_votes()):
        raise StaleCard("您已审批过这一步。")
    member = next((i for i, people in waiting_for(approval, org).items() if actor in people), None)
    if member is None:
        raise NotAllowed("您不是这一步的审批人。")
    if verdict is Verdict.REJECT and comment is None:
        raise MissingFields("驳回需要填写原因。", ("comment",))
    deputy_for = next(
        (d.by for d in approval.deputies if d.step == approval.step and d.member == member and d.to == actor), None
    )
    own = actor in people_of(step.members[member], approval, org)
    vote = Vote(
        step=approval.step,
        member=member,
        approver=actor,
        verdict=verdict,
        at=now,
        comment=comment,
        on_behalf_of=None if own else deputy_for,
    )
    after = replace(
        approval,
        votes=(*approval.votes, vote),
        version=approval.version + 1,
        last_actor=actor,
        last_action=VERDICT_LABELS[verdict],
        last_at=now,
    )
    if verdict is Verdict.REJECT:
        return replace(after, state=ApprovalState.REJECTED, decided_at=now, step_due_at=None)
    approvals = sum(1 for v in after.step_votes() if v.verdict is Verdict.APPROVE)
    if approvals < step.needed:
        return after
    if approval.step + 1 >= len(approval.steps):
        return replace(after, state=ApprovalState.APPROVED, decided_at=now, step_due_at=None)
    nxt = approval.steps[approval.step + 1]
    return replace(after, step=approval.step + 1, step_due_at=due_at(now, nxt.clock, calendar=calendar, tz=tz))


def withdraw(approval: Approval, *, actor: str, now: datetime, org: Org, tz: ZoneInfo) -> Approval:
    """The requester takes the request back before it is decided."""
    if approval.state is not ApprovalState.PENDING:
        require_step(approval, -1, org, tz)
    if actor != approval.requester:
        raise NotAllowed("只有申请人可以撤回。")
    return replace(
        approval,
        state=ApprovalState.WITHDRAWN,
        decided_at=now,
        step_due_at=None,
        version=approval.version + 1,
        last_actor=actor,
        last_action="撤回",
        last_at=now,
    )


def delegate(approval: Approval, *, actor: str, deputy: str, now: datetime, org: Org) -> Approval:
    """An approver hands their part of the current step to a deputy (e.g. out of office)."""
    if actor == approval.requester:
        raise NotAllowed(OWN_REQUEST)
    if org.person(deputy) is None:
        raise MissingFields(f"没有「{deputy}」这个人。", ("deputy",))
    if deputy == actor:
        raise MissingFields("不能转交给自己。", ("deputy",))
    if deputy == approval.requester:
        raise NotAllowed("不能转交给申请人。")
    member = next((i for i, people in waiting_for(approval, org).items() if actor in people), None)
    if member is None:
        raise NotAllowed("您不是这一步的审批人,不能转交。")
    record = Deputy(step=approval.step, member=member, by=actor, to=deputy, at=now)
    return replace(
        approval,
        deputies=(*approval.deputies, record),
        version=approval.version + 1,
        last_actor=actor,
        last_action=f"转交{org.name_of(deputy)}",
        last_at=now,
    )


def overdue(approval: Approval, now: datetime) -> bool:
    """The current step's clock has run out."""
    return approval.state is ApprovalState.PENDING and approval.step_due_at is not None and approval.step_due_at <= now
