"""Order review cards: the order, the 生产通知书 (production notice) and the requester's change card."""

from __future__ import annotations

from datetime import tzinfo

from bot.protocol import Button, Card, CardField, Input
from core import kinds
from core import orders as o
from core.org import Org


def card_id(order: o.Order) -> str:
    """The order's id and version: a tap is valid only while the order is at that version."""
    return kinds.ORDER.card_id(order.id, order.version)


def subject_fields(order: o.Order, org: Org) -> list[CardField]:
    """What the order is, without its state (for approval cards, whose state is the approval's)."""
    return [
        CardField("单号", order.number),
        CardField("客户", order.customer),
        CardField("产品", order.product),
        CardField("数量", str(order.quantity)),
        CardField("交期", order.delivery.isoformat() if order.delivery else "(未填)"),
        CardField("特殊要求", order.requirements or "无"),
        CardField("业务员", org.name_of(order.requester)),
        CardField("评审轮次", f"第 {order.revision} 轮"),
    ]


def fields(order: o.Order, org: Org, tz: tzinfo) -> list[CardField]:
    """The order and where it stands."""
    out = subject_fields(order, org)
    out.insert(6, CardField("状态", o.ORDER_STATE_LABELS[order.state]))
    if order.reasons:
        out.append(CardField("退回原因", order.reasons.replace("\n", ";")))
    if order.released_at:
        out.append(CardField("下发时间", f"{order.released_at.astimezone(tz):%m-%d %H:%M}"))
    return out


def order_card(order: o.Order, org: Org, tz: tzinfo) -> Card:
    """A read-only view of the order (no buttons)."""
    return Card(card_id(order), f"合同评审 {order.number}", tuple(fields(order, org, tz)))


def notice_card(order: o.Order, org: Org, tz: tzinfo) -> Card:
    """The 生产通知书: what to make, how many, by when and to which requirements; no buttons."""
    kind = "标准品,免评审" if order.standard else f"合同评审通过(第 {order.revision} 轮)"
    out = [
        CardField("单号", order.number),
        CardField("客户", order.customer),
        CardField("产品", order.product),
        CardField("数量", str(order.quantity)),
        CardField("交期", order.delivery.isoformat() if order.delivery else "(未填)"),
        CardField("特殊要求", order.requirements or "无"),
        CardField("评审", kind),
        CardField("业务员", org.name_of(order.requester)),
    ]
    if order.released_at:
        out.append(CardField("下发时间", f"{order.released_at.astimezone(tz):%m-%d %H:%M}"))
    return Card(card_id(order), f"生产通知书 {order.number}", tuple(out))


CHANGE_INPUTS = (
    Input("quantity", "数量(变更时填)"),
    Input("delivery", "交期(YYYY-MM-DD,变更时填)"),
    Input("requirements", "特殊要求(变更时填)"),
)


def change_card(order: o.Order, org: Org, tz: tzinfo) -> Card:
    """The requester's card after a release or a return: change the order and it is reviewed again."""
    title = {
        o.OrderState.RELEASED: f"{order.number} 已下发生产通知书(订单变更请填写)",
        o.OrderState.RETURNED: f"{order.number} 评审未通过(修改后重新评审)",
    }.get(order.state, f"{order.number} {o.ORDER_STATE_LABELS[order.state]}")
    return Card(card_id(order), title, tuple(fields(order, org, tz)), (Button("change", "变更"),), CHANGE_INPUTS)
