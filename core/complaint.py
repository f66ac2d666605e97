"""The customer feedback form (客户反馈处理单) and its states and transitions (PROCEDURE §1)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Any

from core.clocks import ClockName
from core.duties import BY_QA, STRICT, Duties, check_verifier, department_name, responds_as_qa
from core.errors import MissingFields, NotAllowed, StaleCard
from core.limits import DEFAULT_LIMITS, FIELD_LABELS, Limits
from core.org import Org, Person, Role


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


def _need(values: dict[str, str], names: tuple[str, ...], labels: dict[str, str]) -> dict[str, str]:
    got = {n: values.get(n, "").strip() for n in names}
    missing = tuple(n for n, v in got.items() if not v)
    if missing:
        raise MissingFields("请填写:" + "、".join(labels[n] for n in missing) + "。", missing)
    return got


def _require_state(form: Complaint, *states: State) -> None:
    if form.state not in states:
        raise StaleCard(f"{form.label} 当前状态为「{STATE_LABELS[form.state]}」,不能执行此操作。")


def _require_role(actor: Person, *roles: Role, what: str) -> None:
    if not actor.has_any(*roles):
        raise NotAllowed(f"您没有权限{what}。")


QA_ROLES = (Role.QA, Role.QA_MANAGER)
COMMENT_LABEL = {"comment": "意见/原因", "reason": "原因", "department": "责任部门", "note": "客户意见"}


@dataclass(frozen=True)
class _Ask:
    """One requested step: who asks, with which values, against which org, at what time, under which duties."""

    action: Action
    actor: Person
    values: dict[str, str]
    org: Org
    now: datetime
    duties: Duties

    def text(self, name: str) -> str | None:
        """An optional typed value, stripped; None when blank."""
        return self.values.get(name, "").strip() or None


def _cancel(form: Complaint, ask: _Ask) -> Complaint:
    """The owner drops a draft: it is cancelled and closed now."""
    _require_state(form, State.DRAFT)
    require_owner(form, ask.actor, "取消这张草稿")
    return form._to(State.CANCELLED, ask.action, ask.actor, ask.now, closed_at=ask.now, asking=None)


def _validity(form: Complaint, ask: _Ask) -> Complaint:
    """QA judges a submitted form: valid goes to a department, customer-caused or misdirected needs a reason."""
    _require_state(form, State.SUBMITTED)
    _require_role(ask.actor, *QA_ROLES, what="做有效性确认(需要品质部)")
    if ask.action is Action.VALID:
        key = _need(ask.values, ("department",), COMMENT_LABEL)["department"]
        dept = ask.org.department(key)
        if dept is None:
            names = "、".join(d.name for d in ask.org.departments)
            raise MissingFields(f"没有「{key}」这个部门,可选:{names}。", ("department",))
        return form._to(
            State.ASSIGNED,
            ask.action,
            ask.actor,
            ask.now,
            note=dept.name,
            qa_owner=ask.actor.id,
            department=dept.id,
            round=form.round + 1,
        )
    reason = _need(ask.values, ("reason",), COMMENT_LABEL)["reason"]
    return form._to(
        State.INVALID,
        ask.action,
        ask.actor,
        ask.now,
        note=reason,
        qa_owner=ask.actor.id,
        invalid_reason=reason,
        resolution=Resolution(ask.action.value),
        # Nothing to handle; the customer still needs sales' explanation (the first response).
        clocks=form._meet((ClockName.URGENT, ClockName.NORMAL), ask.now),
    )


def _respond(form: Complaint, ask: _Ask) -> Complaint:
    """The department (or QA, where duties allow) answers an assigned form; the first-response clock is met."""
    _require_state(form, State.ASSIGNED)
    by_qa = responds_as_qa(form.department, ask.actor, ask.org, ask.duties)
    got = _need(ask.values, REQUIRED_RESPONSE, RESPONSE_LABELS)
    response = DeptResponse(
        containment=got["containment"],
        root_cause=got["root_cause"],
        corrective=got["corrective"],
        preventive=ask.text("preventive"),
        by=ask.actor.id,
        at=ask.now,
        by_qa=by_qa,
    )
    return form._to(
        State.RESPONDED,
        ask.action,
        ask.actor,
        ask.now,
        note=f"{department_name(form.department, ask.org)}对策由{BY_QA}" if by_qa else None,
        response=response,
        clocks=form._meet((ClockName.FIRST_RESPONSE,), ask.now),
    )


def _verify(form: Complaint, ask: _Ask) -> Complaint:
    """QA (not the responder) verifies: effective meets the handling clocks, not effective goes back with a comment."""
    _require_state(form, State.RESPONDED)
    _require_role(ask.actor, *QA_ROLES, what="验证对策效果(需要品质部)")
    check_verifier(form.response.by if form.response else None, ask.actor)
    if ask.action is Action.EFFECTIVE:
        return form._to(
            State.VERIFIED,
            ask.action,
            ask.actor,
            ask.now,
            qa_comment=ask.text("comment"),
            clocks=form._meet((ClockName.URGENT, ClockName.NORMAL), ask.now),
        )
    comment = _need(ask.values, ("comment",), COMMENT_LABEL)["comment"]
    return form._to(
        State.ASSIGNED, ask.action, ask.actor, ask.now, note=comment, qa_comment=comment, round=form.round + 1
    )


def _reported(form: Complaint, ask: _Ask) -> Complaint:
    """The owner records that the verified answer was reported to the customer."""
    _require_state(form, State.VERIFIED)
    require_owner(form, ask.actor, "登记回复客户")
    return form._to(State.REPORTED, ask.action, ask.actor, ask.now, note=ask.text("note"))


def _acceptance(form: Complaint, ask: _Ask) -> Complaint:
    """The owner records the customer's answer: accepted closes as resolved, not accepted goes back with a note."""
    _require_state(form, State.REPORTED)
    require_owner(form, ask.actor, "登记客户确认")
    if ask.action is Action.ACCEPTED:
        note = ask.text("note")
        return form._to(
            State.CLOSED,
            ask.action,
            ask.actor,
            ask.now,
            note=note,
            customer_note=note,
            resolution=Resolution.RESOLVED,
            closed_at=ask.now,
        )
    comment = _need(ask.values, ("note",), COMMENT_LABEL)["note"]
    return form._to(
        State.ASSIGNED, ask.action, ask.actor, ask.now, note=comment, customer_note=comment, round=form.round + 1
    )


