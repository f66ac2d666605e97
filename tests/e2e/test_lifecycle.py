"""The whole complaint procedure (PROCEDURE §1) through `kesu say` / `kesu click` on a fixed clock."""

from __future__ import annotations

import sqlalchemy as sa

from storage.db import make_engine
from tests.e2e.chat import LocalChat, actions, card_of, field, only, to


def _count(db_url: str, sql: str) -> int:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        value = int(conn.execute(sa.text(sql)).scalar_one())
    engine.dispose()
    return value


def test_a_complaint_runs_from_chat_to_closure_with_a_not_effective_loop(db_url: str) -> None:
    bot = LocalChat(db_url)

    # Sales types one line on the phone: a complete draft comes back to confirm.
    draft = card_of(only(bot.say("sales1", "明辉电子投诉X200外壳划伤,200个,急", now="2026-11-23T09:00"), user="sales1"))
    assert draft["id"] == "f1v1"
    assert (field(draft, "客户"), field(draft, "产品"), field(draft, "数量"), field(draft, "紧急")) == (
        "明辉电子",
        "X200",
        "200",
        "急件",
    )
    assert actions(draft) == ["confirm", "cancel"]

    # Confirming issues the number; QA (qa1 and the qa chat) get the card; sales is told.
    out = bot.click("sales1", "f1v1", "confirm", now="2026-11-23T09:05")
    qa_card = card_of(only(out, user="qa1"))
    assert card_of(only(out, chat="qa"))["id"] == qa_card["id"] == "f1v2"
    assert field(qa_card, "编号") == "KS-202611-0001"
    assert field(qa_card, "处理完成(急件)") == "截止 11-25 09:00"  # urgent: 2 calendar days from receipt (the draft)
    assert field(qa_card, "首次答复客户") == "截止 11-26 09:00"
    assert "KS-202611-0001" in only(out, user="sales1")["text"]

    # Sales may not take QA's step; a missing department is asked for; neither changes anything.
    assert (
        "没有权限"
        in only(bot.click("sales1", "f1v2", "valid", now="2026-11-23T09:06", department="研发部"), user="sales1")[
            "text"
        ]
    )
    assert "责任部门" in only(bot.click("qa1", "f1v2", "valid", now="2026-11-23T09:07"), user="qa1")["text"]

    # QA: valid, assigned to R&D. The department head gets the response card.
    out = bot.click("qa1", "f1v2", "valid", now="2026-11-23T10:00", department="研发部")
    rd_card = card_of(only(out, user="rd1"))
    assert rd_card["id"] == "f1v3" and actions(rd_card) == ["respond"]
    assert {i["name"] for i in rd_card["inputs"] if i["required"]} == {"containment", "root_cause", "corrective"}
    assert "研发部" in only(out, user="sales1")["text"]

    # Another department cannot answer for R&D.
    refused = bot.click(
        "prod1", "f1v3", "respond", now="2026-11-23T11:00", containment="x", root_cause="y", corrective="z"
    )
    assert "研发部" in only(refused, user="prod1")["text"]

    response = {
        "containment": "隔离库存200个,全检",
        "root_cause": "包装无隔层,运输摩擦",
        "corrective": "增加珍珠棉隔层",
    }
    verify = card_of(only(bot.click("rd1", "f1v3", "respond", now="2026-11-23T15:00", **response), user="qa1"))
    assert verify["id"] == "f1v4" and actions(verify) == ["effective", "not_effective"]
    assert field(verify, "根本原因") == "包装无隔层,运输摩擦"

    # Not effective: back to R&D with QA's comment, round 2.
    out = bot.click("qa1", "f1v4", "not_effective", now="2026-11-24T09:00", comment="抽检仍有划伤")
    again = card_of(only(out, user="rd1"))
    assert again["id"] == "f1v5"
    assert field(again, "处理轮次") == "第 2 轮" and field(again, "品质意见") == "抽检仍有划伤"

    response["corrective"] = "改用吸塑托盘"
    bot.click("rd1", "f1v5", "respond", now="2026-11-24T14:00", **response)

    # Effective: sales reports to the customer. A second tap on the old card is refused, naming who acted.
    out = bot.click("qa1", "f1v6", "effective", now="2026-11-24T16:00")
    report = card_of(only(out, user="sales1"))
    assert report["id"] == "f1v7" and actions(report) == ["reported"]
    assert field(report, "处理完成(急件)").startswith("已完成 11-24 16:00")
    stale = only(bot.click("qa1", "f1v6", "not_effective", now="2026-11-24T16:01", comment="x"), user="qa1")["text"]
    assert "已失效" in stale and "王芳" in stale and "11-24 16:00" in stale

    accept = card_of(only(bot.click("sales1", "f1v7", "reported", now="2026-11-24T17:00"), user="sales1"))
    assert actions(accept) == ["accepted", "not_accepted"]
    out = bot.click("sales1", "f1v8", "accepted", now="2026-11-25T09:00", note="客户签字确认")
    assert "已结案" in only(out, user="sales1")["text"]
    assert "已结案" in only(out, user="qa1")["text"]

    # The status query shows the history and the state.
    status = only(bot.say("sales1", "KS-202611-0001 进度", now="2026-11-25T10:00"), user="sales1")
    assert field(card_of(status), "状态") == "已结案"
    history = status["text"]
    for step in (
        "登记草稿",
        "提交",
        "有效,指派部门(研发部)",
        "无效,退回部门(抽检仍有划伤)",
        "验证有效",
        "客户已确认接收",
    ):
        assert step in history
    assert history.count("提交对策") == 2

    # Every state change is in the audit log; refusals added nothing.
    assert _count(db_url, "SELECT count(*) FROM audit_log WHERE entity_id = '1'") == 9
    assert _count(db_url, "SELECT count(*) FROM complaint") == 1


