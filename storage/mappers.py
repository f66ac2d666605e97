"""Explicit mappers between domain dataclasses and ``*Row`` tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.clocks import ClockName
from core.complaint import OPEN_STATES, Action, Clock, Complaint, DeptResponse, Details, Resolution, Severity, State
from storage.tables import ComplaintRow


def _dt(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse_dt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def complaint_to_row(form: Complaint, row: ComplaintRow | None = None) -> ComplaintRow:
    """Copy a form into a (new or existing) row."""
    row = row or ComplaintRow(owner=form.owner, state=form.state.value, version=form.version, severity="normal")
    d = form.details
    row.number = form.number
    row.owner = form.owner
    row.state = form.state.value
    row.version = form.version
    row.created_at = form.created_at
    row.submitted_at = form.submitted_at
    row.closed_at = form.closed_at
    row.customer = d.customer
    row.product = d.product
    row.severity = d.severity.value
    row.department = form.department
    row.problem = form.problem
    row.qa_owner = form.qa_owner
    row.round = form.round
    row.resolution = form.resolution.value if form.resolution else None
    row.last_action = form.last_action.value if form.last_action else None
    row.last_actor = form.last_actor
    row.last_at = form.last_at
    row.nag_rules = "" if form.state in OPEN_STATES else None  # written: the next reminder pass looks at it
    row.nag_at = None
    r = form.response
    row.data = {
        "defect": d.defect,
        "quantity": d.quantity,
        "order_no": d.order_no,
        "contact": d.contact,
        "received_via": d.received_via,
        "response": None
        if r is None
        else {
            "containment": r.containment,
            "root_cause": r.root_cause,
            "corrective": r.corrective,
            "preventive": r.preventive,
            "by": r.by,
            "at": _dt(r.at),
            "by_qa": r.by_qa,
        },
        "qa_comment": form.qa_comment,
        "invalid_reason": form.invalid_reason,
        "customer_note": form.customer_note,
        "asking": form.asking,
        "clocks": [{"name": c.name.value, "due_at": _dt(c.due_at), "met_at": _dt(c.met_at)} for c in form.clocks],
        "repeat_of": list(form.repeat_of),
    }
    return row


def complaint_from_row(row: ComplaintRow, photos: tuple[str, ...] = ()) -> Complaint:
    """Rebuild the domain form from its row (and its photos, stored apart)."""
    data = row.data
    resp = data.get("response")
    assert row.id is not None
    return Complaint(
        id=row.id,
        owner=row.owner,
        created_at=row.created_at,
        details=Details(
            customer=row.customer,
            product=row.product,
            defect=data.get("defect"),
            quantity=data.get("quantity"),
            severity=Severity(row.severity),
            order_no=data.get("order_no"),
            contact=data.get("contact"),
            received_via=data.get("received_via"),
        ),
        state=State(row.state),
        version=row.version,
        number=row.number,
        submitted_at=row.submitted_at,
        qa_owner=row.qa_owner,
        department=row.department,
        problem=row.problem,
        repeat_of=tuple(data.get("repeat_of") or ()),
        round=row.round,
        response=None
        if not resp
        else DeptResponse(
            containment=resp["containment"],
            root_cause=resp["root_cause"],
            corrective=resp["corrective"],
            preventive=resp.get("preventive"),
            by=resp["by"],
            at=datetime.fromisoformat(resp["at"]),
            by_qa=bool(resp.get("by_qa")),
        ),
        qa_comment=data.get("qa_comment"),
        invalid_reason=data.get("invalid_reason"),
        resolution=Resolution(row.resolution) if row.resolution else None,
        customer_note=data.get("customer_note"),
        closed_at=row.closed_at,
        clocks=tuple(
            Clock(ClockName(c["name"]), datetime.fromisoformat(c["due_at"]), _parse_dt(c.get("met_at")))
            for c in data.get("clocks", [])
        ),
        last_action=Action(row.last_action) if row.last_action else None,
        last_actor=row.last_actor,
        last_at=row.last_at,
        asking=data.get("asking"),
        photos=photos,
    )
