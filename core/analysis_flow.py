"""Return analysis use cases: open the report a return calls for, QA submits it — each audited."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from core import analysis as ra
from core.clocks import ClockName, due_at
from core.errors import NotFound
from core.org import Org, Person, Role
from core.policy import Policy
from core.ports import UnitOfWork
from core.records import store
from core.returns import ReturnRequest

AUDIT_ENTITY = "analysis"


def snapshot(a: ra.ReturnAnalysis) -> dict[str, Any]:
    """Audit view of a report: why it was opened, its owner, state and what QA wrote."""
    return {
        "state": a.state.value,
        "why": a.why,
        "owner": a.owner,
        "returns": list(a.returns),
        "analysis": a.analysis,
        "actions": a.actions,
    }


def open_if_due(
    uow: UnitOfWork, ret: ReturnRequest, *, org: Org, policy: Policy, actor: str, now: datetime
) -> ra.ReturnAnalysis | None:
    """After a return is approved: open the report when it is a batch or a repeat across customers (unless an
    open report already covers the product). Returns the new report."""
    if not ret.rma_no or ret.id is None:
        return None
    since = now - timedelta(days=policy.repeat_window_days)
    recent = [r for r in uow.returns.since(since) if r.id != ret.id]
    problems: dict[int, str | None] = {}
    for r in (*recent, ret):
        if r.complaint_id and r.complaint_id not in problems:
            form = uow.complaints.get(r.complaint_id)
            problems[r.complaint_id] = form.problem if form else None
    found = ra.trigger(ret, recent, problems, batch=policy.batch_return)
    if found is None or any(a.product == ret.product for a in uow.analyses.open()):
        return None
    why, returns = found
    qa = [p.id for p in org.with_role(Role.QA)]
    clock = policy.clocks[ClockName.IMPROVEMENT_REPORT]
    draft = ra.ReturnAnalysis(
        id=None,
        rma_no=ret.rma_no,
        product=ret.product or "",
        why=why,
        returns=returns,
        owner=qa[0] if qa else ret.requester,
        opened_at=now,
        due_at=due_at(now, clock, calendar=policy.calendar, tz=policy.tz),
    )
    return store(
        uow, uow.analyses, None, draft, entity=AUDIT_ENTITY, snapshot=snapshot, action="open", actor=actor, now=now
    )


def submit(
    uow: UnitOfWork, report_id: int, *, actor: Person, values: dict[str, str], card_version: int, now: datetime
) -> ra.ReturnAnalysis:
    """QA submits the analysis and the improvement actions."""
    report = uow.analyses.get(report_id)
    if report is None:
        raise NotFound("找不到这份报告。")
    after = ra.submit(report, actor=actor, values=values, card_version=card_version, now=now)
    return store(
        uow,
        uow.analyses,
        report,
        after,
        entity=AUDIT_ENTITY,
        snapshot=snapshot,
        action="submit",
        actor=actor.id,
        now=now,
    )