def test_a_customer_caused_complaint_is_closed_after_sales_explains(db_url: str) -> None:
    bot = LocalChat(db_url)
    bot.say("sales2", "顺达电器投诉FX-90风扇叶片有裂纹,15台", now="2026-11-23T09:00")
    out = bot.click("sales2", "f1v1", "confirm", now="2026-11-23T09:01")
    assert field(card_of(only(out, user="qa1")), "处理完成(普通件)") == "截止 11-30 09:00"  # normal: 7 days

    assert "原因" in only(bot.click("qa1", "f1v2", "customer_caused", now="2026-11-23T10:00"), user="qa1")["text"]
    out = bot.click("qa1", "f1v2", "customer_caused", now="2026-11-23T10:05", reason="客户超负荷使用")
    explain = card_of(only(out, user="sales2"))
    assert actions(explain) == ["explained"] and field(explain, "判定原因") == "客户超负荷使用"
    assert to(out, user="rd1") == []

    out = bot.click("sales2", "f1v3", "explained", now="2026-11-23T11:00")
    assert "已结案" in only(out, user="sales2")["text"]
    status = card_of(only(bot.say("sales2", "ks2026110001进度", now="2026-11-23T12:00"), user="sales2"))
    assert field(status, "状态") == "已结案"


def test_a_draft_asks_only_for_what_is_missing_and_takes_it_from_the_card(db_url: str) -> None:
    bot = LocalChat(db_url)
    out = only(bot.say("sales1", "华为投诉 P40支架 颜色不一致", now="2026-11-23T09:00"), user="sales1")
    assert out["text"].endswith("影响数量是多少?")
    assert [i["name"] for i in card_of(out)["inputs"] if i["required"]] == ["quantity"]

    assert "数量" in only(bot.click("sales1", "f1v1", "confirm", now="2026-11-23T09:01"), user="sales1")["text"]
    assert (
        "正整数"
        in only(bot.click("sales1", "f1v1", "confirm", now="2026-11-23T09:01", quantity="很多"), user="sales1")["text"]
    )
    other = only(bot.click("sales2", "f1v1", "confirm", now="2026-11-23T09:01", quantity="5"), user="sales2")
    assert "只有本单业务员" in other["text"]
    submitted = bot.click("sales1", "f1v1", "confirm", now="2026-11-23T09:02", quantity="1000")
    assert field(card_of(only(submitted, user="qa1")), "编号") == "KS-202611-0001"  # refusals used no number
    assert field(card_of(only(submitted, user="qa1")), "数量") == "1000"


def test_an_unknown_person_is_told_to_ask_an_admin_and_nothing_is_stored(db_url: str) -> None:
    bot = LocalChat(db_url)
    reply = only(bot.say("stranger", "明辉电子投诉X200外壳划伤,200个", now="2026-11-23T09:00"), user="stranger")
    assert "管理员" in reply["text"]
    assert _count(db_url, "SELECT count(*) FROM complaint") == 0
    assert _count(db_url, "SELECT count(*) FROM inbox WHERE status = 'done'") == 1


def test_a_customer_who_does_not_accept_sends_the_form_back_to_the_department(db_url: str) -> None:
    bot = LocalChat(db_url)
    bot.say("sales1", "美的投诉 KS-10控制板 死机 30个 订单SO2026-0456", now="2026-11-23T09:00")
    bot.click("sales1", "f1v1", "confirm", now="2026-11-23T09:01")
    bot.click("qa1", "f1v2", "valid", now="2026-11-23T09:02", department="prod")
    fix = {"containment": "冻结库存", "root_cause": "焊点虚焊", "corrective": "调整回流焊曲线"}
    bot.click("prod1", "f1v3", "respond", now="2026-11-23T10:00", **fix)
    bot.click("qa1", "f1v4", "effective", now="2026-11-23T11:00")
    bot.click("sales1", "f1v5", "reported", now="2026-11-23T12:00")
    assert (
        "客户意见" in only(bot.click("sales1", "f1v6", "not_accepted", now="2026-11-23T13:00"), user="sales1")["text"]
    )
    out = bot.click("sales1", "f1v6", "not_accepted", now="2026-11-23T13:05", note="客户要求全数更换")
    back = card_of(only(out, user="prod1"))
    assert field(back, "客户意见") == "客户要求全数更换" and field(back, "处理轮次") == "第 2 轮"
    assert field(back, "订单号") == "SO2026-0456"
