"""Repeat complaints (PROCEDURE §1.8): the same customer, product and problem within 90 days is flagged and opens
an 8D for QA — D1…D8 each a task with a clock (containment in 24 h), closure approved by the qa_manager."""

from __future__ import annotations

from tests.e2e.chat import LocalChat, Message, card_of, field, only, to
from tests.e2e.test_reminders import nags


def _complaint(bot: LocalChat, n: int, text: str, now: str) -> list[Message]:
    bot.say("sales1", text, now=now)
    return bot.click("sales1", f"f{n}v1", "confirm", now=now)


def test_a_repeat_is_flagged_and_opens_an_8d_that_qa_fills_in_and_the_qa_manager_closes(db_url: str) -> None:
    bot = LocalChat(db_url)
    first = _complaint(bot, 1, "明辉电子投诉X200外壳划伤,200个", "2026-09-01T09:00")
    assert [m for m in first if m.get("card") and str(m["card"]["id"]).startswith("e")] == []
    _complaint(bot, 2, "顺达电器投诉FX-90风扇叶片有裂纹,15台", "2026-10-01T09:00")  # another customer

    out = _complaint(bot, 3, "明辉电子投诉X200外壳又有划痕,50个", "2026-11-23T09:00")  # 83 days later
    form_card = next(m for m in to(out, user="qa1") if str(m["card"]["id"]).startswith("f"))
    assert field(card_of(form_card), "⚠️ 重复投诉") == "与 KS-202609-0001 相同"
    eightd = [m for m in to(out, user="qa1") if m.get("card") and str(m["card"]["id"]).startswith("e")]
    assert len(eightd) == 1 and "已开 8D" in eightd[0]["text"]
    card = card_of(eightd[0])
    assert card["id"] == "e1s0" and field(card, "待填写") == "D1 成立小组(截止 11-24 09:00)"

    # Sales cannot write the 8D; QA writes D1…D8 in order, each on the card it was sent.
    refused = only(bot.click("sales1", "e1s0", "write", now="2026-11-23T10:00", text="组长:张伟"), user="sales1")
    assert "品质部" in refused["text"]
    steps = ["组长王芳,研发刘洋", "外壳表面划伤", "库存全检隔离", "包装无隔层"]
    steps += ["增加珍珠棉隔层", "连续三批无划伤", "包装规范更新", "总结"]
    for i, text in enumerate(steps):
        out = bot.click("qa1", f"e1s{i}", "write", now=f"2026-11-{24 + i // 3}T{10 + i % 3}:00", text=text)
    stale = only(bot.click("qa1", "e1s0", "write", now="2026-11-27T10:00", text="again"), user="qa1")
    assert "已过期" in stale["text"]  # a step is written once, from the card it was sent on
    manager = only([m for m in out if m.get("card")], user="qa_mgr")
    assert card_of(manager)["id"] == "e1s8" and [a["id"] for a in card_of(manager)["actions"]] == ["approve", "reject"]

    assert "品质经理" in only(bot.click("qa1", "e1s8", "approve", now="2026-11-27T12:00"), user="qa1")["text"]
    back = bot.click("qa_mgr", "e1s8", "reject", now="2026-11-27T12:00", reason="D8 太简略")
    assert "退回" in only(back, user="qa1")["text"] and card_of(only(back, user="qa1"))["id"] == "e1s7"
    bot.click("qa1", "e1s7", "write", now="2026-11-27T13:00", text="总结:包装改善已标准化,横向展开到 X300")
    closed = bot.click("qa_mgr", "e1s8", "approve", now="2026-11-27T14:00")
    assert "已批准结案" in only([m for m in closed if m.get("text")], user="qa1")["text"]


def test_an_8d_step_left_alone_nags_its_owner_then_escalates(db_url: str) -> None:
    bot = LocalChat(db_url)
    _complaint(bot, 1, "明辉电子投诉X200外壳划伤,200个", "2026-11-02T09:00")
    _complaint(bot, 2, "明辉电子投诉X200外壳划伤,30个", "2026-11-23T09:00")  # opens the 8D: D1 due in 24 h
    due = bot.tick(now="2026-11-24T09:01")
    assert nags(due, "qa1", "D1 成立小组") == ["⏰ 8D-KS-202611-0002 D1 成立小组 已到期(截止 11-24 09:00),请尽快处理。"]
    escalated = bot.tick(now="2026-11-24T13:01")
    assert len(nags(escalated, "qa_mgr", "D1 成立小组")) == 1  # qa1's department head
