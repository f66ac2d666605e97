"""Taps on approval cards: approve, reject, hand to a deputy, withdraw. What the approval is about
(a return, a replacement, an order) is told by the handlers registered per kind."""

from __future__ import annotations

from bot.cards import kinds
from bot.cards.approval import approval_card, outcome_card
from bot.context import ActionRouter, Context
from bot.notify.approvals import SUBJECTS, Subject, people_waiting, register, send_cards
from core import approval as a
from core import approval_flow
from core.errors import NotAllowed
from core.messages import Recipient

__all__ = ["SUBJECTS", "Subject", "register", "router", "send_cards"]

router = ActionRouter()


@router.card(kinds.APPROVAL)
def on_approval_card(ctx: Context) -> None:
    """One tap; the tapper is checked against the stored step, and every copy then shows the outcome."""
    click, (approval_id, step) = ctx.tapped(kinds.APPROVAL)
    uow, org, policy, user, now = ctx.uow, ctx.org, ctx.policy, ctx.event.user, ctx.now
    if click.action in ("approve", "reject"):
        verdict = a.Verdict.APPROVE if click.action == "approve" else a.Verdict.REJECT
        before, after = approval_flow.vote(
            uow,
            org=org,
            policy=policy,
            person_id=user,
            approval_id=approval_id,
            step=step,
            verdict=verdict,
            comment=click.values.get("comment"),
            now=now,
        )
    elif click.action == "withdraw":
        before, after = approval_flow.withdraw(
            uow, org=org, policy=policy, person_id=user, approval_id=approval_id, step=step, now=now
        )
    elif click.action == "delegate":
        deputy = click.values.get("deputy", "").strip()
        before, after = approval_flow.delegate(
            uow, org=org, policy=policy, person_id=user, approval_id=approval_id, step=step, deputy=deputy, now=now
        )
        title, subject = SUBJECTS[after.kind].describe(ctx, after)
        card = approval_card(after, subject, org, policy.tz, title=title)
        ctx.send(Recipient.user(deputy), text=f"{org.name_of(user)}把审批转交给您。", card=card)
        ctx.send(Recipient.user(user), text=f"已转交给{org.name_of(deputy)}。")
        return
    else:
        raise NotAllowed(f"没有「{click.action}」这个操作。")
    _after_decision(ctx, before, after)


def _after_decision(ctx: Context, before: a.Approval, after: a.Approval) -> None:
    tapper = ctx.event.user
    step_done = after.step != before.step or after.state is not a.ApprovalState.PENDING
    if after.state is not a.ApprovalState.PENDING:
        SUBJECTS[after.kind].settled(ctx, after)  # first, so the updated cards show the settled subject
    title, subject = SUBJECTS[after.kind].describe(ctx, after)
    if step_done:
        # Every copy of the decided step's card shows the outcome: approvers, voters and the requester.
        holders = set(people_waiting(before, ctx)) | {v.approver for v in after.step_votes(before.step)}
        holders |= {after.requester, tapper}
        card = outcome_card(after, before.step, subject, ctx.org, ctx.policy.tz, title=title)
        for pid in [p.id for p in ctx.org.people if p.id in holders]:
            ctx.send(Recipient.user(pid), card=card)
    else:
        ctx.send(Recipient.user(tapper), text=f"已{after.last_action},等待其他人审批。")
    if after.state is a.ApprovalState.PENDING and step_done:
        send_cards(ctx, after)
