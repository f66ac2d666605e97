"""Key-customer visits (PROCEDURE §7): questions raised in a visit each get an owner and 5 working days; left
unanswered they are reminded then escalated; the answers make the 客户意见答复单."""

from __future__ import annotations

from tests.e2e.chat import LocalChat, card_of, field, only, to
from tests.e2e.test_reminders import nags


def test_visit_questions_are_answered_into_a_reply_letter(db_url: str) -> None:
    bot = LocalChat(db_url)
    out = bot.say("sales1", "今天拜访明辉电子,客户提出:1.交期太长 2.包装要改进", now="2026-11-23T15:00")
    assert "客户问题 2 个" in only(out, user="sales1")["text"] and "11-30 15:00" in only(out, user="sales1")["text"]
    cards = [card_of(m) for m in to(out, user="qa_mgr")]
    assert [field(c, "问题") for c in cards] == ["交期太长", "包装要改进"]
    first, second = (str(c["id"]) for c in cards)

    assert (
        "负责人"
        in only(bot.click("sales2", first, "answer", now="2026-11-24T09:00", answer="x"), user="sales2")["text"]
    )
    bot.click("qa_mgr", first, "answer", now="2026-11-24T09:00", answer="交期缩短到 10 天")
    stale = only(bot.click("qa_mgr", second, "answer", now="2026-11-24T09:05", answer="改用加强纸箱"), user="qa_mgr")
    assert "已过期" in stale["text"]  # the visit changed: answer from the newest card
    newest = second.rsplit("s", 1)[0] + "s2"
    done = bot.click("qa_mgr", newest, "answer", now="2026-11-24T09:06", answer="改用加强纸箱")
    letter = only([m for m in done if m.get("text")], user="sales1")["text"]
    assert "客户意见答复单" in letter and "致:明辉电子" in letter
    assert "1. 问题:交期太长" in letter and "答复:改用加强纸箱" in letter


def test_an_unanswered_visit_question_escalates_after_five_working_days(db_url: str) -> None:
    bot = LocalChat(db_url)
    bot.say("sales1", "拜访记录 华为 问题:价格偏高;希望提供RoHS报告", now="2026-11-23T15:00")  # Monday
    assert nags(bot.tick(now="2026-11-27T15:01"), "qa_mgr", "客户问题") != []  # a day before: reminded
    due = bot.tick(now="2026-11-30T15:01")  # 5 working days later (Monday)
    assert len(nags(due, "qa_mgr", "已到期")) == 2  # both questions
    escalated = bot.tick(now="2026-12-01T09:01")  # 4 working hours on: qa_mgr heads 品质部 → his manager, vp
    assert len(nags(escalated, "vp", "客户问题")) == 2
