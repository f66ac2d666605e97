"""The running clocks (watches) of each kind of record: who owes which step by when, named by its watch key.

The scheduler's pass (``running``, ``core.nag_notes.due_looks``) and the acknowledge button (``find``) share one
table of the record kinds that have clocks (``sources``); the keys' grammar is ``core.kinds``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from core import kinds
from core.analysis import AnalysisState, ReturnAnalysis
from core.approval import CHAIN_LABELS, Approval, ApprovalState, waiting_for
from core.campaign import Campaign
from core.clocks import CLOCK_LABELS, ClockName
from core.complaint import OPEN_STATES, Complaint
from core.eightd import EightD, EightDState
from core.kinds import Kind
from core.messages import RecipientKind
from core.nag import Watch
from core.org import Org, Role
from core.ports import Records, UnitOfWork
from core.returns import ReturnRequest, ReturnState
from core.routing import department_people, route
from core.visits import Visit


def complaint_watches(form: Complaint, org: Org, acknowledged: frozenset[str] = frozenset()) -> list[Watch]:
    """The running clocks of an open form: first response (the sales owner), handling (whoever acts next),
    an improvement report (the responsible department)."""
    if form.state not in OPEN_STATES or form.id is None:
        return []
    actors = tuple(r.id for r in route(form, org).actors if r.kind is RecipientKind.USER) or (form.owner,)
    out = []
    for clock in form.clocks:
        if clock.met_at is not None:
            continue
        if clock.name is ClockName.FIRST_RESPONSE:
            owners: tuple[str, ...] = (form.owner,)
        elif clock.name is ClockName.IMPROVEMENT_REPORT:
            owners = tuple(r.id for r in department_people(form, org)) or actors
        else:
            owners = actors
        key = kinds.COMPLAINT.watch_key(form.id, clock.name.value)
        out.append(
            Watch(
                key=key,
                title=f"{form.label} {CLOCK_LABELS[clock.name]}",
                started_at=form.submitted_at or form.created_at,
                due_at=clock.due_at,
                owners=owners,
                clock=clock.name.value,
                urgent=clock.name is ClockName.URGENT,
                acknowledged=key in acknowledged,
            )
        )
    return out


def approval_watches(approval: Approval, org: Org, acknowledged: frozenset[str] = frozenset()) -> list[Watch]:
    """The current step of a pending approval: whoever may still decide it."""
    step = approval.current
    if approval.state is not ApprovalState.PENDING or step is None or approval.step_due_at is None:
        return []
    owners = tuple(sorted(set().union(*waiting_for(approval, org).values())))
    key = kinds.APPROVAL.watch_key(approval.id, f"s{approval.step}")
    kind = CHAIN_LABELS.get(approval.kind, approval.kind)
    return [
        Watch(
            key=key,
            title=f"审批:{kind}「{step.name}」",
            started_at=approval.last_at or approval.created_at,
            due_at=approval.step_due_at,
            owners=owners,
            clock="approval",
            acknowledged=key in acknowledged,
        )
    ]


def return_watches(ret: ReturnRequest, org: Org, acknowledged: frozenset[str] = frozenset()) -> list[Watch]:
    """A received return's processing result, owed by QA (PROCEDURE §2.4: 5 days)."""
    if ret.state is not ReturnState.RECEIVED or ret.processing_due_at is None or ret.id is None:
        return []
    key = kinds.RETURN.watch_key(ret.id, "processing")
    return [
        Watch(
            key=key,
            title=f"{ret.label} {CLOCK_LABELS[ClockName.RETURN_PROCESSING]}",
            started_at=ret.received_at or ret.created_at,
            due_at=ret.processing_due_at,
            owners=tuple(p.id for p in org.with_role(Role.QA)),
            clock=ClockName.RETURN_PROCESSING.value,
            acknowledged=key in acknowledged,
        )
    ]


def eightd_watches(e: EightD, org: Org, acknowledged: frozenset[str] = frozenset()) -> list[Watch]:
    """The next discipline of an open 8D (its owner), or the closure waiting for the qa_manager (2 days)."""
    if e.id is None:
        return []
    step = e.current
    if e.state is EightDState.OPEN and step is not None:
        key = kinds.EIGHTD.watch_key(e.id, step.key)
        owners: tuple[str, ...] = (e.owner,)
        title, due = f"{e.label} {step.label}", e.due_at(step)
    elif e.state is EightDState.CLOSING:
        key = kinds.EIGHTD.watch_key(e.id, "close")
        owners = tuple(p.id for p in org.with_role(Role.QA_MANAGER)) or (e.owner,)
        title, due = f"{e.label} 批准结案", (e.last_at or e.opened_at) + timedelta(days=2)
    else:
        return []
    return [Watch(key, title, e.last_at or e.opened_at, due, owners, "8d", acknowledged=key in acknowledged)]


