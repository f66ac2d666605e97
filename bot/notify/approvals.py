"""Approval notifications: the registry of what approvals are about, and the cards for a step's approvers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.cards.approval import approval_card
from bot.context import Context
from bot.protocol import CardField
from core import approval as a
from core.messages import Recipient


@dataclass(frozen=True)
class Subject:
    """How one kind of approval is shown (title and fields) and what happens once it is decided."""

    describe: Callable[[Context, a.Approval], tuple[str, list[CardField]]]
    settled: Callable[[Context, a.Approval], None]


SUBJECTS: dict[str, Subject] = {}


def register(kind: str, subject: Subject) -> None:
    """Tell the approval cards how to show and settle approvals of ``kind``."""
    SUBJECTS[kind] = subject


def people_waiting(approval: a.Approval, ctx: Context) -> list[str]:
    """Everyone who may decide the current step, in config order."""
    wanted = set().union(*a.waiting_for(approval, ctx.org).values()) if approval.current else set()
    return [p.id for p in ctx.org.people if p.id in wanted]


def send_cards(ctx: Context, approval: a.Approval) -> None:
    """The current step's card to each approver; the requester's copy lets them withdraw."""
    title, subject = SUBJECTS[approval.kind].describe(ctx, approval)
    for pid in people_waiting(approval, ctx):
        ctx.send(Recipient.user(pid), card=approval_card(approval, subject, ctx.org, ctx.policy.tz, title=title))
    step = approval.current
    assert step is not None
    names = "、".join(ctx.org.name_of(p) for p in people_waiting(approval, ctx))
    if a.requester_only(approval, ctx.org):  # segregation of duties: say who decides instead of the requester
        names = (
            f"{names}(申请人不能审批自己的申请,由上级审批)"
            if names
            else "(申请人不能审批自己的申请,且无上级可审批,请联系管理员)"
        )
    names = names or "(无人可审批,请联系管理员)"
    ctx.send(
        Recipient.user(approval.requester),
        text=f"{title}:等待「{step.name}」— {names}",
        card=approval_card(approval, subject, ctx.org, ctx.policy.tz, title=title, for_requester=True),
    )
