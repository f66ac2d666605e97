"""Approval use cases inside the caller's unit of work: open, vote, withdraw, delegate — each audited."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core import approval as a
from core.audit import AuditEntry
from core.org import Org
from core.policy import Policy, person
from core.ports import UnitOfWork
from core.records import load as load_record

AUDIT_ENTITY = "approval"


def _store(
    uow: UnitOfWork,
    before: a.Approval | None,
    after: a.Approval,
    *,
    action: str,
    actor: str,
    now: datetime,
    note: str | None = None,
) -> a.Approval:
    """Add ``after`` (``before`` is None) or save it over ``before``, with one audit row of its state and step
    (all of them, not a diff: an approval's trail reads as the steps it went through)."""
    if before is None:
        after = uow.approvals.add(after)
    else:
        uow.approvals.save(after, expected_version=before.version)
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
    return after


def open_approval(
    uow: UnitOfWork, *, policy: Policy, kind: str, subject: str, requester: str, department: str | None, now: datetime
) -> a.Approval:
    """Start the configured chain for ``kind`` (return, replacement, order_review) on ``subject``."""
    started = a.start(
        kind=kind,
        subject=subject,
        requester=requester,
        department=department,
        steps=policy.chains[kind],
        now=now,
        calendar=policy.calendar,
        tz=policy.tz,
    )
    return _store(uow, None, started, action="open", actor=requester, now=now)


class Requested(Protocol):
    """A stored record someone requested (a return, an order): what an approval is opened on."""

    @property
    def id(self) -> int | None: ...

    @property
    def requester(self) -> str: ...


def open_approval_on(
    uow: UnitOfWork, record: Requested, *, entity: str, kind: str, department: str | None, policy: Policy, now: datetime
) -> a.Approval:
    """Start ``kind``'s chain on a stored ``record`` (subject '<entity>:<id>', e.g. 'return:3'), requested by
    the record's requester."""
    subject = f"{entity}:{record.id}"
    return open_approval(
        uow, policy=policy, kind=kind, subject=subject, requester=record.requester, department=department, now=now
    )


def load(uow: UnitOfWork, approval_id: int) -> a.Approval:
    """An approval by id; NotFound otherwise."""
    return load_record(uow.approvals, approval_id, missing="找不到这个审批,卡片可能已失效。")


def _tapped(uow: UnitOfWork, *, org: Org, policy: Policy, person_id: str, approval_id: int, step: int) -> a.Approval:
    """The approval a configured person tapped, while the card's ``step`` is still the current one."""
    person(org, person_id)
    before = load(uow, approval_id)
    a.require_step(before, step, org, policy.tz)
    return before


def _vote_note(before: a.Approval, cast: a.Vote, *, stand_in: bool, org: Org) -> str | None:
    """The audit note of a vote: its comment, and for whom it was cast when a deputy or stand-in cast it."""
    comment = f":{cast.comment}" if cast.comment else ""
    if cast.on_behalf_of:
        return f"代{org.name_of(cast.on_behalf_of)}审批" + comment
    if stand_in:  # the step's only approver is the requester: their manager (or the GM) decides instead
        return f"申请人不能审批自己的申请,代「{before.steps[before.step].name}」审批" + comment
    return cast.comment


def vote(
    uow: UnitOfWork,
    *,
    org: Org,
    policy: Policy,
    person_id: str,
    approval_id: int,
    step: int,
    verdict: a.Verdict,
    comment: str | None,
    now: datetime,
) -> tuple[a.Approval, a.Approval]:
    """A tap on approve or reject. The tapper is checked against the step as stored, never the card."""
    before = _tapped(uow, org=org, policy=policy, person_id=person_id, approval_id=approval_id, step=step)
    stand_in = a.stands_in(before, person_id, org)
    after = a.decide(
        before,
        actor=person_id,
        verdict=verdict,
        comment=comment,
        now=now,
        org=org,
        calendar=policy.calendar,
        tz=policy.tz,
    )
    note = _vote_note(before, after.votes[-1], stand_in=stand_in, org=org)
    return before, _store(uow, before, after, action=verdict.value, actor=person_id, now=now, note=note)


def withdraw(
    uow: UnitOfWork, *, org: Org, policy: Policy, person_id: str, approval_id: int, step: int, now: datetime
) -> tuple[a.Approval, a.Approval]:
    """The requester withdraws before the decision."""
    before = _tapped(uow, org=org, policy=policy, person_id=person_id, approval_id=approval_id, step=step)
    after = a.withdraw(before, actor=person_id, now=now, org=org, tz=policy.tz)
    return before, _store(uow, before, after, action="withdraw", actor=person_id, now=now)


def delegate(
    uow: UnitOfWork,
    *,
    org: Org,
    policy: Policy,
    person_id: str,
    approval_id: int,
    step: int,
    deputy: str,
    now: datetime,
) -> tuple[a.Approval, a.Approval]:
    """An approver hands their part of the step to a deputy; both are in the audit."""
    before = _tapped(uow, org=org, policy=policy, person_id=person_id, approval_id=approval_id, step=step)
    after = a.delegate(before, actor=person_id, deputy=deputy.strip(), now=now, org=org)
    note = f"转交给{org.name_of(deputy.strip())}"
    return before, _store(uow, before, after, action="delegate", actor=person_id, now=now, note=note)