def _explained(form: Complaint, ask: _Ask) -> Complaint:
    """The owner records explaining an invalid form to the customer: it closes and the first-response clock is met."""
    _require_state(form, State.INVALID)
    require_owner(form, ask.actor, "登记已向客户说明")
    return form._to(
        State.CLOSED,
        ask.action,
        ask.actor,
        ask.now,
        note=ask.text("note"),
        closed_at=ask.now,
        clocks=form._meet((ClockName.FIRST_RESPONSE,), ask.now),
    )


_STEPS: dict[Action, Callable[[Complaint, _Ask], Complaint]] = {
    Action.CANCEL: _cancel,
    Action.VALID: _validity,
    Action.CUSTOMER_CAUSED: _validity,
    Action.MISDIRECTED: _validity,
    Action.RESPOND: _respond,
    Action.EFFECTIVE: _verify,
    Action.NOT_EFFECTIVE: _verify,
    Action.REPORTED: _reported,
    Action.ACCEPTED: _acceptance,
    Action.NOT_ACCEPTED: _acceptance,
    Action.EXPLAINED: _explained,
}


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
    step = _STEPS.get(action)
    if step is None:
        raise NotAllowed("未知操作。")
    return step(form, _Ask(action=action, actor=actor, values=values, org=org, now=now, duties=duties))


def require_owner(form: Complaint, actor: Person, what: str) -> None:
    """Steps that belong to the sales person who logged the form."""
    if actor.id != form.owner:
        raise NotAllowed(f"只有本单业务员可以{what}。")


def check_submit(form: Complaint, *, actor: Person) -> None:
    """Only the owner may submit, only a draft, and only once the required fields are filled."""
    _require_state(form, State.DRAFT)
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
    _require_state(form, State.DRAFT)
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
