"""The steps ``decide`` dispatches to: one small function per step of the procedure, and their guards."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from core.clocks import ClockName
from core.complaint_model import (
    REQUIRED_RESPONSE,
    RESPONSE_LABELS,
    STATE_LABELS,
    Action,
    Complaint,
    DeptResponse,
    Resolution,
    State,
)
from core.duties import BY_QA, Duties, check_verifier, department_name, responds_as_qa
from core.errors import MissingFields, NotAllowed, StaleCard
from core.org import Org, Person, Role


def need(values: dict[str, str], names: tuple[str, ...], labels: dict[str, str]) -> dict[str, str]:
    """The named values, stripped; any blank one is refused, naming its label."""
    got = {n: values.get(n, "").strip() for n in names}
    missing = tuple(n for n, v in got.items() if not v)
    if missing:
        raise MissingFields("请填写:" + "、".join(labels[n] for n in missing) + "。", missing)
    return got


def require_state(form: Complaint, *states: State) -> None:
    """The step is refused unless the form is in one of ``states``."""
    if form.state not in states:
        raise StaleCard(f"{form.label} 当前状态为「{STATE_LABELS[form.state]}」,不能执行此操作。")


def require_role(actor: Person, *roles: Role, what: str) -> None:
    """The step is refused unless the actor holds one of ``roles``."""
    if not actor.has_any(*roles):
        raise NotAllowed(f"您没有权限{what}。")


QA_ROLES = (Role.QA, Role.QA_MANAGER)
COMMENT_LABEL = {"comment": "意见/原因", "reason": "原因", "department": "责任部门", "note": "客户意见"}


def require_owner(form: Complaint, actor: Person, what: str) -> None:
    """Steps that belong to the sales person who logged the form."""
    if actor.id != form.owner:
        raise NotAllowed(f"只有本单业务员可以{what}。")


@dataclass(frozen=True)
class Ask:
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


def _cancel(form: Complaint, ask: Ask) -> Complaint:
    """The owner drops a draft: it is cancelled and closed now."""
    require_state(form, State.DRAFT)
    require_owner(form, ask.actor, "取消这张草稿")
    return form._to(State.CANCELLED, ask.action, ask.actor, ask.now, closed_at=ask.now, asking=None)


def _validity(form: Complaint, ask: Ask) -> Complaint:
    """QA judges a submitted form: valid goes to a department, customer-caused or misdirected needs a reason."""
    require_state(form, State.SUBMITTED)
    require_role(ask.actor, *QA_ROLES, what="做有效性确认(需要品质部)")
    if ask.action is Action.VALID:
        key = need(ask.values, ("department",), COMMENT_LABEL)["department"]
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
    reason = need(ask.values, ("reason",), COMMENT_LABEL)["reason"]
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


def _respond(form: Complaint, ask: Ask) -> Complaint:
    """The department (or QA, where duties allow) answers an assigned form; the first-response clock is met."""
    require_state(form, State.ASSIGNED)
    by_qa = responds_as_qa(form.department, ask.actor, ask.org, ask.duties)
    got = need(ask.values, REQUIRED_RESPONSE, RESPONSE_LABELS)
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


def _verify(form: Complaint, ask: Ask) -> Complaint:
    """QA (not the responder) verifies: effective meets the handling clocks, not effective goes back with a comment."""
    require_state(form, State.RESPONDED)
    require_role(ask.actor, *QA_ROLES, what="验证对策效果(需要品质部)")
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
    comment = need(ask.values, ("comment",), COMMENT_LABEL)["comment"]
    return form._to(
        State.ASSIGNED, ask.action, ask.actor, ask.now, note=comment, qa_comment=comment, round=form.round + 1
    )


def _reported(form: Complaint, ask: Ask) -> Complaint:
    """The owner records that the verified answer was reported to the customer."""
    require_state(form, State.VERIFIED)
    require_owner(form, ask.actor, "登记回复客户")
    return form._to(State.REPORTED, ask.action, ask.actor, ask.now, note=ask.text("note"))


def _acceptance(form: Complaint, ask: Ask) -> Complaint:
    """The owner records the customer's answer: accepted closes as resolved, not accepted goes back with a note."""
    require_state(form, State.REPORTED)
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
    comment = need(ask.values, ("note",), COMMENT_LABEL)["note"]
    return form._to(
        State.ASSIGNED, ask.action, ask.actor, ask.now, note=comment, customer_note=comment, round=form.round + 1
    )


def _explained(form: Complaint, ask: Ask) -> Complaint:
    """The owner records explaining an invalid form to the customer: it closes and the first-response clock is met."""
    require_state(form, State.INVALID)
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


STEPS: dict[Action, Callable[[Complaint, Ask], Complaint]] = {
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
