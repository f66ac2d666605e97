"""The customer feedback form (客户反馈处理单): its states, fields and record (PROCEDURE §1)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from core.clocks import ClockName
from core.errors import MissingFields
from core.limits import DEFAULT_LIMITS, FIELD_LABELS, Limits
from core.org import Person


class State(StrEnum):
    """Where a form is in the procedure."""

    DRAFT = "draft"
    SUBMITTED = "submitted"  # waiting for QA's validity check
    ASSIGNED = "assigned"  # valid; the responsible department must respond
    RESPONDED = "responded"  # department answered; QA verifies effectiveness
    VERIFIED = "verified"  # effective; sales reports to the customer
    REPORTED = "reported"  # reported; waiting for the customer's acceptance
    INVALID = "invalid"  # customer-caused or misdirected; sales explains to the customer
    CLOSED = "closed"
    CANCELLED = "cancelled"  # a draft the sales person dropped


STATE_LABELS: dict[State, str] = {
    State.DRAFT: "草稿",
    State.SUBMITTED: "待品质确认",
    State.ASSIGNED: "待责任部门处理",
    State.RESPONDED: "待品质验证",
    State.VERIFIED: "待回复客户",
    State.REPORTED: "待客户确认",
    State.INVALID: "非我方责任,待向客户说明",
    State.CLOSED: "已结案",
    State.CANCELLED: "已取消",
}

OPEN_STATES = frozenset(
    {State.SUBMITTED, State.ASSIGNED, State.RESPONDED, State.VERIFIED, State.REPORTED, State.INVALID}
)


class Severity(StrEnum):
    """急件 or 普通件."""

    URGENT = "urgent"
    NORMAL = "normal"


SEVERITY_LABELS = {Severity.URGENT: "急件", Severity.NORMAL: "普通件"}


class Resolution(StrEnum):
    """How a closed form ended."""

    RESOLVED = "resolved"
    CUSTOMER_CAUSED = "customer_caused"
    MISDIRECTED = "misdirected"


RESOLUTION_LABELS = {
    Resolution.RESOLVED: "已解决,客户确认",
    Resolution.CUSTOMER_CAUSED: "客户原因(使用不当)",
    Resolution.MISDIRECTED: "误投",
}


class Action(StrEnum):
    """Every step a person can take on a form; the card button ids."""

    CONFIRM = "confirm"
    CANCEL = "cancel"
    VALID = "valid"
    CUSTOMER_CAUSED = "customer_caused"
    MISDIRECTED = "misdirected"
    RESPOND = "respond"
    EFFECTIVE = "effective"
    NOT_EFFECTIVE = "not_effective"
    REPORTED = "reported"
    ACCEPTED = "accepted"
    NOT_ACCEPTED = "not_accepted"
    EXPLAINED = "explained"
    EDIT = "edit"  # a draft field answered in chat (not a button)
    PHOTO = "photo"  # a photo attached (not a button)


ACTION_LABELS: dict[Action, str] = {
    Action.CONFIRM: "提交",
    Action.CANCEL: "取消",
    Action.VALID: "有效,指派部门",
    Action.CUSTOMER_CAUSED: "客户原因",
    Action.MISDIRECTED: "误投",
    Action.RESPOND: "提交对策",
    Action.EFFECTIVE: "验证有效",
    Action.NOT_EFFECTIVE: "无效,退回部门",
    Action.REPORTED: "已回复客户",
    Action.ACCEPTED: "客户已确认接收",
    Action.NOT_ACCEPTED: "客户不接受",
    Action.EXPLAINED: "已向客户说明",
    Action.EDIT: "补充信息",
    Action.PHOTO: "附照片",
}

# Fields a complaint needs before it can be submitted; the rest are optional.
REQUIRED_DETAILS = ("customer", "product", "defect", "quantity")
DETAILS = ("customer", "product", "defect", "quantity", "severity", "order_no", "contact", "received_via")
DETAIL_LABELS: dict[str, str] = {name: FIELD_LABELS[name] for name in DETAILS}
RESPONSE_LABELS: dict[str, str] = {
    "containment": "紧急对策(围堵)",
    "root_cause": "根本原因",
    "corrective": "纠正措施(长久对策)",
    "preventive": "预防措施(类似产品)",
}
REQUIRED_RESPONSE = ("containment", "root_cause", "corrective")


@dataclass(frozen=True)
class Details:
    """What sales wrote down about the complaint."""

    customer: str | None = None
    product: str | None = None
    defect: str | None = None
    quantity: int | None = None
    severity: Severity = Severity.NORMAL
    order_no: str | None = None
    contact: str | None = None
    received_via: str | None = None

    def missing(self) -> tuple[str, ...]:
        """Required fields still empty, in asking order."""
        return tuple(name for name in REQUIRED_DETAILS if getattr(self, name) in (None, ""))

    def merged(self, values: dict[str, str], limits: Limits = DEFAULT_LIMITS) -> Details:
        """These details with ``values`` (as typed in card inputs) filled in; blank values are ignored;
        a quantity or a text beyond ``limits`` is refused."""
        changes: dict[str, Any] = {}
        for name, raw in values.items():
            value = raw.strip()
            if name not in DETAIL_LABELS or not value:
                continue
            if name == "quantity":
                changes[name] = limits.quantity(value, label=DETAIL_LABELS[name])
            elif name == "severity":
                changes[name] = parse_severity(limits.text(value, field=name, label=DETAIL_LABELS[name]))
            else:
                changes[name] = limits.text(value, field=name, label=DETAIL_LABELS[name])
        return replace(self, **changes)


def parse_severity(value: str) -> Severity:
    """Accepts urgent/normal or 急/急件/普通."""
    v = value.strip().lower()
    if v in ("urgent", "急", "急件", "加急", "紧急"):
        return Severity.URGENT
    if v in ("normal", "普通", "普通件", "一般"):
        return Severity.NORMAL
    raise MissingFields(f"紧急程度只能是「急件」或「普通件」,收到的是「{value}」。", ("severity",))


@dataclass(frozen=True)
class DeptResponse:
    """The responsible department's answer (one per round)."""

    containment: str
    root_cause: str
    corrective: str
    preventive: str | None
    by: str
    at: datetime
    by_qa: bool = False  # QA filled it in for the department ([duties] qa_may_respond): 品质代填


