"""How approvals, returns and orders become ``record`` rows and back: the ``Codec`` shape and their codecs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, Protocol, TypeVar

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
from core.clocks import ClockPolicy, ClockUnit
from core.orders import Order, OrderState
from core.returns import ReturnRequest, ReturnState


class _Record(Protocol):
    @property
    def id(self) -> int | None: ...

    @property
    def version(self) -> int: ...


R = TypeVar("R", bound=_Record)


def to_iso(v: datetime | None) -> str | None:
    """A time as stored in a record's JSON (None stays None)."""
    return v.isoformat() if v else None


def from_iso(v: Any) -> datetime | None:
    """A stored time back (empty gives None)."""
    return datetime.fromisoformat(v) if v else None


def from_iso_required(v: Any) -> datetime:
    """A stored time that is always there."""
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
        "created_at": to_iso(a.created_at),
        "step_due_at": to_iso(a.step_due_at),
        "state": a.state.value,
        "step": a.step,
        "version": a.version,
        "votes": [
            {
                "step": v.step,
                "member": v.member,
                "approver": v.approver,
                "verdict": v.verdict.value,
                "at": to_iso(v.at),
                "comment": v.comment,
                "on_behalf_of": v.on_behalf_of,
            }
            for v in a.votes
        ],
        "deputies": [
            {"step": d.step, "member": d.member, "by": d.by, "to": d.to, "at": to_iso(d.at)} for d in a.deputies
        ],
        "decided_at": to_iso(a.decided_at),
        "last": [a.last_actor, a.last_action, to_iso(a.last_at)],
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
        created_at=from_iso_required(d["created_at"]),
        step_due_at=from_iso(d["step_due_at"]),
        state=ApprovalState(d["state"]),
        step=d["step"],
        version=d["version"],
        votes=tuple(
            Vote(
                step=v["step"],
                member=v["member"],
                approver=v["approver"],
                verdict=Verdict(v["verdict"]),
                at=from_iso_required(v["at"]),
                comment=v["comment"],
                on_behalf_of=v["on_behalf_of"],
            )
            for v in d["votes"]
        ),
        deputies=tuple(
            Deputy(step=x["step"], member=x["member"], by=x["by"], to=x["to"], at=from_iso_required(x["at"]))
            for x in d["deputies"]
        ),
        decided_at=from_iso(d["decided_at"]),
        last_actor=d["last"][0],
        last_action=d["last"][1],
        last_at=from_iso(d["last"][2]),
    )


# --- returns -----------------------------------------------------------------------------------------
_RETURN_DATES = ("created_at", "received_at", "processing_due_at", "closed_at", "last_at")


def return_to_data(r: ReturnRequest) -> dict[str, Any]:
    """ReturnRequest → JSON."""
    data: dict[str, Any] = {k: getattr(r, k) for k in ReturnRequest.__dataclass_fields__ if k != "id"}
    for k in _RETURN_DATES:
        data[k] = to_iso(data[k])
    data["state"] = r.state.value
    data["anomalies"] = list(r.anomalies)
    data["photos"] = list(r.photos)
    return data


def return_from_data(record_id: int, d: dict[str, Any]) -> ReturnRequest:
    """JSON → ReturnRequest."""
    values = dict(d)
    for k in _RETURN_DATES:
        values[k] = from_iso(values.get(k))
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
        data[k] = to_iso(data[k])
    data["delivery"] = o.delivery.isoformat() if o.delivery else None
    data["state"] = o.state.value
    return data


def order_from_data(record_id: int, d: dict[str, Any]) -> Order:
    """JSON → Order."""
    values = dict(d)
    for k in _ORDER_DATES:
        values[k] = from_iso(values.get(k))
    values["delivery"] = date.fromisoformat(values["delivery"]) if values.get("delivery") else None
    values["state"] = OrderState(values["state"])
    return Order(id=record_id, **values)


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
