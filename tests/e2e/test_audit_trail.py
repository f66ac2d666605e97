"""The audit trail (ISO 9001 record control): every record change — complaint, approval, return, order, 8D,
return analysis, visit, survey answer, campaign start and close, customer archive, reassignment — writes who did
what to which record, driven end to end through the local channel."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from storage.db import make_engine
from tests.e2e.chat import LocalChat, card_of, only, to
from tests.e2e.test_campaigns import _archive, _cli
from tests.e2e.test_order_review import _submit
from tests.e2e.test_return_analysis import _approved_return, _reports

Row = tuple[str, str]


def trail(db_url: str, entity: str) -> list[Row]:
    """(action, actor) of every audit row about ``entity`` records, oldest first."""
    engine = make_engine(db_url)
    with engine.connect() as conn:
        sql = sa.text("SELECT entity, action, actor FROM audit_log WHERE entity = :e ORDER BY id")
        rows = [(str(r[1]), str(r[2])) for r in conn.execute(sql, {"e": entity}).all()]
    engine.dispose()
    return rows


def _complaint(bot: LocalChat, n: int, text: str, now: str) -> None:
    bot.say("sales1", text, now=now)
    bot.click("sales1", f"f{n}v1", "confirm", now=now)


def test_a_complaint_and_the_8d_its_repeat_opens_are_in_the_trail_step_by_step(db_url: str) -> None:
    bot = LocalChat(db_url)
    _complaint(bot, 1, "明辉电子投诉X200外壳划伤,200个", "2026-11-02T09:00")
    _complaint(bot, 2, "明辉电子投诉X200外壳划伤,30个", "2026-11-23T09:00")  # a repeat: opens 8D-KS-202611-0002
    assert trail(db_url, "complaint") == [("draft", "sales1"), ("confirm", "sales1")] * 2
    bot.click("qa1", "e1s0", "write", now="2026-11-23T10:00", text="组长王芳,研发刘洋")
    refused = bot.click("sales1", "e1s1", "write", now="2026-11-23T10:05", text="x")
    assert "品质部" in only(refused, user="sales1")["text"]  # refused: nothing changed, nothing audited
    assert trail(db_url, "eightd") == [("open", "sales1"), ("write", "qa1")]


def test_a_return_its_approval_and_the_analysis_it_opens_are_in_the_trail(db_url: str) -> None:
    bot = LocalChat(db_url)
    _complaint(bot, 1, "明辉电子投诉X200外壳划伤,300个", "2026-11-23T09:00")
    report = _reports(_approved_return(bot, "KS-202611-0001", 300, "2026-11-23T10:00"))
    assert ("request", "sales1") in trail(db_url, "return")
    assert [r for r in trail(db_url, "approval") if r[0] == "approve"] == [("approve", "cs_mgr"), ("approve", "vp")]
    bot.click("qa1", str(card_of(report[0])["id"]), "submit", now="2026-11-24T10:00", analysis="运输挤压")
    assert trail(db_url, "analysis") == [("open", "vp"), ("submit", "qa1")]


def test_an_order_submission_is_in_the_trail(db_url: str) -> None:
    _submit(LocalChat(db_url))
    assert trail(db_url, "order")[0] == ("submit", "sales1")


def test_a_visit_and_each_answer_are_in_the_trail(db_url: str) -> None:
    bot = LocalChat(db_url)
    out = bot.say("sales1", "今天拜访明辉电子,客户提出:1.交期太长 2.包装要改进", now="2026-11-23T15:00")
    first = str(card_of(to(out, user="qa_mgr")[0])["id"])
    bot.click("qa_mgr", first, "answer", now="2026-11-24T09:00", answer="交期缩短到 10 天")
    assert trail(db_url, "visit") == [("record", "sales1"), ("answer", "qa_mgr")]


def test_a_campaign_start_its_survey_answers_and_its_close_are_in_the_trail(db_url: str, tmp_path: Path) -> None:
    _archive(db_url, tmp_path, 4)
    assert trail(db_url, "customer") != []  # the archive import
    bot = LocalChat(db_url)
    survey = next(m for m in bot.tick(now="2026-07-15T09:01") if m.get("card") and m["card"]["id"].startswith("sv"))
    owner = survey["to"]["user"]
    answers = {"产品质量": "满意", "交货期": "较差", "价格": "一般", "服务": "非常满意"}
    bot.click(owner, str(card_of(survey)["id"]), "record", now="2026-07-28T10:00", **answers)
    bot.tick(now="2026-07-29T09:01")  # 14 days after the start: it closes
    assert trail(db_url, "campaign") == [("start", "kesu"), ("survey", owner), ("close", "kesu")]


def test_a_key_customer_designation_and_a_reassignment_are_in_the_customer_trail(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("名称,负责业务员\n明辉电子,sales1\n", encoding="utf-8")
    _cli(db_url, "customers", "import", str(path))
    bot = LocalChat(db_url)
    card = card_of(only(bot.say("sales1", "申请重点客户 明辉电子", now="2026-11-23T09:00"), user="gm"))
    bot.click("gm", str(card["id"]), "approve", now="2026-11-23T10:00")
    assert ("approve", "gm") in trail(db_url, "approval")
    assert ("key", "gm") in trail(db_url, "customer")
    _cli(db_url, "customers", "reassign", "--from", "sales1", "--to", "sales2", "--now", "2026-11-24T10:00")
    assert [r[0] for r in trail(db_url, "customer")][-2:] == ["key", "reassign"]
    engine = make_engine(db_url)
    with engine.connect() as conn:
        sql = "SELECT entity_id, before, after FROM audit_log WHERE action = 'reassign'"
        (name, before, after), *more = conn.execute(sa.text(sql)).all()
    engine.dispose()
    assert not more and name == "明辉电子"
    assert [json.loads(v) if isinstance(v, str) else v for v in (before, after)] == [
        {"owner": "sales1"},
        {"owner": "sales2"},
    ]