@dataclass(frozen=True)
class Clock:
    """A running deadline on a form; ``met_at`` is set when the step it guards is done."""

    name: ClockName
    due_at: datetime
    met_at: datetime | None = None


@dataclass(frozen=True)
class Event:
    """Something that happened to a form: the audit entry and the trigger for messages."""

    action: Action
    actor: str
    at: datetime
    before: State
    after: State
    note: str | None = None


@dataclass(frozen=True)
class Complaint:
    """A customer feedback form. Transitions return a new Complaint; the caller stores it and its event."""

    id: int | None
    owner: str  # the sales person who logged it
    created_at: datetime
    details: Details
    state: State = State.DRAFT
    version: int = 1
    number: str | None = None
    submitted_at: datetime | None = None
    qa_owner: str | None = None
    department: str | None = None
    problem: str | None = None  # the problem type's id (core/problems.py): suggested at submit, set by QA
    repeat_of: tuple[str, ...] = ()  # earlier forms (numbers) with the same customer, product and problem
    round: int = 0  # department rounds: +1 each time the form goes (back) to the department
    response: DeptResponse | None = None
    qa_comment: str | None = None
    invalid_reason: str | None = None
    resolution: Resolution | None = None
    customer_note: str | None = None
    closed_at: datetime | None = None
    clocks: tuple[Clock, ...] = ()
    last_action: Action | None = None
    last_actor: str | None = None
    last_at: datetime | None = None
    asking: str | None = None  # the draft field the bot asked for; the owner's next message answers it
    photos: tuple[str, ...] = ()  # media ids, oldest first (stored apart, so attaching never races a decision)
    events: tuple[Event, ...] = field(default=(), compare=False)  # new since loaded: what to audit

    @property
    def label(self) -> str:
        """The number once issued, otherwise '草稿'."""
        return self.number or "草稿"

    def clock(self, name: ClockName) -> Clock | None:
        """The clock called ``name``, if running on this form."""
        return next((c for c in self.clocks if c.name == name), None)

    def _meet(self, names: tuple[ClockName, ...], now: datetime) -> tuple[Clock, ...]:
        return tuple(replace(c, met_at=now) if c.name in names and c.met_at is None else c for c in self.clocks)

    def _to(
        self, state: State, action: Action, actor: Person, now: datetime, note: str | None = None, **changes: Any
    ) -> Complaint:
        event = Event(action=action, actor=actor.id, at=now, before=self.state, after=state, note=note)
        return replace(
            self,
            state=state,
            version=self.version + 1,
            last_action=action,
            last_actor=actor.id,
            last_at=now,
            events=(*self.events, event),
            **changes,
        )
