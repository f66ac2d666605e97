"""Order review (合同评审) use cases: submit, settle its approval, change — each audited."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from core import approval as a
from core import orders as o
from core.approval_flow import open_approval_on
from core.errors import StaleCard
from core.org import Org
from core.policy import Policy, person
from core.ports import UnitOfWork
from core.records import Kind, stale_card
from core.records import load as load_record

AUDIT_ENTITY = "order"
KIND = "order_review"


ORDERS: Kind[o.Order] = Kind(AUDIT_ENTITY, lambda uow: uow.orders, o.snapshot)


def _open_review(uow: UnitOfWork, order: o.Order, *, org: Org, policy: Policy, now: datetime) -> a.Approval:
    """Start the order_review chain on a stored order."""
    requester = org.person(order.requester)
    department = requester.department if requester else None
    return open_approval_on(uow, order, entity=AUDIT_ENTITY, kind=KIND, department=department, policy=policy, now=now)


def _link(uow: UnitOfWork, order: o.Order, approval: a.Approval) -> o.Order:
    linked = replace(order, approval_id=approval.id, version=order.version + 1)
    uow.orders.save(linked, expected_version=order.version)
    return linked


def submit(
    uow: UnitOfWork,
    *,
    org: Org,
    policy: Policy,
    person_id: str,
    customer: str | None,
    product: str | None,
    quantity: int | None,
    delivery: date | None,
    requirements: str | None,
    now: datetime,
) -> tuple[o.Order, a.Approval | None]:
    """Sales submits an order: a standard one is released at once, any other goes to the joint review."""
    actor = person(org, person_id)
    draft = o.new_order(
        requester=actor,
        number="",
        customer=customer,
        product=product,
        quantity=quantity,
        delivery=delivery,
        requirements=(requirements or "").strip() or None,
        now=now,
        org=org,
        limits=policy.limits,
    )  # checked before a number is allocated: a refused submit uses none
    month = f"{now.astimezone(policy.tz):%Y%m}"
    seq = uow.counters.next(f"OR-{month}")
    draft = replace(draft, number=f"OR-{month}-{seq:04d}")
    if draft.state is o.OrderState.RELEASED:
        return ORDERS.store(uow, None, draft, action="release", actor=actor.id, now=now, note="标准品"), None
    stored = ORDERS.store(uow, None, draft, action="submit", actor=actor.id, now=now)
    approval = _open_review(uow, stored, org=org, policy=policy, now=now)
    return _link(uow, stored, approval), approval


def load(uow: UnitOfWork, order_id: int) -> o.Order:
    """An order by id; NotFound otherwise."""
    return load_record(uow.orders, order_id, missing="找不到这张订单,卡片可能已失效。")


def subject_id(approval: a.Approval) -> int:
    """The order id an approval is about ('order:7' → 7)."""
    return int(approval.subject.split(":", 1)[1])


def reasons(approval: a.Approval) -> str | None:
    """The reviewers' reasons for disagreeing (the reject comments), one per line."""
    found = [v.comment for v in approval.votes if v.verdict is a.Verdict.REJECT and v.comment]
    return "\n".join(found) or None


def settle(uow: UnitOfWork, *, approval: a.Approval, now: datetime) -> o.Order:
    """The review was decided: all agreed (released), someone disagreed (returned) or it was withdrawn."""
    before = load(uow, subject_id(approval))
    actor = approval.last_actor or approval.requester
    if before.approval_id != approval.id:
        raise StaleCard(f"{before.number} 已有新的评审,这次评审已失效。")
    if approval.state is a.ApprovalState.WITHDRAWN:
        return ORDERS.store(
            uow, before, o.withdrawn(before, now=now, actor=actor), action="withdraw", actor=actor, now=now
        )
    agreed = approval.state is a.ApprovalState.APPROVED
    why = None if agreed else reasons(approval)
    after = o.reviewed(before, agreed=agreed, reasons=why, now=now, actor=actor)
    return ORDERS.store(uow, before, after, action="release" if agreed else "return", actor=actor, now=now, note=why)


def change(
    uow: UnitOfWork,
    *,
    org: Org,
    policy: Policy,
    person_id: str,
    order_id: int,
    card_version: int,
    values: dict[str, str],
    now: datetime,
) -> tuple[o.Order, o.Order, a.Approval | None]:
    """The requester changes a released or returned order: the review starts again (none if now standard)."""
    actor = person(org, person_id)
    before = load(uow, order_id)
    if before.version != card_version:
        now_is = f"{before.number} 当前:{o.ORDER_STATE_LABELS[before.state]}"
        raise stale_card(before, now_is=now_is, org=org, tz=policy.tz)
    after = o.change(before, actor=actor, values=values, now=now, org=org, limits=policy.limits)
    changed = ORDERS.store(uow, before, after, action="change", actor=actor.id, now=now)
    if changed.state is not o.OrderState.REVIEW:
        return before, changed, None
    approval = _open_review(uow, changed, org=org, policy=policy, now=now)
    return before, _link(uow, changed, approval), approval
