"""Representative cards of every kind Kesu sends, built from fixed data (fixed ids, dates and people), for the
render snapshot tests. Each kind maps a variant name to the outbox payload (``{"text", "card"}``) it is sent as."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.cards import analysis as analysis_cards
from bot.cards import approval as approval_cards
from bot.cards import campaign as campaign_cards
from bot.cards import complaint as complaint_cards
from bot.cards import customers as customer_cards
from bot.cards import eightd as eightd_cards
from bot.cards import nag as nag_cards
from bot.cards import orders as order_cards
from bot.cards import returns as return_cards
from bot.cards import visits as visit_cards
from bot.protocol import Card, CardField, message_payload
from core import approval as a
from core import complaint as c
from core import orders as o
from core import returns as r
from core.analysis import AnalysisState, ReturnAnalysis
from core.campaign import DEFAULT_ITEMS, Campaign, Survey
from core.clocks import ClockName, WeekdayCalendar
from core.customers import Contact, CustomerRecord
from core.eightd import DISCIPLINES, EightD, EightDState, StepEntry
from core.nag import Nudge, Watch
from core.org import Chat, ChatPurpose, Department, Org, Person, Role
from core.visits import Question, Visit

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 30, tzinfo=SH)  # a Monday morning
CALENDAR = WeekdayCalendar()

Payload = dict[str, Any]

ORG = Org(
    people=(
        Person("sales1", "张伟", frozenset({Role.SALES}), department="sales", manager="cs_mgr"),
        Person("qa1", "王芳", frozenset({Role.QA}), department="qa"),
        Person("qa_mgr", "刘洋", frozenset({Role.QA_MANAGER}), department="qa"),
        Person("rd1", "陈静", frozenset({Role.DEPT}), department="rd"),
        Person("prod1", "赵强", frozenset({Role.DEPT}), department="prod"),
        Person("cs_mgr", "孙丽", frozenset({Role.CS_MANAGER}), department="sales"),
        Person("vp1", "周总", frozenset({Role.VP})),
        Person("wh1", "吴军", frozenset({Role.WAREHOUSE})),
        Person("buy1", "郑敏", frozenset({Role.PURCHASING})),
        Person("fin1", "冯涛", frozenset({Role.FINANCE})),
    ),
    departments=(
        Department("sales", "市场部", head="cs_mgr"),
        Department("qa", "品质部", head="qa_mgr"),
        Department("rd", "研发部", head="rd1"),
        Department("prod", "生产部", head="prod1"),
    ),
    chats=(Chat("qa_chat", "品质群", ChatPurpose.QA),),
)

# What the Feishu sender offers as choices (bot/feishu/__init__.py builds the same from the org).
FEISHU_CHOICES: dict[str, tuple[tuple[str, str], ...]] = {
    "department": tuple((d.id, d.name) for d in ORG.departments),
    "deputy": tuple((p.id, p.name) for p in ORG.people),
}


def _at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def _payload(card: Card, text: str | None = None) -> Payload:
    return message_payload(text=text, card=card)


# --- complaint ---------------------------------------------------------------------------------------------

DETAILS = c.Details(customer="明辉电子", product="X200 外壳", defect="外壳划伤", quantity=120, order_no="SO-8812")
RESPONSE = c.DeptResponse(
    containment="隔离库存 300 件",
    root_cause="模具磨损",
    corrective="更换模具并加检",
    preventive=None,
    by="rd1",
    at=_at(5),
)


def _submitted() -> c.Complaint:
    return c.Complaint(
        id=12,
        owner="sales1",
        created_at=T0,
        details=DETAILS,
        state=c.State.SUBMITTED,
        version=2,
        number="KS-202611-0007",
        submitted_at=_at(0.25),
        problem="appearance",
        clocks=(
            c.Clock(ClockName.FIRST_RESPONSE, _at(24)),
            c.Clock(ClockName.NORMAL, _at(24 * 7)),
        ),
        photos=("m1", "m2"),
    )


def complaint() -> dict[str, Payload]:
    """A draft to confirm, then one card per state of the procedure, and the status views."""
    draft = c.Complaint(
        id=12,
        owner="sales1",
        created_at=T0,
        details=replace(DETAILS, quantity=None, order_no=None, severity=c.Severity.URGENT),
        asking="quantity",
    )
    submitted = _submitted()
    assigned = replace(
        submitted,
        state=c.State.ASSIGNED,
        version=3,
        qa_owner="qa1",
        department="rd",
        round=1,
        repeat_of=("KS-202609-0002",),
    )
    responded = replace(
        assigned,
        state=c.State.RESPONDED,
        version=4,
        response=replace(RESPONSE, preventive="同类模具每月点检"),
        clocks=(c.Clock(ClockName.FIRST_RESPONSE, _at(24), met_at=_at(5)), c.Clock(ClockName.NORMAL, _at(24 * 7))),
    )
    verified = replace(responded, state=c.State.VERIFIED, version=5, qa_comment="抽检 50 件无划伤")
    reported = replace(
        verified, state=c.State.REPORTED, version=6, round=2, response=replace(RESPONSE, by="qa1", by_qa=True)
    )
    invalid = replace(submitted, state=c.State.INVALID, version=3, qa_owner="qa1", invalid_reason="客户运输中跌落")
    closed = replace(
        reported,
        state=c.State.CLOSED,
        version=7,
        resolution=c.Resolution.RESOLVED,
        customer_note="客户已接受",
        closed_at=_at(30),
    )
    action = complaint_cards.action_card
    return {
        "draft": _payload(action(draft, ORG, SH), "还差:数量。请问数量是多少?"),
        "submitted": _payload(action(submitted, ORG, SH)),
        "assigned": _payload(action(assigned, ORG, SH)),
        "responded": _payload(action(responded, ORG, SH)),
        "verified": _payload(action(verified, ORG, SH), "KS-202611-0007 王芳 有效。当前:待回复客户。"),
        "reported": _payload(action(reported, ORG, SH)),
        "invalid": _payload(action(invalid, ORG, SH)),
        "status": _payload(complaint_cards.status_card(closed, ORG, SH), "处理记录:\n11-23 09:30 张伟 提交"),
        "status_with_return": _payload(complaint_cards.status_card(assigned, ORG, SH, can_return=True)),
    }


# --- approval ----------------------------------------------------------------------------------------------

SUBJECT = [CardField("退货单", "退货申请 #5"), CardField("客户", "明辉电子"), CardField("退货数量", "120")]


def _decide(
    approval: a.Approval, actor: str, verdict: a.Verdict, hours: float, comment: str | None = None
) -> a.Approval:
    return a.decide(
        approval,
        actor=actor,
        verdict=verdict,
        comment=comment,
        now=_at(hours),
        org=ORG,
        calendar=CALENDAR,
        tz=SH,
    )


def approval() -> dict[str, Payload]:
    """A return's two-step chain (the second step's card, the requester's copy, the outcome) and a joint review."""
    started = a.start(
        kind="return",
        subject="return:5",
        requester="sales1",
        department="sales",
        steps=a.DEFAULT_CHAINS["return"],
        now=T0,
        calendar=CALENDAR,
        tz=SH,
    )
    started = replace(started, id=3)
    second = _decide(started, "cs_mgr", a.Verdict.APPROVE, 1, "同意退货")
    done = _decide(second, "vp1", a.Verdict.APPROVE, 2)
    review = a.start(
        kind="order_review",
        subject="order:9",
        requester="sales1",
        department="sales",
        steps=a.DEFAULT_CHAINS["order_review"],
        now=T0,
        calendar=CALENDAR,
        tz=SH,
    )
    review = _decide(replace(review, id=4), "rd1", a.Verdict.APPROVE, 1)
    rejected = _decide(review, "prod1", a.Verdict.REJECT, 2, "产能不足")
    order_subject = [CardField("单号", "OR-202611-0002"), CardField("产品", "X300 定制外壳")]
    title = "退货申请"
    return {
        "step": _payload(approval_cards.approval_card(second, SUBJECT, ORG, SH, title=title)),
        "requester": _payload(
            approval_cards.approval_card(second, SUBJECT, ORG, SH, title=title, for_requester=True),
            "退货申请:等待「副总批准」— 周总",
        ),
        "step_passed": _payload(approval_cards.outcome_card(second, 0, SUBJECT, ORG, SH, title=title)),
        "approved": _payload(approval_cards.outcome_card(done, 1, SUBJECT, ORG, SH, title=title)),
        "joint_review": _payload(approval_cards.approval_card(review, order_subject, ORG, SH, title="合同评审")),
        "joint_review_rejected": _payload(
            approval_cards.outcome_card(rejected, 0, order_subject, ORG, SH, title="合同评审")
        ),
    }


