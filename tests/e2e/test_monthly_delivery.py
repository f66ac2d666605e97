"""The monthly report reaches people: on the 1st at 09:00 in the management group (once), and on request for QA
and managers — the summary text, the Pareto chart and the Excel register."""

from __future__ import annotations

from tests.e2e.chat import LocalChat, Message, only, to


def _month(bot: LocalChat) -> None:
    bot.say("sales1", "明辉电子投诉X200外壳划伤,200个", now="2026-11-23T09:00")
    bot.click("sales1", "f1v1", "confirm", now="2026-11-23T09:00")
    bot.say("sales1", "顺达电器投诉FX-90风扇叶片有裂纹,15台", now="2026-11-24T09:00")
    bot.click("sales1", "f2v1", "confirm", now="2026-11-24T09:00")


def _parts(messages: list[Message]) -> tuple[list[str], list[str], list[str]]:
    texts = [str(m["text"]) for m in messages if m.get("text")]
    images = [str(m["image"]) for m in messages if m.get("image")]
    files = [str(m.get("file_name")) for m in messages if m.get("file")]
    return texts, images, files


def test_the_report_goes_to_the_management_group_on_the_first_at_nine_once(db_url: str) -> None:
    bot = LocalChat(db_url)
    _month(bot)
    assert to(bot.tick(now="2026-12-01T08:59"), chat="mgmt") == []
    texts, images, files = _parts(to(bot.tick(now="2026-12-01T09:01"), chat="mgmt"))
    assert len(texts) == 1 and "📊 2026-11 客诉月报" in texts[0] and "客诉：2 件" in texts[0]
    assert len(images) == 1 and files == ["客诉月报-2026-11.xlsx"]
    assert to(bot.tick(now="2026-12-01T10:00"), chat="mgmt") == []  # once a month
    assert to(bot.tick(now="2026-12-02T09:30"), chat="mgmt") == []


def test_managers_get_it_on_request_privately_and_sales_do_not(db_url: str) -> None:
    bot = LocalChat(db_url)
    _month(bot)
    texts, images, files = _parts(to(bot.say("qa_mgr", "上个月客诉月报", now="2026-12-03T10:00"), user="qa_mgr"))
    assert texts and "📊 2026-11 客诉月报" in texts[0] and len(images) == 1 and files == ["客诉月报-2026-11.xlsx"]
    refused = only(bot.say("sales1", "上个月客诉月报", now="2026-12-03T10:00"), user="sales1")
    assert "仅限" in refused["text"]
    in_group = bot.say("gm", "11月客诉统计", chat="mgmt", now="2026-12-03T10:00")
    assert "私信" in only(in_group, chat="mgmt")["text"] and _parts(to(in_group, user="gm"))[1]
