"""The customer feedback form (客户反馈处理单) and its states and transitions (PROCEDURE §1)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, tzinfo
from typing import Any

from core.complaint_model import (
    ACTION_LABELS,
    DETAIL_LABELS,
    DETAILS,
    OPEN_STATES,
    REQUIRED_DETAILS,
    REQUIRED_RESPONSE,
    RESOLUTION_LABELS,
    RESPONSE_LABELS,
    SEVERITY_LABELS,
    STATE_LABELS,
    Action,
    Clock,
    Complaint,
    DeptResponse,
    Details,
    Event,
    Resolution,
    Severity,
    State,
    parse_severity,
)
from core.complaint_steps import STEPS, Ask, require_owner, require_state
from core.duties import STRICT, Duties
from core.errors import MissingFields, NotAllowed, StaleCard
from core.limits import DEFAULT_LIMITS, Limits
from core.org import Org, Person

# The model lives in core.complaint_model and the steps in core.complaint_steps; this module is the one import path.
__all__ = [
    "ACTION_LABELS",
    "DETAILS",
    "DETAIL_LABELS",
    "OPEN_STATES",
    "QUESTIONS",
    "REQUIRED_DETAILS",
    "REQUIRED_RESPONSE",
    "RESOLUTION_LABELS",
    "RESPONSE_LABELS",
    "SEVERITY_LABELS",
    "STATE_LABELS",
    "Action",
    "Clock",
    "Complaint",
    "DeptResponse",
    "Details",
    "Event",
    "Resolution",
    "Severity",
    "State",
    "allowed_actions",
    "ask_next",
    "check_submit",
    "decide",
    "new_draft",
    "parse_severity",
    "require_open_card",
    "require_owner",
    "snapshot",
    "submit",
    "update_draft",
]


def require_open_card(form: Complaint, card_version: int, org: Org, tz: tzinfo) -> None:
    """A click on a card is valid only while the form is still at the version the card was sent at.

    A draft is the exception: only its owner acts on it, and every draft card (an earlier one too)
    submits what is stored now plus what the card carries.
    """
    if form.state is State.DRAFT and card_version <= form.version:
        return
    if card_version != form.version:
        who = ""
        if form.last_action and form.last_at:
            at = form.last_at.astimezone(tz)
            who = f",已被{org.name_of(form.last_actor)}于 {at:%m-%d %H:%M} {ACTION_LABELS[form.last_action]}"
        raise StaleCard(f"此卡片已失效{who}。{form.label} 当前状态:{STATE_LABELS[form.state]}。")


def decide(
    form: Complaint,
    *,
    action: Action,
    actor: Person,
    values: dict[str, str],
    org: Org,
    now: datetime,
    duties: Duties = STRICT,
) -> Complaint:
    """Apply one step of the procedure, checking state, role and assignee; raises a DomainError if not allowed.

    Submitting a draft (CONFIRM) is done by ``submit`` since it needs a number and clocks.
    """
    step = STEPS.get(action)
    if step is None:
        raise NotAllowed("未知操作。")
    return step(form, Ask(action=action, actor=actor, values=values, org=org, now=now, duties=duties))


def check_submit(form: Complaint, *, actor: Person) -> None:
    """Only the owner may submit, only a draft, and only once the required fields are filled."""
    require_state(form, State.DRAFT)
    require_owner(form, actor, "提交这张草稿")
    missing = form.details.missing()
    if missing:
        raise MissingFields("还缺:" + "、".join(DETAIL_LABELS[n] for n in missing) + "。", missing)


def submit(
    form: Complaint,
    *,
    actor: Person,
    number: str,
    now: datetime,
    clocks: tuple[Clock, ...],
    problem: str | None = None,
) -> Complaint:
    """A complete draft becomes a numbered form waiting for QA, with its clocks (and a suggested problem type)."""
    check_submit(form, actor=actor)
    return form._to(
        State.SUBMITTED,
        Action.CONFIRM,
        actor,
        now,
        note=number,
        number=number,
        submitted_at=now,
        clocks=clocks,
        asking=None,
        problem=problem or form.problem,
    )


QUESTIONS: dict[str, str] = {
    "customer": "是哪个客户?",
    "product": "是哪个产品(型号)?",
    "defect": "是什么问题(不良现象)?",
    "quantity": "影响数量是多少?",
}


def update_draft(
    form: Complaint, *, actor: Person, values: dict[str, str], now: datetime, limits: Limits = DEFAULT_LIMITS
) -> Complaint:
    """The owner adds to a draft (an answer in chat); the next missing field becomes the question."""
    require_state(form, State.DRAFT)
    require_owner(form, actor, "修改这张草稿")
    details = form.details.merged(values, limits)
    missing = details.missing()
    note = "、".join(DETAIL_LABELS[k] for k in values if k in DETAIL_LABELS and values[k].strip()) or None
    return form._to(
        State.DRAFT, Action.EDIT, actor, now, note=note, details=details, asking=missing[0] if missing else None
    )


def ask_next(form: Complaint) -> Complaint:
    """A new draft asks for its first missing field (no event: nothing happened yet)."""
    missing = form.details.missing()
    return replace(form, asking=missing[0] if missing else None)


def new_draft(*, owner: Person, details: Details, now: datetime) -> Complaint:
    """A draft logged by a sales person (any role may log what a customer said; sales usually do)."""
    return Complaint(id=None, owner=owner.id, created_at=now, details=details)


def allowed_actions(form: Complaint) -> tuple[Action, ...]:
    """The buttons the next actor gets in the current state."""
    return {
        State.DRAFT: (Action.CONFIRM, Action.CANCEL),
        State.SUBMITTED: (Action.VALID, Action.CUSTOMER_CAUSED, Action.MISDIRECTED),
        State.ASSIGNED: (Action.RESPOND,),
        State.RESPONDED: (Action.EFFECTIVE, Action.NOT_EFFECTIVE),
        State.VERIFIED: (Action.REPORTED,),
        State.REPORTED: (Action.ACCEPTED, Action.NOT_ACCEPTED),
        State.INVALID: (Action.EXPLAINED,),
    }.get(form.state, ())


def snapshot(form: Complaint) -> dict[str, Any]:
    """A flat JSON-able view of a form's business fields, for audit before/after."""
    d = form.details
    snap: dict[str, Any] = {
        "state": form.state.value,
        "number": form.number,
        "customer": d.customer,
        "product": d.product,
        "defect": d.defect,
        "quantity": d.quantity,
        "severity": d.severity.value,
        "order_no": d.order_no,
        "contact": d.contact,
        "received_via": d.received_via,
        "department": form.department,
        "qa_owner": form.qa_owner,
        "round": form.round,
        "qa_comment": form.qa_comment,
        "invalid_reason": form.invalid_reason,
        "resolution": form.resolution.value if form.resolution else None,
        "customer_note": form.customer_note,
    }
    if form.response is not None:
        r = form.response
        snap |= {
            "containment": r.containment,
            "root_cause": r.root_cause,
            "corrective": r.corrective,
            "preventive": r.preventive,
        }
        if r.by_qa:
            snap["response_by_qa"] = r.by
    return snap