# --- returns -----------------------------------------------------------------------------------------------


def returns() -> dict[str, Payload]:
    """The request under review, the warehouse's, QA's and sales' cards."""
    requested = r.ReturnRequest(
        id=5,
        requester="sales1",
        created_at=T0,
        quantity=150,
        customer="明辉电子",
        product="X200 外壳",
        order_no="SO-8812",
        complaint_id=12,
        complaint_no="KS-202611-0007",
        approval_id=3,
        reason="客户库存同批次一并退回",
    )
    awaiting = replace(requested, state=r.ReturnState.AWAITING_GOODS, version=3, rma_no="RMA-202611-0001")
    received = replace(
        awaiting,
        state=r.ReturnState.RECEIVED,
        version=4,
        received_at=_at(48),
        received_by="wh1",
        received_qty=148,
        anomalies=("B", "D"),
        receive_note="少 2 件,外箱破损",
        processing_due_at=_at(48 + 24 * 5),
        photos=("m7",),
    )
    replacing = replace(
        received,
        state=r.ReturnState.REPLACING,
        version=6,
        processing_due_at=None,
        good=100,
        bad=48,
        cause="模具磨损导致划伤",
        ours=True,
    )
    return {
        "status": _payload(return_cards.status_card(requested, ORG, SH)),
        "receive": _payload(return_cards.receive_card(awaiting, ORG, SH), "新 RMA:RMA-202611-0001,到货请核对收货。"),
        "process": _payload(return_cards.process_card(received, ORG, SH)),
        "replacement": _payload(
            return_cards.replacement_card(replacing, ORG, SH), "RMA-202611-0001 补货已批准,计划可安排补货。"
        ),
    }


