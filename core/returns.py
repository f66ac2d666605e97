"""Returns (PROCEDURE §2): 退货申请单 → approval → RMA number → warehouse receiving with the anomaly
checks (A)–(G) → processing result within 5 days → if the cause is ours, a 补退货通知单 with the same
approval → sales confirms the customer accepted the replacement."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from core.errors import MissingFields, NotAllowed, StaleCard
from core.limits import DEFAULT_LIMITS, Limits
from core.org import Person, Role


class ReturnState(StrEnum):
    """Where a return is."""

    REVIEW = "review"  # 退货申请单 waiting for approval
    AWAITING_GOODS = "awaiting_goods"  # RMA issued; the warehouse receives against it
    RECEIVED = "received"  # processing (rework, inspection, cause) due within 5 days
    REPLACEMENT_REVIEW = "replacement_review"  # 补退货通知单 waiting for approval
    REPLACING = "replacing"  # replacement approved; sales confirms the customer accepted it
    CLOSED = "closed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


RETURN_STATE_LABELS = {
    ReturnState.REVIEW: "退货审批中",
    ReturnState.AWAITING_GOODS: "已发 RMA,待仓库收货",
    ReturnState.RECEIVED: "已收货,待处理结果",
    ReturnState.REPLACEMENT_REVIEW: "补货审批中",
    ReturnState.REPLACING: "补货中,待客户确认",
    ReturnState.CLOSED: "已结案",
    ReturnState.REJECTED: "已驳回",
    ReturnState.WITHDRAWN: "已撤回",
}

# An RMA number was issued: the return was approved (what the monthly report counts as a return).
RMA_ISSUED = frozenset(
    {
        ReturnState.AWAITING_GOODS,
        ReturnState.RECEIVED,
        ReturnState.REPLACEMENT_REVIEW,
        ReturnState.REPLACING,
        ReturnState.CLOSED,
    }
)

# Each state's place in the procedure: a return card is valid while the return is still at its stage,
# so a photo added meanwhile (which changes the record) does not invalidate anyone's card.
STAGES = {state: i for i, state in enumerate(ReturnState)}

ANOMALIES = {
    "A": "货物无 RMA 号",
    "B": "实物与通知不符(RMA/型号/数量)",
    "C": "散装未注明退货原因",
    "D": "包装不良",
    "E": "一个 RMA 混装多种产品",
    "F": "非本 RMA 货物或旧 RMA",
    "G": "退货无不良标识",
}


class ReturnAction(StrEnum):
    """Buttons on return cards."""

    RECEIVE = "receive"
    PROCESS = "process"
    CUSTOMER_ACCEPTED = "customer_accepted"


RETURN_ACTION_LABELS = {
    ReturnAction.RECEIVE: "确认收货",
    ReturnAction.PROCESS: "提交处理结果",
    ReturnAction.CUSTOMER_ACCEPTED: "客户已确认收到补货",
}


@dataclass(frozen=True)
class ReturnRequest:
    """退货申请单 and what happens to the goods afterwards."""

    id: int | None
    requester: str
    created_at: datetime
    quantity: int
    customer: str | None = None
    product: str | None = None
    order_no: str | None = None
    complaint_id: int | None = None
    complaint_no: str | None = None
    state: ReturnState = ReturnState.REVIEW
    version: int = 1
    approval_id: int | None = None
    replacement_approval_id: int | None = None
    rma_no: str | None = None
    received_at: datetime | None = None
    received_by: str | None = None
    received_qty: int | None = None
    anomalies: tuple[str, ...] = ()
    receive_note: str | None = None
    processing_due_at: datetime | None = None
    good: int | None = None
    bad: int | None = None
    cause: str | None = None
    ours: bool | None = None
    closed_at: datetime | None = None
    photos: tuple[str, ...] = ()  # media ids: abnormal returns are photographed as received
    last_actor: str | None = None
    last_action: str | None = None
    last_at: datetime | None = None
    reason: str | None = None  # why more is returned than the complaint's quantity

    @property
    def label(self) -> str:
        """The RMA number once issued, else the request's id."""
        return self.rma_no or f"退货申请 #{self.id}"

    def _to(self, state: ReturnState, actor: str, action: str, now: datetime, **changes: Any) -> ReturnRequest:
        return replace(
            self, state=state, version=self.version + 1, last_actor=actor, last_action=action, last_at=now, **changes
        )


