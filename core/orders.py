"""Order review (合同评审, PROCEDURE §3): standard orders pass straight through; others go to a parallel
review; all agree → a 生产通知书 to production, QA and the warehouse; any disagreement returns it to
sales with the reasons; a change to a reviewed order repeats the review."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from core.errors import MissingFields, NotAllowed, StaleCard
from core.limits import DEFAULT_LIMITS, YEARS_AROUND, Limits
from core.org import Org, Person, Role


class OrderState(StrEnum):
    """Where an order review is."""

    REVIEW = "review"
    RELEASED = "released"  # 生产通知书 issued
    RETURNED = "returned"  # a reviewer disagreed; back with sales
    WITHDRAWN = "withdrawn"


ORDER_STATE_LABELS = {
    OrderState.REVIEW: "评审中",
    OrderState.RELEASED: "已评审通过,已发生产通知书",
    OrderState.RETURNED: "评审未通过,退回业务员",
    OrderState.WITHDRAWN: "已撤回",
}


@dataclass(frozen=True)
class Order:
    """An order submitted for review; ``revision`` counts the reviews it has been through."""

    id: int | None
    number: str
    requester: str
    customer: str
    product: str
    quantity: int
    created_at: datetime
    delivery: date | None = None
    requirements: str | None = None
    standard: bool = False
    state: OrderState = OrderState.REVIEW
    version: int = 1
    revision: int = 1
    approval_id: int | None = None
    reasons: str | None = None
    released_at: datetime | None = None
    last_actor: str | None = None
    last_action: str | None = None
    last_at: datetime | None = None


def snapshot(o: Order) -> dict[str, Any]:
    """Audit view of an order's business fields."""
    return {
        "state": o.state.value,
        "customer": o.customer,
        "product": o.product,
        "quantity": o.quantity,
        "delivery": o.delivery.isoformat() if o.delivery else None,
        "requirements": o.requirements,
        "revision": o.revision,
        "reasons": o.reasons,
    }


def is_standard(*, product: str, requirements: str | None, org: Org) -> bool:
    """A catalogue product with no special requirements is standard: sales may accept it directly."""
    return requirements is None and any(p.code == product for p in org.products)


def new_order(
    *,
    requester: Person,
    number: str,
    customer: str | None,
    product: str | None,
    quantity: int | None,
    delivery: date | None,
    requirements: str | None,
    now: datetime,
    org: Org,
    limits: Limits = DEFAULT_LIMITS,
) -> Order:
    """Sales submits an order for review; customer, product and quantity (within ``limits``) are needed."""
    if not requester.has_any(Role.SALES, Role.CS_MANAGER):
        raise NotAllowed("只有业务员可以提交合同评审。")
    if quantity is not None:
        limits.quantity(quantity)
    for name, text in (("customer", customer), ("product", product), ("requirements", requirements)):
        if text:
            limits.text(text, field=name)
    missing = [n for n, v in (("customer", customer), ("product", product), ("quantity", quantity)) if not v]
    if missing:
        labels = {"customer": "客户", "product": "产品", "quantity": "数量"}
        raise MissingFields(
            "合同评审还缺:"
            + "、".join(labels[m] for m in missing)
            + "。例如:合同评审 美的 P40 5000个 12月20日交货 要求RoHS",
            tuple(missing),
        )
    assert customer and product and quantity
    standard = is_standard(product=product, requirements=requirements, org=org)
    order = Order(
        id=None,
        number=number,
        requester=requester.id,
        customer=customer,
        product=product,
        quantity=quantity,
        created_at=now,
        delivery=delivery,
        requirements=requirements,
        standard=standard,
    )
    if standard:
        return replace(
            order,
            state=OrderState.RELEASED,
            released_at=now,
            last_actor=requester.id,
            last_action="标准品直接下单",
            last_at=now,
        )
    return order


def _moved(o: Order, state: OrderState, *, actor: str, action: str, now: datetime, **changes: Any) -> Order:
    """``o`` in ``state``, one version on, with who did what and when."""
    return replace(o, state=state, version=o.version + 1, last_actor=actor, last_action=action, last_at=now, **changes)


def reviewed(o: Order, *, agreed: bool, reasons: str | None, now: datetime, actor: str) -> Order:
    """The review ended: all agreed (released) or someone disagreed (returned with the reasons)."""
    if o.state is not OrderState.REVIEW:
        raise StaleCard(f"{o.number} 当前状态为「{ORDER_STATE_LABELS[o.state]}」。")
    if agreed:
        return _moved(o, OrderState.RELEASED, actor=actor, action="评审通过", now=now, released_at=now)
    return _moved(o, OrderState.RETURNED, actor=actor, action="评审不同意", now=now, reasons=reasons)


def withdrawn(o: Order, *, now: datetime, actor: str) -> Order:
    """The requester withdrew the order before the review ended."""
    return _moved(o, OrderState.WITHDRAWN, actor=actor, action="撤回", now=now)


def change(
    o: Order, *, actor: Person, values: dict[str, str], now: datetime, org: Org, limits: Limits = DEFAULT_LIMITS
) -> Order:
    """A change to a reviewed (or returned) order: new figures, and the review starts again."""
    if actor.id != o.requester:
        raise NotAllowed("只有提交人可以变更订单。")
    if o.state is OrderState.REVIEW:
        raise StaleCard(f"{o.number} 正在评审中,撤回后再变更。")
    changes: dict[str, Any] = {}
    if values.get("quantity", "").strip():
        changes["quantity"] = limits.quantity(values["quantity"])
    if values.get("delivery", "").strip():
        try:
            changes["delivery"] = date.fromisoformat(values["delivery"].strip())
        except ValueError:
            raise MissingFields("交期请按 2026-12-20 的格式填写。", ("delivery",)) from None
        if abs(changes["delivery"].year - now.year) > YEARS_AROUND:
            lo, hi = now.year - YEARS_AROUND, now.year + YEARS_AROUND
            raise MissingFields(f"交期的年份不在 {lo}–{hi} 年之间。", ("delivery",))
    if values.get("requirements", "").strip():
        changes["requirements"] = limits.text(values["requirements"].strip(), field="requirements")
    if not changes:
        raise MissingFields("请填写要变更的数量、交期或特殊要求。", ("quantity", "delivery", "requirements"))
    changed = replace(o, **changes)
    standard = is_standard(product=changed.product, requirements=changed.requirements, org=org)
    return _moved(
        changed,
        OrderState.RELEASED if standard else OrderState.REVIEW,
        actor=actor.id,
        action="变更",
        now=now,
        standard=standard,
        revision=o.revision + 1,
        reasons=None,
        approval_id=None,
        released_at=now if standard else None,
    )
