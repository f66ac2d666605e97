"""退货分析改善报告 (PROCEDURE §1.8): a batch return, or one defect returned by several customers, opens a report
QA owes within 3 days; it is reminded like every clock."""

from __future__ import annotations

from tests.e2e.chat import LocalChat, Message, card_of, field, only, to
from tests.e2e.test_reminders import nags


def _approved_return(bot: LocalChat, number: str, quantity: int, now: str) -> list[Message]:
    """Request a return for form ``number``; cs_mgr and vp approve it; what the vp's tap sent."""
    card = str(card_of(only(bot.say("sales1", f"申请退货 {number} {quantity}个", now=now), user="cs_mgr"))["id"])
    bot.click("cs_mgr", card, "approve", now=now)
    return bot.click("vp", card.replace("s0", "s1"), "approve", now=now)


def _reports(out: list[Message]) -> list[Message]:
    return [m for m in to(out, user="qa1") if m.get("card") and str(m["card"]["id"]).startswith("ra")]


def test_a_batch_return_opens_the_report_and_qa_submits_it(db_url: str) -> None:
    bot = LocalChat(db_url)
    bot.say("sales1", "明辉电子投诉X200外壳划伤,300个", now="2026-11-23T09:00")
    bot.click("sales1", "f1v1", "confirm", now="2026-11-23T09:00")
    report = _reports(_approved_return(bot, "KS-202611-0001", 300, "2026-11-23T10:00"))
    assert len(report) == 1 and "批量退货(300 件)" in report[0]["text"]
    card = card_of(report[0])
    rid = str(card["id"])
    assert rid.startswith("ra") and field(card, "截止") == "11-26 10:00"  # the improvement-report clock: 3 days

    assert "原因分析" in only(bot.click("qa1", rid, "submit", now="2026-11-24T09:00"), user="qa1")["text"]
    assert (
        "品质部"
        in only(bot.click("sales1", rid, "submit", now="2026-11-24T09:00", analysis="x"), user="sales1")["text"]
    )
    done = bot.click("qa1", rid, "submit", now="2026-11-24T10:00", analysis="运输挤压", actions="加固包装")
    assert field(card_of(only(done, user="qa_mgr")), "原因分析") == "运输挤压"
    assert nags(bot.tick(now="2026-11-26T10:01"), "qa1", "退货分析") == []  # submitted: no reminder


def test_one_defect_returned_by_two_customers_opens_a_report_that_is_reminded(db_url: str) -> None:
    bot = LocalChat(db_url)
    bot.say("sales1", "明辉电子投诉X200外壳划伤,20个", now="2026-11-23T09:00")
    bot.click("sales1", "f1v1", "confirm", now="2026-11-23T09:00")
    bot.say("sales1", "华为投诉X200外壳划痕,10个", now="2026-11-23T09:10")
    bot.click("sales1", "f2v1", "confirm", now="2026-11-23T09:10")
    assert _reports(_approved_return(bot, "KS-202611-0001", 20, "2026-11-23T10:00")) == []  # one customer so far
    report = _reports(_approved_return(bot, "KS-202611-0002", 10, "2026-11-23T11:00"))
    assert len(report) == 1 and "多个客户退回同一问题:华为、明辉电子" in report[0]["text"]
    assert len(field(card_of(report[0]), "退货单").split("、")) == 2
    assert len(nags(bot.tick(now="2026-11-26T11:01"), "qa1", "退货分析改善报告 已到期")) == 1
