"""Approvals, returns and orders in the ``record`` table: explicit codecs, one generic versioned repository."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Generic, Protocol, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col, select

from core.analysis import AnalysisState, ReturnAnalysis
from core.approval import (
    Approval,
    ApprovalState,
    Approver,
    ApproverKind,
    Deputy,
    Step,
    Verdict,
    Vote,
)
from core.campaign import Campaign, Survey
from core.clocks import ClockPolicy, ClockUnit
from core.eightd import EightD, EightDState, StepEntry
from core.errors import ConcurrentUpdate
from core.orders import Order, OrderState
from core.ports import NagPlan
from core.returns import ReturnRequest, ReturnState
from core.visits import Question, Visit
from storage.tables import RecordRow, UTCDateTime


class _Record(Protocol):
    @property
    def id(self) -> int | None: ...

    @property
    def version(self) -> int: ...


R = TypeVar("R", bound=_Record)


def _dt(v: datetime | None) -> str | None:
    return v.isoformat() if v else None


def _pdt(v: Any) -> datetime | None:
    return datetime.fromisoformat(v) if v else None


def _req_dt(v: Any) -> datetime:
    return datetime.fromisoformat(v)


@dataclass(frozen=True)
class Codec(Generic[R]):
    """How one kind of record becomes a row and back."""

    kind: str
    to_data: Callable[[R], dict[str, Any]]
    from_data: Callable[[int, dict[str, Any]], R]
    state: Callable[[R], str]
    number: Callable[[R], str | None]
    final_states: frozenset[str]


# --- approvals ---------------------------------------------------------------------------------------
def _step_to(s: Step) -> dict[str, Any]:
    return {
        "name": s.name,
        "members": [{"kind": m.kind.value, "value": m.value} for m in s.members],
        "quorum": s.quorum,
        "clock": {"amount": s.clock.amount, "unit": s.clock.unit.value},
    }


def _step_from(d: dict[str, Any]) -> Step:
    return Step(
        name=d["name"],
        members=tuple(Approver(ApproverKind(m["kind"]), m["value"]) for m in d["members"]),
        quorum=d["quorum"],
        clock=ClockPolicy(d["clock"]["amount"], ClockUnit(d["clock"]["unit"])),
    )


def approval_to_data(a: Approval) -> dict[str, Any]:
    """Approval → JSON."""
    return {
        "kind": a.kind,
        "subject": a.subject,
        "requester": a.requester,
        "department": a.department,
        "steps": [_step_to(s) for s in a.steps],
        "created_at": _dt(a.created_at),
        "step_due_at": _dt(a.step_due_at),
        "state": a.state.value,
        "step": a.step,
        "version": a.version,
        "votes": [
            {
                "step": v.step,
                "member": v.member,
                "approver": v.approver,
                "verdict": v.verdict.value,
                "at": _dt(v.at),
                "comment": v.comment,
                "on_behalf_of": v.on_behalf_of,
            }
            for v in a.votes
        ],
        "deputies": [{"step": d.step, "member": d.member, "by": d.by, "to": d.to, "at": _dt(d.at)} for d in a.deputies],
        "decided_at": _dt(a.decided_at),
        "last": [a.last_actor, a.last_action, _dt(a.last_at)],
    }


def approval_from_data(record_id: int, d: dict[str, Any]) -> Approval:
    """JSON → Approval."""
    return Approval(
        id=record_id,
        kind=d["kind"],
        subject=d["subject"],
        requester=d["requester"],
        department=d["department"],
        steps=tuple(_step_from(s) for s in d["steps"]),
        created_at=_req_dt(d["created_at"]),
        step_due_at=_pdt(d["step_due_at"]),
        state=ApprovalState(d["state"]),
        step=d["step"],
        version=d["version"],
        votes=tuple(
            Vote(
                step=v["step"],
                member=v["member"],
                approver=v["approver"],
                verdict=Verdict(v["verdict"]),
                at=_req_dt(v["at"]),
                comment=v["comment"],
                on_behalf_of=v["on_behalf_of"],
            )
            for v in d["votes"]
        ),
        deputies=tuple(
            Deputy(step=x["step"], member=x["member"], by=x["by"], to=x["to"], at=_req_dt(x["at"]))
            for x in d["deputies"]
        ),
        decided_at=_pdt(d["decided_at"]),
        last_actor=d["last"][0],
        last_action=d["last"][1],
        last_at=_pdt(d["last"][2]),
    )


# --- returns -----------------------------------------------------------------------------------------
_RETURN_DATES = ("created_at", "received_at", "processing_due_at", "closed_at", "last_at")


def return_to_data(r: ReturnRequest) -> dict[str, Any]:
    """ReturnRequest → JSON."""
    data: dict[str, Any] = {k: getattr(r, k) for k in ReturnRequest.__dataclass_fields__ if k != "id"}
    for k in _RETURN_DATES:
        data[k] = _dt(data[k])
    data["state"] = r.state.value
    data["anomalies"] = list(r.anomalies)
    data["photos"] = list(r.photos)
    return data


def return_from_data(record_id: int, d: dict[str, Any]) -> ReturnRequest:
    """JSON → ReturnRequest."""
    values = dict(d)
    for k in _RETURN_DATES:
        values[k] = _pdt(values.get(k))
    values["state"] = ReturnState(values["state"])
    values["anomalies"] = tuple(values.get("anomalies") or ())
    values["photos"] = tuple(values.get("photos") or ())
    return ReturnRequest(id=record_id, **values)


# --- orders ------------------------------------------------------------------------------------------
_ORDER_DATES = ("created_at", "released_at", "last_at")


def order_to_data(o: Order) -> dict[str, Any]:
    """Order → JSON."""
    data: dict[str, Any] = {k: getattr(o, k) for k in Order.__dataclass_fields__ if k != "id"}
    for k in _ORDER_DATES:
        data[k] = _dt(data[k])
    data["delivery"] = o.delivery.isoformat() if o.delivery else None
    data["state"] = o.state.value
    return data


def order_from_data(record_id: int, d: dict[str, Any]) -> Order:
    """JSON → Order."""
    values = dict(d)
    for k in _ORDER_DATES:
        values[k] = _pdt(values.get(k))
    values["delivery"] = date.fromisoformat(values["delivery"]) if values.get("delivery") else None
    values["state"] = OrderState(values["state"])
    return Order(id=record_id, **values)


# --- 8D ----------------------------------------------------------------------------------------------


def eightd_to_data(e: EightD) -> dict[str, Any]:
    """EightD → JSON."""
    return {
        "complaint_id": e.complaint_id,
        "complaint_no": e.complaint_no,
        "repeats": list(e.repeats),
        "owner": e.owner,
        "opened_at": _dt(e.opened_at),
        "created_at": _dt(e.opened_at),
        "entries": [{"key": x.key, "text": x.text, "by": x.by, "at": _dt(x.at)} for x in e.entries],
        "state": e.state.value,
        "version": e.version,
        "closed_at": _dt(e.closed_at),
        "last_actor": e.last_actor,
        "last_at": _dt(e.last_at),
    }


def eightd_from_data(record_id: int, d: dict[str, Any]) -> EightD:
    """JSON → EightD."""
    return EightD(
        id=record_id,
        complaint_id=int(d["complaint_id"]),
        complaint_no=str(d["complaint_no"]),
        repeats=tuple(d.get("repeats") or ()),
        owner=str(d["owner"]),
        opened_at=_req_dt(d["opened_at"]),
        entries=tuple(StepEntry(x["key"], x["text"], x["by"], _req_dt(x["at"])) for x in d.get("entries") or ()),
        state=EightDState(d["state"]),
        version=int(d["version"]),
        closed_at=_pdt(d.get("closed_at")),
        last_actor=d.get("last_actor"),
        last_at=_pdt(d.get("last_at")),
    )


EIGHTDS: Codec[EightD] = Codec(
    "8d",
    eightd_to_data,
    eightd_from_data,
    lambda e: e.state.value,
    lambda e: e.label,
    frozenset({"closed"}),
)
# --- return analysis reports ------------------------------------------------------------------------


def analysis_to_data(a: ReturnAnalysis) -> dict[str, Any]:
    """ReturnAnalysis → JSON."""
    data: dict[str, Any] = {k: getattr(a, k) for k in ReturnAnalysis.__dataclass_fields__ if k != "id"}
    for k in ("opened_at", "due_at", "done_at"):
        data[k] = _dt(data[k])
    data["created_at"] = data["opened_at"]
    data["returns"] = list(a.returns)
    data["state"] = a.state.value
    return data


def analysis_from_data(record_id: int, d: dict[str, Any]) -> ReturnAnalysis:
    """JSON → ReturnAnalysis."""
    values = {k: v for k, v in d.items() if k != "created_at"}
    for k in ("opened_at", "due_at", "done_at"):
        values[k] = _pdt(values.get(k))
    values["returns"] = tuple(values.get("returns") or ())
    values["state"] = AnalysisState(values["state"])
    return ReturnAnalysis(id=record_id, **values)


ANALYSES: Codec[ReturnAnalysis] = Codec(
    "ra",
    analysis_to_data,
    analysis_from_data,
    lambda a: a.state.value,
    lambda a: a.label,
    frozenset({"done"}),
)
# --- visits ------------------------------------------------------------------------------------------


def visit_to_data(v: Visit) -> dict[str, Any]:
    """Visit → JSON."""
    return {
        "customer": v.customer,
        "by": v.by,
        "visited_at": _dt(v.visited_at),
        "created_at": _dt(v.visited_at),
        "version": v.version,
        "questions": [
            {
                "text": q.text,
                "owner": q.owner,
                "due_at": _dt(q.due_at),
                "answer": q.answer,
                "answered_by": q.answered_by,
                "answered_at": _dt(q.answered_at),
            }
            for q in v.questions
        ],
    }


def visit_from_data(record_id: int, d: dict[str, Any]) -> Visit:
    """JSON → Visit."""
    return Visit(
        id=record_id,
        customer=str(d["customer"]),
        by=str(d["by"]),
        visited_at=_req_dt(d["visited_at"]),
        version=int(d["version"]),
        questions=tuple(
            Question(
                text=q["text"],
                owner=q["owner"],
                due_at=_req_dt(q["due_at"]),
                answer=q.get("answer"),
                answered_by=q.get("answered_by"),
                answered_at=_pdt(q.get("answered_at")),
            )
            for q in d.get("questions") or ()
        ),
    )


VISITS: Codec[Visit] = Codec(
    "visit", visit_to_data, visit_from_data, lambda v: v.state, lambda v: None, frozenset({"answered"})
)
# --- satisfaction campaigns ---------------------------------------------------------------------------


def campaign_to_data(c: Campaign) -> dict[str, Any]:
    """Campaign → JSON."""
    return {
        "name": c.name,
        "started_at": _dt(c.started_at),
        "created_at": _dt(c.started_at),
        "closes_at": _dt(c.closes_at),
        "percent": c.percent,
        "seed": c.seed,
        "population": c.population,
        "items": list(c.items),
        "target": c.target,
        "surveys": [
            {
                "customer": s.customer,
                "owner": s.owner,
                "scores": [list(x) for x in s.scores],
                "note": s.note,
                "by": s.by,
                "at": _dt(s.at),
            }
            for s in c.surveys
        ],
        "state": c.state,
        "version": c.version,
        "closed_at": _dt(c.closed_at),
    }


def campaign_from_data(record_id: int, d: dict[str, Any]) -> Campaign:
    """JSON → Campaign."""
    return Campaign(
        id=record_id,
        name=str(d["name"]),
        started_at=_req_dt(d["started_at"]),
        closes_at=_req_dt(d["closes_at"]),
        percent=int(d["percent"]),
        seed=int(d["seed"]),
        population=int(d["population"]),
        items=tuple(d["items"]),
        target=int(d["target"]),
        surveys=tuple(
            Survey(
                customer=s["customer"],
                owner=s["owner"],
                scores=tuple((str(i), str(lv)) for i, lv in s.get("scores") or ()),
                note=s.get("note"),
                by=s.get("by"),
                at=_pdt(s.get("at")),
            )
            for s in d.get("surveys") or ()
        ),
        state=str(d["state"]),
        version=int(d["version"]),
        closed_at=_pdt(d.get("closed_at")),
    )


CAMPAIGNS: Codec[Campaign] = Codec(
    "campaign", campaign_to_data, campaign_from_data, lambda c: c.state, lambda c: None, frozenset({"closed"})
)
APPROVALS: Codec[Approval] = Codec(
    "approval",
    approval_to_data,
    approval_from_data,
    lambda a: a.state.value,
    lambda a: None,
    frozenset({"approved", "rejected", "withdrawn"}),
)
RETURNS: Codec[ReturnRequest] = Codec(
    "return",
    return_to_data,
    return_from_data,
    lambda r: r.state.value,
    lambda r: r.rma_no,
    frozenset({"closed", "rejected", "withdrawn"}),
)
ORDERS: Codec[Order] = Codec(
    "order",
    order_to_data,
    order_from_data,
    lambda o: o.state.value,
    lambda o: o.number,
    frozenset({"released", "returned", "withdrawn"}),
)


class SqlRecords(Generic[R]):
    """One kind of record in the ``record`` table, with the optimistic version check of complaints."""

    def __init__(self, session: Session, codec: Codec[R]) -> None:
        self.session = session
        self.codec = codec

    def add(self, item: R) -> R:
        data = self.codec.to_data(item)
        row = RecordRow(
            kind=self.codec.kind,
            number=self.codec.number(item),
            state=self.codec.state(item),
            version=item.version,
            created_at=_req_dt(data["created_at"]),
            data=data,
            nag_rules=self._nag_rules(item),
        )
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        return replace(item, id=row.id)  # type: ignore[type-var]

    def _nag_rules(self, item: R) -> str | None:
        """A written record not in a final state is looked at by the next reminder pass ("", see ``nag_due``)."""
        return None if self.codec.state(item) in self.codec.final_states else ""

    def _one(self, row: RecordRow | None) -> R | None:
        return None if row is None or row.id is None else self.codec.from_data(row.id, row.data)

    def get(self, record_id: int) -> R | None:
        row = self.session.get(RecordRow, record_id, populate_existing=True)
        return self._one(row) if row is not None and row.kind == self.codec.kind else None

    def by_number(self, number: str) -> R | None:
        row = self.session.exec(
            select(RecordRow).where(RecordRow.kind == self.codec.kind, RecordRow.number == number)
        ).first()
        return self._one(row)

    def save(self, item: R, *, expected_version: int) -> None:
        assert item.id is not None
        result = self.session.execute(
            sa.update(RecordRow)
            .where(col(RecordRow.id) == item.id, col(RecordRow.version) == expected_version)
            .values(
                number=self.codec.number(item),
                state=self.codec.state(item),
                version=item.version,
                data=self.codec.to_data(item),
                nag_rules=self._nag_rules(item),
                nag_at=None,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentUpdate(f"{self.codec.kind} {item.id} changed since version {expected_version}")

    def open(self) -> Sequence[R]:
        rows = self.session.exec(
            select(RecordRow)
            .where(RecordRow.kind == self.codec.kind, col(RecordRow.state).not_in(list(self.codec.final_states)))
            .order_by(col(RecordRow.id))
        ).all()
        return [item for row in rows if (item := self._one(row)) is not None]

    def nag_due(self, *, rules: str, now: datetime) -> Sequence[R]:
        table: sa.Table = RecordRow.__table__  # type: ignore[attr-defined]
        rows = self.session.exec(  # no ORDER BY: SQLite would scan the table in id order instead of the index
            select(RecordRow).where(nag_due(table, rules=rules, now=now, only=[table.c.kind == self.codec.kind]))
        ).all()
        ordered = sorted((r for r in rows if r.state not in self.codec.final_states), key=lambda r: r.id or 0)
        return [item for row in ordered if (item := self._one(row)) is not None]

    def plan_nags(self, plans: Sequence[NagPlan], *, rules: str) -> None:
        plan_nags(self.session, RecordRow.__table__, plans, rules=rules)  # type: ignore[attr-defined]

    def since(self, when: datetime) -> Sequence[R]:
        rows = self.session.exec(
            select(RecordRow)
            .where(RecordRow.kind == self.codec.kind, col(RecordRow.created_at) >= when)
            .order_by(col(RecordRow.id))
        ).all()
        return [item for row in rows if (item := self._one(row)) is not None]


# --- the reminder pass's notes (``complaint`` and ``record`` alike) -----------------------------------------


def nag_due(
    table: sa.Table, *, rules: str, now: datetime, only: Sequence[sa.ColumnElement[bool]] = ()
) -> sa.ColumnElement[bool]:
    """Rows a reminder pass must look at: planned under these rules for ``now`` or earlier, written since (""),
    or planned under other rules — three ranges of the ``(…, nag_rules, nag_at)`` index (``!=`` would not use it),
    each with the ``only`` conditions on the index's leading columns (so SQLite takes each range from the index).
    Rows not open (None) match none."""
    return sa.or_(
        sa.and_(*only, table.c.nag_rules == rules, table.c.nag_at <= now),
        sa.and_(*only, table.c.nag_rules < rules),
        sa.and_(*only, table.c.nag_rules > rules),
    )


def plan_nags(session: Session, table: sa.Table, plans: Sequence[NagPlan], *, rules: str) -> None:
    """Write the next looks (one statement, executed for every plan), each only if the row is still at the version
    it was computed from; on PostgreSQL a row another transaction is writing is skipped (its write resets the
    note), so a pass never waits for, or deadlocks with, people's clicks."""
    if not plans:
        return
    stmt = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("b_id"), table.c.version == sa.bindparam("b_version"))
        .values(nag_rules=sa.bindparam("b_rules"), nag_at=sa.bindparam("b_at", type_=UTCDateTime()))
    )
    if session.get_bind().dialect.name == "postgresql":
        free = sa.select(table.c.id).where(table.c.id == sa.bindparam("b_id")).with_for_update(skip_locked=True)
        stmt = stmt.where(table.c.id == free.scalar_subquery())
    ordered = sorted(plans, key=lambda p: p.id)  # one lock order for every worker
    session.execute(
        stmt.execution_options(synchronize_session=False),
        [{"b_id": p.id, "b_version": p.version, "b_rules": rules, "b_at": p.at} for p in ordered],
    )