# --- orders ------------------------------------------------------------------------------------------------


def orders() -> dict[str, Payload]:
    """The order under review, the production notice, and the requester's change card after a return or release."""
    review = o.Order(
        id=9,
        number="OR-202611-0002",
        requester="sales1",
        customer="顺达电器",
        product="X300 定制外壳",
        quantity=5000,
        created_at=T0,
        delivery=date(2026, 12, 20),
        requirements="表面喷砂,颜色 Pantone 432C",
        approval_id=4,
        version=2,
    )
    returned = replace(review, state=o.OrderState.RETURNED, version=3, reasons="产能不足\n模具需改")
    released = replace(review, state=o.OrderState.RELEASED, version=3, revision=2, released_at=_at(30))
    standard = replace(
        review,
        id=10,
        number="OR-202611-0003",
        requirements=None,
        standard=True,
        state=o.OrderState.RELEASED,
        released_at=T0,
    )
    return {
        "review": _payload(order_cards.order_card(review, ORG, SH)),
        "notice": _payload(order_cards.notice_card(released, ORG, SH), "OR-202611-0002 合同评审通过,请安排生产。"),
        "notice_standard": _payload(order_cards.notice_card(standard, ORG, SH)),
        "change_returned": _payload(order_cards.change_card(returned, ORG, SH), "OR-202611-0002 评审未通过。"),
        "change_released": _payload(order_cards.change_card(released, ORG, SH)),
    }


# --- 8D ----------------------------------------------------------------------------------------------------


def eightd() -> dict[str, Payload]:
    """An 8D with two disciplines written, one waiting for the closure approval, and a closed one."""
    texts = ("王芳、陈静、赵强", "外壳划伤 120 件", "隔离库存", "模具磨损", "更换模具", "抽检合格", "每月点检", "结案")
    entries = tuple(StepEntry(d.key, t, "qa1", _at(i)) for i, (d, t) in enumerate(zip(DISCIPLINES, texts, strict=True)))
    opened = EightD(
        id=2,
        complaint_id=12,
        complaint_no="KS-202611-0007",
        repeats=("KS-202609-0002", "KS-202610-0005"),
        owner="qa1",
        opened_at=T0,
        entries=entries[:2],
        version=3,
    )
    closing = replace(opened, entries=entries, state=EightDState.CLOSING, version=9)
    closed = replace(closing, state=EightDState.CLOSED, version=10, closed_at=_at(100))
    return {
        "open": _payload(eightd_cards.card(opened, ORG, SH), "KS-202611-0007 为重复投诉,请按 8D 处理。"),
        "closing": _payload(eightd_cards.card(closing, ORG, SH), "8D-KS-202611-0007 已填写完 D1–D8,请审批结案。"),
        "closed": _payload(eightd_cards.card(closed, ORG, SH)),
    }


# --- return analysis ---------------------------------------------------------------------------------------


def analysis() -> dict[str, Payload]:
    """The report QA writes, open and submitted."""
    opened = ReturnAnalysis(
        id=1,
        rma_no="RMA-202611-0001",
        product="X200 外壳",
        why="批量退货(150 件)",
        returns=("RMA-202611-0001", "RMA-202610-0004"),
        owner="qa1",
        opened_at=T0,
        due_at=_at(24 * 7),
    )
    done = replace(
        opened,
        state=AnalysisState.DONE,
        version=2,
        analysis="模具磨损",
        actions="更换模具,每月点检",
        done_by="qa1",
        done_at=_at(30),
    )
    return {
        "open": _payload(analysis_cards.card(opened, ORG, SH), "RA-RMA-202611-0001 请提交退货分析改善报告。"),
        "done": _payload(analysis_cards.card(done, ORG, SH)),
    }


