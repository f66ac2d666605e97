"""Returns (PROCEDURE §2) through `kesu say` / `kesu click`: approvals, RMA, receiving, processing, replacement."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from bot.main import app
from storage.db import make_engine
from tests.e2e.chat import LocalChat, actions, card_of, field, only, to


def _rows(db_url: str, sql: str) -> list[tuple[object, ...]]:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text(sql)).all()]
    engine.dispose()
    return rows


def _complaint(bot: LocalChat) -> None:
    bot.say("sales1", "明辉电子投诉X200外壳划伤,200个,急", now="2026-11-23T09:00")
    bot.click("sales1", "f1v1", "confirm", now="2026-11-23T09:01")


def _request(bot: LocalChat) -> str:
    """A return request for KS-202611-0001; returns the approval card id."""
    out = bot.say("sales1", "申请退货 KS-202611-0001 200个", now="2026-11-23T10:00")
    card = card_of(only(out, user="cs_mgr"))
    assert actions(card) == ["approve", "reject", "delegate"]
    assert field(card, "客诉单") == "KS-202611-0001" and field(card, "退货数量") == "200"
    assert actions(card_of(only(out, user="sales1"))) == ["withdraw"]
    return str(card["id"])


def test_a_return_runs_from_request_to_replacement_accepted(db_url: str, tmp_path: Path) -> None:
    bot = LocalChat(db_url)
    _complaint(bot)
    card = _request(bot)

    # Not the approver at this step: refused, nothing changes.
    assert "不是这一步的审批人" in only(bot.click("vp", card, "approve", now="2026-11-23T10:05"), user="vp")["text"]
    assert (
        "不是这一步的审批人"
        in only(bot.click("sales2", card, "approve", now="2026-11-23T10:05"), user="sales2")["text"]
    )

    out = bot.click("cs_mgr", card, "approve", now="2026-11-23T10:10")
    # Every copy of the step's card shows the outcome; the VP gets the next step.
    assert card_of(only(out, user="cs_mgr"))["actions"] == [] and "已通过" in card_of(only(out, user="cs_mgr"))["title"]
    assert any(m["card"] and m["card"]["actions"] == [] for m in to(out, user="sales1"))
    vp_card = card_of(only(out, user="vp"))
    assert vp_card["id"] == card.replace("s0", "s1")

    # A second tap on the old card: refused with who decided it and when.
    stale = only(bot.click("cs_mgr", card, "approve", now="2026-11-23T10:11"), user="cs_mgr")["text"]
    assert "已被陈静于 10:10 批准" in stale

    out = bot.click("vp", vp_card["id"], "approve", now="2026-11-23T11:00")
    assert "RMA-202611-0001" in next(m for m in to(out, user="sales1") if m["text"])["text"]
    receive = card_of(only(out, user="wh1"))
    assert actions(receive) == ["receive"] and field(receive, "RMA") == "RMA-202611-0001"

    # The warehouse receives against the RMA; anomalies need a note.
    assert (
        "只有仓库"
        in only(
            bot.click("sales1", receive["id"], "receive", now="2026-11-24T09:00", received_qty="200"), user="sales1"
        )["text"]
    )
    assert (
        "备注"
        in only(
            bot.click("wh1", receive["id"], "receive", now="2026-11-24T09:00", received_qty="198", anomalies="D"),
            user="wh1",
        )["text"]
    )
    out = bot.click(
        "wh1", receive["id"], "receive", now="2026-11-24T09:00", received_qty="198", anomalies="d,g", note="外箱破损"
    )
    process = card_of(only(out, user="qa1"))
    assert field(process, "处理结果截止") == "11-29 09:00"  # 5 days after receipt
    assert field(process, "收货异常").startswith("(D)包装不良")
    photo = tmp_path / "box.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 16)
    env = {"KESU_DATABASE_URL": db_url, "KESU_CONFIG": ""}
    shot = CliRunner().invoke(app, ["say", "--as", "wh1", "--image", str(photo), "--now", "2026-11-24T09:05"], env=env)
    assert "照片已附到 RMA-202611-0001(共 1 张)" in shot.stdout

    out = bot.click(
        "qa1", process["id"], "process", now="2026-11-26T09:00", good="150", bad="48", cause="包装不良", ours="是"
    )
    replacement = card_of(only(out, user="cs_mgr"))
    assert replacement["title"].startswith("补退货通知 RMA-202611-0001")
    bot.click("cs_mgr", replacement["id"], "approve", now="2026-11-26T10:00")
    out = bot.click("vp", replacement["id"].replace("s0", "s1"), "approve", now="2026-11-26T11:00")
    confirm = card_of(next(m for m in to(out, user="sales1") if m["card"] and m["card"]["actions"]))
    assert actions(confirm) == ["customer_accepted"]
    assert (
        "已结案"
        in only(bot.click("sales1", confirm["id"], "customer_accepted", now="2026-11-30T09:00"), user="sales1")["text"]
    )

    status = card_of(only(bot.say("qa1", "RMA-202611-0001 进度", now="2026-11-30T10:00"), user="qa1"))
    assert field(status, "状态") == "已结案" and field(status, "处理结果") == "良品 150,不良 48,我方原因:是"
    assert field(status, "照片") == "1 张"
    audit = _rows(db_url, "SELECT action, actor FROM audit_log WHERE entity = 'approval' ORDER BY id")
    assert [a for a, _ in audit] == ["open", "approve", "approve", "open", "approve", "approve"]


def test_a_rejection_needs_a_reason_and_tells_the_requester(db_url: str) -> None:
    bot = LocalChat(db_url)
    _complaint(bot)
    card = _request(bot)
    bot.click("cs_mgr", card, "approve", now="2026-11-23T10:10")
    vp_card = card.replace("s0", "s1")
    assert "驳回需要填写原因" in only(bot.click("vp", vp_card, "reject", now="2026-11-23T11:00"), user="vp")["text"]
    out = bot.click("vp", vp_card, "reject", now="2026-11-23T11:01", comment="先补发不良品,不退货")
    told = [m["text"] for m in to(out, user="sales1") if m["text"]]
    assert told == ["退货申请 #1 已驳回。原因:先补发不良品,不退货"]
    assert _rows(db_url, "SELECT count(*) FROM counter WHERE key LIKE 'RMA-%'") == [(0,)]  # no RMA issued


def test_the_requester_may_withdraw_before_the_decision(db_url: str) -> None:
    bot = LocalChat(db_url)
    _complaint(bot)
    card = _request(bot)
    assert "只有申请人" in only(bot.click("cs_mgr", card, "withdraw", now="2026-11-23T10:01"), user="cs_mgr")["text"]
    out = bot.click("sales1", card, "withdraw", now="2026-11-23T10:02")
    assert card_of(only(out, user="cs_mgr"))["title"].endswith("已撤回")
    assert "已撤回" in next(m["text"] for m in to(out, user="sales1") if m["text"])
    assert "已失效" in only(bot.click("cs_mgr", card, "approve", now="2026-11-23T10:03"), user="cs_mgr")["text"]


def test_an_approver_hands_a_step_to_a_deputy_and_the_audit_shows_both(db_url: str) -> None:
    bot = LocalChat(db_url)
    _complaint(bot)
    card = _request(bot)
    assert (
        "没有「nobody」"
        in only(bot.click("cs_mgr", card, "delegate", now="2026-11-23T10:01", deputy="nobody"), user="cs_mgr")["text"]
    )
    out = bot.click("cs_mgr", card, "delegate", now="2026-11-23T10:02", deputy="qa_mgr")
    assert card_of(only(out, user="qa_mgr"))["id"] == card
    out = bot.click("qa_mgr", card, "approve", now="2026-11-23T10:30")
    assert card_of(only(out, user="vp"))["id"] == card.replace("s0", "s1")
    audit = _rows(db_url, "SELECT action, actor, note FROM audit_log WHERE entity = 'approval' ORDER BY id")
    assert audit[1:] == [("delegate", "cs_mgr", "转交给刘强"), ("approve", "qa_mgr", "代陈静审批")]


def test_goods_without_an_approved_rma_are_refused_by_the_warehouse(db_url: str) -> None:
    bot = LocalChat(db_url)
    assert "拒收" in only(bot.say("wh1", "明辉退回来一批X200,没有RMA号", now="2026-11-23T10:00"), user="wh1")["text"]
    assert "拒收" in only(bot.say("wh1", "RMA-202611-0042 进度", now="2026-11-23T10:00"), user="wh1")["text"]


def test_a_return_needs_a_quantity_and_what_is_returned(db_url: str) -> None:
    bot = LocalChat(db_url)
    assert "数量" in only(bot.say("sales1", "我要申请退货", now="2026-11-23T10:00"), user="sales1")["text"]
    out = bot.say("sales1", "申请退货 顺达 FX-90 15台", now="2026-11-23T10:00")
    assert field(card_of(only(out, user="cs_mgr")), "客户") == "顺达电器"


def test_my_tasks_lists_pending_approvals_with_their_due_times(db_url: str) -> None:
    bot = LocalChat(db_url)
    _complaint(bot)
    _request(bot)
    tasks = only(bot.say("cs_mgr", "我的待办", now="2026-11-23T12:00"), user="cs_mgr")["text"]
    assert "待审批:退货申请 #1 · 客服经理审核 · 截止 11-25 10:00" in tasks
    out = bot.tick(now="2026-11-25T10:00")
    assert "审批:退货申请「客服经理审核」 已到期" in card_of(only(out, user="cs_mgr"))["title"]
    assert to(bot.tick(now="2026-11-25T11:00"), user="cs_mgr") == []  # told once (escalation: 4 working hours on)


def test_sales_can_start_a_return_from_the_complaint_card(db_url: str) -> None:
    bot = LocalChat(db_url)
    _complaint(bot)
    status = card_of(only(bot.say("sales1", "KS-202611-0001 进度", now="2026-11-23T10:00"), user="sales1"))
    assert actions(status) == ["request_return"]
    assert actions(card_of(only(bot.say("qa1", "KS-202611-0001 进度", now="2026-11-23T10:00"), user="qa1"))) == []
    out = bot.click("sales1", status["id"], "request_return", now="2026-11-23T10:01", quantity="120")
    assert field(card_of(only(out, user="cs_mgr")), "退货数量") == "120"
