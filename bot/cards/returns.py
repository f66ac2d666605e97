"""Return (RMA) cards: the warehouse's receiving card, QA's processing card, sales' replacement card."""

from __future__ import annotations

from datetime import tzinfo

from bot.protocol import Button, Card, CardField, Input
from core import kinds
from core import returns as r
from core.org import Org


def card_id(ret: r.ReturnRequest) -> str:
    """The return's id and stage: valid while the return is still at that stage of the procedure."""
    return kinds.RETURN.card_id(ret.id, r.STAGES[ret.state])


def title(ret: r.ReturnRequest) -> str:
    """退货申请 #3 or RMA-202611-0001."""
    return ret.label


def fields(ret: r.ReturnRequest, org: Org, tz: tzinfo) -> list[CardField]:
    """What is returned and where it stands."""
    out = [CardField("状态", r.RETURN_STATE_LABELS[ret.state])]
    if ret.rma_no:
        out.append(CardField("RMA", ret.rma_no))
    for label, value in (
        ("客诉单", ret.complaint_no),
        ("客户", ret.customer),
        ("产品", ret.product),
        ("退货数量", str(ret.quantity)),
        ("超量原因", ret.reason),  # more than the complaint's quantity: why
        ("订单号", ret.order_no),
        ("申请人", org.name_of(ret.requester)),
    ):
        if value:
            out.append(CardField(label, value))
    if ret.received_qty is not None:
        out.append(CardField("实收数量", str(ret.received_qty)))
        if ret.anomalies:
            out.append(CardField("收货异常", ";".join(f"({k}){r.ANOMALIES[k]}" for k in ret.anomalies)))
        if ret.receive_note:
            out.append(CardField("收货备注", ret.receive_note))
        if ret.photos:
            out.append(CardField("照片", f"{len(ret.photos)} 张"))
    if ret.processing_due_at and ret.good is None:
        out.append(CardField("处理结果截止", f"{ret.processing_due_at.astimezone(tz):%m-%d %H:%M}"))
    if ret.good is not None:
        ours = "是" if ret.ours else "否"
        out.append(CardField("处理结果", f"良品 {ret.good},不良 {ret.bad},我方原因:{ours}"))
        out.append(CardField("原因分析", ret.cause or ""))
    return out


ANOMALY_HINT = "异常项(A–G,可多选,如 A,D):" + " ".join(f"{k}{v}" for k, v in r.ANOMALIES.items())


def receive_card(ret: r.ReturnRequest, org: Org, tz: tzinfo) -> Card:
    """For the warehouse: receive against the RMA, with counts and the anomaly checks (A)–(G)."""
    return Card(
        card_id(ret),
        f"{ret.label} 请收货核对(无 RMA 的货一律拒收)",
        tuple(fields(ret, org, tz)),
        (Button(r.ReturnAction.RECEIVE.value, r.RETURN_ACTION_LABELS[r.ReturnAction.RECEIVE]),),
        (
            Input("received_qty", "实收数量", required=True),
            Input("anomalies", ANOMALY_HINT),
            Input("note", "备注(有异常时必填,异常货物保持原状并拍照)"),
        ),
    )


def process_card(ret: r.ReturnRequest, org: Org, tz: tzinfo) -> Card:
    """For QA: the processing result within 5 days of receipt."""
    return Card(
        card_id(ret),
        f"{ret.label} 请提交退货处理结果",
        tuple(fields(ret, org, tz)),
        (Button(r.ReturnAction.PROCESS.value, r.RETURN_ACTION_LABELS[r.ReturnAction.PROCESS]),),
        (
            Input("good", "良品数", required=True),
            Input("bad", "不良数", required=True),
            Input("cause", "原因分析", required=True),
            Input("ours", "是否我方原因(是/否)", required=True),
        ),
    )


def replacement_card(ret: r.ReturnRequest, org: Org, tz: tzinfo) -> Card:
    """For sales: confirm the customer received and accepted the replacement."""
    action = r.ReturnAction.CUSTOMER_ACCEPTED
    return Card(
        card_id(ret),
        f"{ret.label} 补货已批准,客户收到后请确认",
        tuple(fields(ret, org, tz)),
        (Button(action.value, r.RETURN_ACTION_LABELS[action]),),
    )


def status_card(ret: r.ReturnRequest, org: Org, tz: tzinfo) -> Card:
    """A read-only view of a return."""
    return Card(card_id(ret), f"{ret.label} 进度", tuple(fields(ret, org, tz)))
