"""Key-customer designation (PROCEDURE §7): proposed in chat, approved by the gm through the approval engine."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.chat import LocalChat, card_of, only
from tests.e2e.test_campaigns import _cli


def test_a_key_customer_is_proposed_and_approved_by_the_gm(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("名称,负责业务员\n明辉电子,sales1\n", encoding="utf-8")
    _cli(db_url, "customers", "import", str(path))
    bot = LocalChat(db_url)
    assert "业务部门" in only(bot.say("rd1", "申请重点客户 明辉电子", now="2026-11-23T09:00"), user="rd1")["text"]
    assert "没有「华为」" in only(bot.say("sales1", "申请重点客户 华为", now="2026-11-23T09:00"), user="sales1")["text"]

    out = bot.say("sales1", "申请重点客户 明辉电子", now="2026-11-23T09:00")
    card = card_of(only(out, user="gm"))
    assert card["title"].startswith("重点客户认定 明辉电子") and card["actions"][0]["id"] == "approve"
    again = only(bot.say("sales2", "把明辉电子列为重点客户", now="2026-11-23T09:05"), user="sales2")
    assert "审批中" in again["text"]

    done = bot.click("gm", str(card["id"]), "approve", now="2026-11-23T10:00")
    assert any("已认定为重点客户" in str(m.get("text")) for m in done if m["to"] == {"user": "sales1"})
    assert "明辉电子" in _cli(db_url, "customers", "export") and ",是," in _cli(db_url, "customers", "export")
    later = bot.say("sales1", "申请重点客户 明辉电子", now="2026-11-24T09:00")
    assert "已经是重点客户" in only(later, user="sales1")["text"]


def test_the_half_year_key_customer_report(db_url: str, tmp_path: Path) -> None:
    first = tmp_path / "a.csv"
    first.write_text("名称,负责业务员,重点客户\n明辉电子,sales1,是\n顺达电器,sales2,否\n", encoding="utf-8")
    _cli(db_url, "customers", "import", str(first), "--now", "2026-06-01T09:00")
    later = tmp_path / "b.csv"
    later.write_text("名称,负责业务员\n华为,sales1\n", encoding="utf-8")
    _cli(db_url, "customers", "import", str(later), "--now", "2026-08-01T09:00")
    bot = LocalChat(db_url)
    bot.say("sales1", "明辉电子投诉X200外壳划伤,200个", now="2026-10-12T09:00")
    bot.click("sales1", "f1v1", "confirm", now="2026-10-12T09:00")

    assert [
        m for m in bot.tick(now="2027-01-01T08:59") if m["to"] == {"chat": "mgmt"} and "重点客户" in str(m["text"])
    ] == []
    out = [
        m for m in bot.tick(now="2027-01-01T09:01") if m["to"] == {"chat": "mgmt"} and "重点客户报告" in str(m["text"])
    ]
    report = only(out, chat="mgmt")["text"]
    assert "2026 下半年重点客户报告" in report and "明辉电子:客诉 1 件" in report
    assert "新客户开发率:50%(新增 1 家,期初 2 家)" in report and "无往来客户率(流失风险):50%:顺达电器" in report
    again = bot.tick(now="2027-01-02T09:01")
    assert [m for m in again if "重点客户报告" in str(m.get("text"))] == []  # once per half year


def test_the_archive_card_shows_the_customer_history(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("名称,负责业务员\n明辉电子,sales1\n", encoding="utf-8")
    _cli(db_url, "customers", "import", str(path))
    bot = LocalChat(db_url)
    bot.say("sales1", "明辉电子投诉X200外壳划伤,200个", now="2026-11-23T09:00")
    bot.click("sales1", "f1v1", "confirm", now="2026-11-23T09:00")
    bot.say("sales1", "拜访明辉电子,客户提出:1.交期太长", now="2026-11-24T09:00")
    card = card_of(only(bot.say("sales2", "客户资料 明辉电子", now="2026-11-25T09:00"), user="sales2"))
    fields = {f["label"]: f["value"] for f in card["fields"]}
    assert fields["客诉"] == "1 单(最近 KS-202611-0001)" and fields["拜访"] == "1 次" and fields["退货"] == "0 次"