# --- visits ------------------------------------------------------------------------------------------------


def visits() -> dict[str, Payload]:
    """A question waiting for its answer, and one answered."""
    visit = Visit(
        id=4,
        customer="明辉电子",
        by="sales1",
        visited_at=T0,
        questions=(
            Question("交期能否缩短到 15 天", "prod1", _at(24 * 7)),
            Question(
                "包装改用防静电袋", "qa1", _at(24 * 7), answer="12 月起改用", answered_by="qa1", answered_at=_at(8)
            ),
        ),
        version=2,
    )
    return {
        "question": _payload(visit_cards.question_card(visit, 0, ORG, SH)),
        "answered": _payload(visit_cards.question_card(visit, 1, ORG, SH), "已答复:拜访 #4 明辉电子 问题 2。"),
    }


# --- satisfaction campaign ---------------------------------------------------------------------------------


def campaign() -> dict[str, Payload]:
    """A survey to record and a recorded one."""
    camp = Campaign(
        id=1,
        name="2026 下半年",
        started_at=T0,
        closes_at=_at(24 * 14),
        percent=25,
        seed=20261123,
        population=8,
        items=DEFAULT_ITEMS,
        target=80,
        surveys=(
            Survey("明辉电子", "sales1"),
            Survey(
                "顺达电器",
                "sales1",
                scores=tuple(zip(DEFAULT_ITEMS, ("满意", "一般", "满意", "非常满意"), strict=True)),
                note="交期偶有延误",
                by="sales1",
                at=_at(5),
            ),
        ),
        version=2,
    )
    return {
        "survey": _payload(campaign_cards.survey_card(camp, 0, SH)),
        "recorded": _payload(campaign_cards.survey_card(camp, 1, SH), "已登记 顺达电器。还有 1 家待调查。"),
    }


# --- reminders and escalations -----------------------------------------------------------------------------


def nag() -> dict[str, Payload]:
    """A reminder (no button) and an escalation (收到/处理中)."""
    watch = Watch(
        key="f12:normal",
        title="KS-202611-0007 处理完成(普通件)",
        started_at=T0,
        due_at=_at(24 * 7),
        owners=("rd1", "prod1"),
        clock="normal",
    )
    remind = Nudge(
        "f12:normal:remind1", "remind1", ("rd1",), "⏰ KS-202611-0007 处理完成(普通件) 明天到期", _at(24 * 6), 0
    )
    escalate = Nudge(
        "f12:normal:esc1", "esc1", ("qa_mgr",), "⚠️ KS-202611-0007 处理完成(普通件) 已超时 1 天", _at(24 * 8), 1
    )
    return {
        "reminder": _payload(nag_cards.nudge_card(watch, remind, ORG, SH)),
        "escalation": _payload(nag_cards.nudge_card(watch, escalate, ORG, SH)),
    }


# --- customer archive --------------------------------------------------------------------------------------


def customers() -> dict[str, Payload]:
    """The archive card in full (owner) and the public view (a group, a refused look)."""
    record = CustomerRecord(
        id=3,
        name="明辉电子",
        owner="sales1",
        created_at=T0,
        updated_at=T0,
        aliases=("明辉", "MH"),
        legal_name="深圳明辉电子有限公司",
        tax_id="91440300MA5F000000",
        address="深圳市宝安区福永街道 8 号",
        contacts=(Contact("黄经理", "13800000000", "huang@example.com", "采购经理"),),
        credit_note="月结 60 天",
        key=True,
        version=2,
    )
    history = (("近期客诉", "KS-202611-0007、KS-202609-0002"),)
    provisional = CustomerRecord(id=4, name="新丰五金", owner="sales1", created_at=T0, updated_at=T0, provisional=True)
    return {
        "confidential": _payload(customer_cards.customer_card(record, ORG, confidential=True, history=history)),
        "public": _payload(
            customer_cards.customer_card(record, ORG, confidential=False, history=history),
            "您无权查看该客户的联系人信息。",
        ),
        "provisional": _payload(customer_cards.customer_card(provisional, ORG, confidential=True)),
    }


KINDS: dict[str, Callable[[], dict[str, Payload]]] = {
    "complaint": complaint,
    "approval": approval,
    "returns": returns,
    "orders": orders,
    "eightd": eightd,
    "analysis": analysis,
    "visits": visits,
    "campaign": campaign,
    "nag": nag,
    "customers": customers,
}