def analysis_watches(a: ReturnAnalysis, org: Org, acknowledged: frozenset[str] = frozenset()) -> list[Watch]:
    """An open return analysis report, owed by its QA owner (3 days by default)."""
    if a.id is None or a.state is not AnalysisState.OPEN:
        return []
    key = kinds.ANALYSIS.watch_key(a.id, "report")
    clock = ClockName.IMPROVEMENT_REPORT.value
    return [
        Watch(
            key,
            f"{a.label} 退货分析改善报告",
            a.opened_at,
            a.due_at,
            (a.owner,),
            clock,
            acknowledged=key in acknowledged,
        )
    ]


def visit_watches(v: Visit, org: Org, acknowledged: frozenset[str] = frozenset()) -> list[Watch]:
    """Each unanswered question of a visit, owed by its owner within 5 working days (PROCEDURE §7)."""
    if v.id is None:
        return []
    out = []
    for i, q in enumerate(v.questions):
        if q.answer:
            continue
        key = kinds.VISIT.watch_key(v.id, f"q{i + 1}")
        title = f"{v.label} 客户问题 {i + 1}「{q.text[:20]}」的答复"
        out.append(Watch(key, title, v.visited_at, q.due_at, (q.owner,), "visit", acknowledged=key in acknowledged))
    return out


def campaign_watches(c: Campaign, org: Org, acknowledged: frozenset[str] = frozenset()) -> list[Watch]:
    """Each sampled customer not yet surveyed, owed by its owner before the campaign closes."""
    if c.id is None or c.state != "open":
        return []
    out = []
    for i, s in enumerate(c.surveys):
        if s.scores:
            continue
        key = kinds.CAMPAIGN.watch_key(c.id, f"c{i}")
        title = f"{c.label}:{s.customer} 的调查"
        out.append(
            Watch(key, title, c.started_at, c.closes_at, (s.owner,), "campaign", acknowledged=key in acknowledged)
        )
    return out


# --- every kind of record in one place: the scheduler's pass and the acknowledge button share it --------------

WatchBuilder = Callable[[Any, Org, frozenset[str]], list[Watch]]


def sources(uow: UnitOfWork) -> dict[Kind, tuple[Records[Any], WatchBuilder]]:
    """Record kind → (its records, how their watches are built); complaints (``kinds.COMPLAINT``) are apart."""
    return {
        kinds.APPROVAL: (uow.approvals, approval_watches),
        kinds.RETURN: (uow.returns, return_watches),
        kinds.EIGHTD: (uow.eightds, eightd_watches),
        kinds.ANALYSIS: (uow.analyses, analysis_watches),
        kinds.VISIT: (uow.visits, visit_watches),
        kinds.CAMPAIGN: (uow.campaigns, campaign_watches),
    }


def running(uow: UnitOfWork, org: Org) -> list[Watch]:
    """Every running clock, with its acknowledgement (a reminder pass needs only ``due_looks``)."""
    acknowledged = uow.nags.acknowledged()
    out = [w for form in uow.complaints.open_forms() for w in complaint_watches(form, org, acknowledged)]
    for records, build in sources(uow).values():
        out += [w for item in records.open() for w in build(item, org, acknowledged)]
    return out


def find(uow: UnitOfWork, org: Org, key: str) -> Watch | None:
    """The running clock ``key`` names (``f12:normal``, ``a3:s1``, ``ra1:report``, …), if it still runs."""
    record = kinds.watched(key)
    if record is None:
        return None
    kind, number = record
    found: list[Watch] = []
    if kind is kinds.COMPLAINT:
        form = uow.complaints.get(number)
        found = complaint_watches(form, org) if form else []
    elif kind in (by_kind := sources(uow)):
        records, build = by_kind[kind]
        item = records.get(number)
        found = build(item, org, frozenset()) if item else []
    return next((w for w in found if w.key == key), None)