def snapshot(r: ReturnRequest) -> dict[str, Any]:
    """Audit view of a return's business fields."""
    return {
        "state": r.state.value,
        "rma_no": r.rma_no,
        "quantity": r.quantity,
        "received_qty": r.received_qty,
        "anomalies": list(r.anomalies),
        "good": r.good,
        "bad": r.bad,
        "cause": r.cause,
        "ours": r.ours,
    } | ({"reason": r.reason} if r.reason else {})


def new_return(
    *,
    requester: Person,
    quantity: int | None,
    now: datetime,
    customer: str | None = None,
    product: str | None = None,
    order_no: str | None = None,
    complaint_id: int | None = None,
    complaint_no: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ReturnRequest:
    """A return request by sales or customer service; it needs a quantity (within ``limits``) and what is
    returned."""
    if not requester.has_any(Role.SALES, Role.CS_MANAGER):
        raise NotAllowed("只有业务员或客服可以申请退货。")
    if quantity is not None:
        limits.quantity(quantity, label="退货数量")
    for name, text in (("customer", customer), ("product", product), ("order_no", order_no)):
        if text:
            limits.text(text, field=name)
    missing = []
    if not quantity or quantity <= 0:
        missing.append("quantity")
    if complaint_id is None and not (customer and product):
        missing.append("complaint_no")
    if missing:
        raise MissingFields(
            "退货申请还缺:"
            + "、".join({"quantity": "数量", "complaint_no": "客诉单号(或客户和产品)"}[m] for m in missing)
            + "。例如:申请退货 KS-202611-0001 200个",
            tuple(missing),
        )
    assert quantity is not None
    return ReturnRequest(
        id=None,
        requester=requester.id,
        created_at=now,
        quantity=quantity,
        customer=customer,
        product=product,
        order_no=order_no,
        complaint_id=complaint_id,
        complaint_no=complaint_no,
    )


def may_request(requester: Person, owner: str | None) -> bool:
    """A return on a complaint is requested by the form's owner or customer service (客服经理); one with no
    complaint by sales or customer service (segregation of duties: no colleague's forms)."""
    if requester.has_any(Role.CS_MANAGER):
        return True
    return requester.has_any(Role.SALES) and (owner is None or owner == requester.id)


def check_request(
    *,
    requester: Person,
    owner: str | None,
    owner_name: str,
    complaint_no: str | None,
    quantity: int | None,
    complaint_quantity: int | None,
    reason: str | None,
    open_requests: tuple[ReturnRequest, ...],
) -> None:
    """Who may request a return on a form, how many pieces without a reason, and no identical open duplicate.

    A duplicate is refused, not just flagged: two open requests for the same pieces of the same form would get
    two RMA numbers for one shipment; the earlier one can be withdrawn, or a different quantity requested."""
    if not may_request(requester, owner):
        if owner is None:
            raise NotAllowed("只有业务员或客服可以申请退货。")
        raise NotAllowed(f"只有本单业务员({owner_name})或客服经理可以为 {complaint_no} 申请退货。")
    if quantity and complaint_quantity and quantity > complaint_quantity and not reason:
        raise MissingFields(f"退货数量 {quantity} 超过客诉数量 {complaint_quantity},请填写原因。", ("reason",))
    same = next((x for x in open_requests if x.quantity == quantity), None)
    if same is not None:
        raise NotAllowed(
            f"本单已有相同的退货申请:{same.label}({RETURN_STATE_LABELS[same.state]},{same.quantity} 个),请勿重复提交。"
        )


def open_note(open_requests: tuple[ReturnRequest, ...]) -> str | None:
    """本单已有退货申请:RMA-…(状态), for the requester and the approvers; None when there are none."""
    if not open_requests:
        return None
    listed = "、".join(f"{x.label}({RETURN_STATE_LABELS[x.state]},{x.quantity} 个)" for x in open_requests)
    return f"本单已有退货申请:{listed}"


def _require(r: ReturnRequest, state: ReturnState) -> None:
    if r.state is not state:
        raise StaleCard(f"{r.label} 当前状态为「{RETURN_STATE_LABELS[r.state]}」,不能执行此操作。")


def approved(r: ReturnRequest, *, rma_no: str, now: datetime, actor: str) -> ReturnRequest:
    """The return was approved: its RMA number is issued and the warehouse may receive the goods."""
    _require(r, ReturnState.REVIEW)
    return r._to(ReturnState.AWAITING_GOODS, actor, "批准", now, rma_no=rma_no)


def ended(r: ReturnRequest, *, withdrawn: bool, now: datetime, actor: str) -> ReturnRequest:
    """The return's (or the replacement's) approval ended without approval."""
    if r.state is ReturnState.REPLACEMENT_REVIEW:
        return r._to(ReturnState.CLOSED, actor, "补货未批准", now, closed_at=now)
    _require(r, ReturnState.REVIEW)
    state = ReturnState.WITHDRAWN if withdrawn else ReturnState.REJECTED
    return r._to(state, actor, "撤回" if withdrawn else "驳回", now, closed_at=now)


def parse_anomalies(raw: str) -> tuple[str, ...]:
    """'A,D' or 'ad' or 'A D' → ('A', 'D'); anything outside A–G is refused."""
    letters = [ch.upper() for ch in raw if ch.strip() and ch not in ",,、;; "]
    bad = [ch for ch in letters if ch not in ANOMALIES]
    if bad:
        raise MissingFields("异常项只能填 A–G:" + ";".join(f"{k} {v}" for k, v in ANOMALIES.items()), ("anomalies",))
    return tuple(sorted(set(letters)))


def _int(values: dict[str, str], name: str, label: str, limits: Limits) -> int:
    raw = values.get(name, "").strip()
    if not raw:
        raise MissingFields(f"请填写{label}(整数)。", (name,))
    return limits.quantity(raw, field=name, label=label, allow_zero=True)


def receive(
    r: ReturnRequest,
    *,
    actor: Person,
    values: dict[str, str],
    now: datetime,
    processing_due: datetime,
    limits: Limits = DEFAULT_LIMITS,
) -> ReturnRequest:
    """The warehouse receives goods against an approved RMA: counts, anomaly checks, note."""
    if not actor.has_any(Role.WAREHOUSE):
        raise NotAllowed("只有仓库可以确认收货。")
    _require(r, ReturnState.AWAITING_GOODS)
    qty = _int(values, "received_qty", "实收数量", limits)
    anomalies = parse_anomalies(values.get("anomalies", ""))
    note = values.get("note", "").strip() or None
    if anomalies and not note:
        raise MissingFields("有异常时请在备注中说明(异常货物保持原状并拍照)。", ("note",))
    return r._to(
        ReturnState.RECEIVED,
        actor.id,
        "确认收货",
        now,
        received_at=now,
        received_by=actor.id,
        received_qty=qty,
        anomalies=anomalies,
        receive_note=note,
        processing_due_at=processing_due,
    )


def process(
    r: ReturnRequest, *, actor: Person, values: dict[str, str], now: datetime, limits: Limits = DEFAULT_LIMITS
) -> ReturnRequest:
    """QA records the processing result: good and bad counts, the cause, and whether it is ours."""
    if not actor.has_any(Role.QA, Role.QA_MANAGER):
        raise NotAllowed("只有品质部可以提交处理结果。")
    _require(r, ReturnState.RECEIVED)
    good, bad = _int(values, "good", "良品数", limits), _int(values, "bad", "不良数", limits)
    cause = values.get("cause", "").strip()
    if not cause:
        raise MissingFields("请填写原因分析。", ("cause",))
    ours_raw = values.get("ours", "").strip().lower()
    if ours_raw not in ("是", "否", "yes", "no", "y", "n"):
        raise MissingFields("「是否我方原因」请填 是 或 否。", ("ours",))
    ours = ours_raw in ("是", "yes", "y")
    state = ReturnState.REPLACEMENT_REVIEW if ours else ReturnState.CLOSED
    return r._to(
        state,
        actor.id,
        "提交处理结果",
        now,
        good=good,
        bad=bad,
        cause=cause,
        ours=ours,
        closed_at=None if ours else now,
    )


def replacement_approved(r: ReturnRequest, *, now: datetime, actor: str) -> ReturnRequest:
    """The 补退货通知单 was approved: planning may ship the replacement."""
    _require(r, ReturnState.REPLACEMENT_REVIEW)
    return r._to(ReturnState.REPLACING, actor, "补货批准", now)


def customer_accepted(r: ReturnRequest, *, actor: Person, now: datetime) -> ReturnRequest:
    """Sales confirms the customer received and accepted the replacement; the return is closed."""
    if actor.id != r.requester:
        raise NotAllowed("只有申请人可以确认客户已收到补货。")
    _require(r, ReturnState.REPLACING)
    return r._to(ReturnState.CLOSED, actor.id, "客户确认收到补货", now, closed_at=now)
