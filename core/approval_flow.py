"""Approval use cases inside the caller's unit of work: open, vote, withdraw, delegate — each audited."""

from __future__ import annotations

from datetime import datetime

from core import approval as a
from core.audit import AuditEntry
from core.errors import NotFound
from core.org import Org
from core.ports import UnitOfWork
from core.services import Policy, person

AUDIT_ENTITY = "approval"


def _audit(
    uow: UnitOfWork,
    before: a.Approval | None,
    after: a.Approval,
    action: str,
    actor: str,
    now: datetime,
    note: str | None = None,
) -> None:
    assert after.id is not None
    uow.audit.append(
        AuditEntry(
            entity=AUDIT_ENTITY,
            entity_id=str(after.id),
            action=action,
            actor=actor,
            at=now,
            before={} if before is None else {"state": before.state.value, "step": before.step},
            after={"state": after.state.value, "step": after.step, "kind": after.kind, "subject": after.subject},
            note=note,
        )
    )


def open_approval(
    uow: UnitOfWork, *, policy: Policy, kind: str, subject: str, requester: str, department: str | None, now: datetime
) -> a.Approval:
    """Start the configured chain for ``kind`` (return, replacement, order_review) on ``subject``."""
    approval = uow.approvals.add(
        a.start(
            kind=kind,
            subject=subject,
            requester=requester,
            department=department,
            steps=policy.chains[kind],
            now=now,
            calendar=policy.calendar,
            tz=policy.tz,
        )
    )
    _audit(uow, None, approval, "open", requester, now)
    return approval


def load(uow: UnitOfWork, approval_id: int) -> a.Approval:
    """An approval by id; NotFound otherwise."""
    found = uow.approvals.get(approval_id)
    if found is None:
        raise NotFound("找不到这个审批,卡片可能已失效。")
    return found


def vote(
    uow: UnitOfWork,
    *,
    org: Org,
    policy: Policy,
    user_id: str,
    approval_id: int,
    step: int,
    verdict: a.Verdict,
    comment: str | None,
    now: datetime,
) -> tuple[a.Approval, a.Approval]:
    """A tap on approve or reject. The tapper is checked against the step as stored, never the card."""
    person(org, user_id)
    before = load(uow, approval_id)
    a.require_step(before, step, org, policy.tz)
    stand_in = a.stands_in(before, user_id, org)
    after = a.decide(
        before,
        actor=user_id,
        verdict=verdict,
        comment=comment,
        now=now,
        org=org,
        calendar=policy.calendar,
        tz=policy.tz,
    )
    uow.approvals.save(after, expected_version=before.version)
    cast = after.votes[-1]
    note = cast.comment
    if cast.on_behalf_of:
        note = f"代{org.name_of(cast.on_behalf_of)}审批" + (f":{cast.comment}" if cast.comment else "")
    elif stand_in:  # the step's only approver is the requester: their manager (or the GM) decides instead
        note = f"申请人不能审批自己的申请,代「{before.steps[before.step].name}」审批" + (
            f":{cast.comment}" if cast.comment else ""
        )
    _audit(uow, before, after, verdict.value, user_id, now, note)
    return before, after


def withdraw(
    uow: UnitOfWork, *, org: Org, policy: Policy, user_id: str, approval_id: int, step: int, now: datetime
) -> tuple[a.Approval, a.Approval]:
    """The requester withdraws before the decision."""
    person(org, user_id)
    before = load(uow, approval_id)
    a.require_step(before, step, org, policy.tz)
    after = a.withdraw(before, actor=user_id, now=now, org=org, tz=policy.tz)
    uow.approvals.save(after, expected_version=before.version)
    _audit(uow, before, after, "withdraw", user_id, now)
    return before, after


def delegate(
    uow: UnitOfWork,
    *,
    org: Org,
    policy: Policy,
    user_id: str,
    approval_id: int,
    step: int,
    deputy: str,
    now: datetime,
) -> tuple[a.Approval, a.Approval]:
    """An approver hands their part of the step to a deputy; both are in the audit."""
    person(org, user_id)
    before = load(uow, approval_id)
    a.require_step(before, step, org, policy.tz)
    after = a.delegate(before, actor=user_id, deputy=deputy.strip(), now=now, org=org)
    uow.approvals.save(after, expected_version=before.version)
    _audit(uow, before, after, "delegate", user_id, now, f"转交给{org.name_of(deputy.strip())}")
    return before, after
