"""Quantities and dates as people type them, through `kesu say` on a fixed clock: a number or a date that is not
valid is refused with a sentence naming the field, never changed into another one, and nothing is stored."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from storage.db import make_engine
from tests.e2e.chat import LocalChat, card_of, field, only

NOW = "2026-11-23T09:00"


def _rows(db_url: str, sql: str) -> list[tuple[object, ...]]:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text(sql)).all()]
    engine.dispose()
    return rows


def _records(db_url: str) -> list[tuple[object, ...]]:
    return _rows(db_url, "SELECT kind, count(*) FROM record GROUP BY kind ORDER BY kind")


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("明辉电子投诉X200外壳划伤,-5个", "数量要填正整数,收到的是「-5」。"),
        ("明辉电子投诉X200外壳划伤,1.5个", "数量要填正整数,收到的是「1.5」。"),
        ("明辉电子投诉X200外壳划伤,数量:-5", "数量要填正整数,收到的是「-5」。"),
        ("明辉电子投诉X200外壳划伤,0个", "数量要填正整数,收到的是「0」。"),
        ("明辉电子投诉X200外壳划伤,123456789012345678901个", "数量最多 1000000,收到的是 123456789012345678901。"),
        ("明辉电子投诉X200外壳划伤,3000000000个", "数量最多 1000000,收到的是 3000000000。"),
        ("明辉电子投诉X200外壳划伤," + "9" * 5000 + "个", "数量最多 1000000,收到的数字太大。"),
    ],
)
def test_a_complaint_with_a_wrong_quantity_is_refused_and_no_draft_is_made(db_url: str, text: str, answer: str) -> None:
    bot = LocalChat(db_url)
    out = bot.say("sales1", text, now=NOW)
    assert only(out, user="sales1") == {"to": {"user": "sales1"}, "text": answer, "card": None}
    assert _rows(db_url, "SELECT count(*) FROM complaint") == [(0,)]


def test_a_dash_between_the_model_and_the_count_is_a_separator(db_url: str) -> None:
    bot = LocalChat(db_url)
    card = card_of(only(bot.say("sales1", "明辉电子投诉X200-5个外壳划伤", now=NOW), user="sales1"))
    assert (field(card, "产品"), field(card, "数量"), field(card, "不良")) == ("X200", "5", "外壳划伤")


def test_a_return_with_a_wrong_quantity_is_refused_and_nothing_is_requested(db_url: str) -> None:
    bot = LocalChat(db_url)
    bot.say("sales1", "明辉电子投诉X200外壳划伤,200个", now=NOW)
    bot.click("sales1", "f1v1", "confirm", now="2026-11-23T09:05")
    before = _records(db_url)
    for text, answer in (
        ("申请退货 KS-202611-0001 -5个", "数量要填正整数,收到的是「-5」。"),
        ("申请退货 KS-202611-0001 1.5个", "数量要填正整数,收到的是「1.5」。"),
    ):
        assert only(bot.say("sales1", text, now="2026-11-23T10:00"), user="sales1")["text"] == answer
    assert _records(db_url) == before


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("合同评审 美的 P40 5000个 2月30日交货 要求RoHS", "交期「2月30日」不是有效日期。"),
        ("合同评审 美的 P40 5000个 13月1日交货 要求RoHS", "交期「13月1日」不是有效日期。"),
        ("合同评审 美的 P40 5000个 交期2026-02-30 要求RoHS", "交期「2026-02-30」不是有效日期。"),
        ("合同评审 美的 P40 5000个 99999年1月1日交货 要求RoHS", "交期「99999年1月1日」的年份不在 2021–2031 年之间。"),
        (
            "合同评审 美的 P40 1.5个 2月30日交货",
            "数量要填正整数,收到的是「1.5」。交期「2月30日」不是有效日期。",
        ),
    ],
)
def test_an_order_with_a_date_that_does_not_exist_is_refused_not_sent_without_one(
    db_url: str, text: str, answer: str
) -> None:
    bot = LocalChat(db_url)
    out = bot.say("sales1", text, now=NOW)
    assert only(out, user="sales1")["text"] == answer
    assert [m for m in out if m["to"] != {"user": "sales1"}] == []  # no reviewer gets a card
    assert _records(db_url) == []


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("13月客诉统计", "月份「13月」不存在,请写 1–12 月。"),
        ("2026年13月客诉统计", "月份「2026年13月」不存在,请写 1–12 月。"),
        ("99999年1月客诉统计", "年份「99999」不对,只能查 2021–2026 年的月份。"),
    ],
)
def test_a_monthly_report_for_a_month_that_does_not_exist_is_refused(db_url: str, text: str, answer: str) -> None:
    out = LocalChat(db_url).say("qa1", text, now=NOW)
    assert only(out, user="qa1") == {"to": {"user": "qa1"}, "text": answer, "card": None}


def test_an_answer_fills_the_asked_field_and_keeps_the_fields_already_known(db_url: str) -> None:
    bot = LocalChat(db_url)
    first = only(bot.say("sales1", "明辉电子投诉X200外壳划伤", now=NOW), user="sales1")
    assert first["text"].endswith("影响数量是多少?")

    out = bot.say("sales1", "200个 美的", now="2026-11-23T09:01")
    kept, done = out
    assert kept["text"] == "客户仍为明辉电子(要改请发「客户改成…」)。"
    card = card_of(done)
    assert (field(card, "客户"), field(card, "数量")) == ("明辉电子", "200")

    # Only an explicit change changes a field already filled.
    card = card_of(only(bot.say("sales1", "客户改成美的", now="2026-11-23T09:02"), user="sales1"))
    assert (field(card, "客户"), field(card, "数量")) == ("美的集团", "200")
    card = card_of(only(bot.say("sales1", "数量改为300", now="2026-11-23T09:03"), user="sales1"))
    assert field(card, "数量") == "300"
    assert _rows(db_url, "SELECT customer, version FROM complaint") == [("美的集团", 4)]


@pytest.mark.parametrize(
    ("reply", "answer"),
    [
        ("1.5", "数量要填正整数,收到的是「1.5」。影响数量是多少?"),
        ("-5个", "数量要填正整数,收到的是「-5」。影响数量是多少?"),
        ("-5", "数量要填正整数,收到的是「-5」。影响数量是多少?"),
        ("123456789012345678901", "数量最多 1000000,收到的是 123456789012345678901。"),
    ],
)
def test_a_wrong_quantity_as_an_answer_is_refused_and_the_question_stays(db_url: str, reply: str, answer: str) -> None:
    bot = LocalChat(db_url)
    bot.say("sales1", "明辉电子投诉X200外壳划伤", now=NOW)
    assert only(bot.say("sales1", reply, now="2026-11-23T09:01"), user="sales1")["text"] == answer
    assert _rows(db_url, "SELECT customer, version FROM complaint") == [("明辉电子", 1)]  # unchanged


def test_a_change_needs_the_change_words_and_a_valid_value(db_url: str) -> None:
    bot = LocalChat(db_url)
    bot.say("sales1", "明辉电子投诉X200外壳划伤,200个", now=NOW)
    # 改天 is not 改成: no field changes, and with nothing asked the message is not taken as an answer.
    assert only(bot.say("sales1", "客户改天再来", now="2026-11-23T09:01"), user="sales1")["text"].startswith("没太明白")
    refused = only(bot.say("sales1", "数量改成1.5", now="2026-11-23T09:02"), user="sales1")
    assert refused["text"] == "数量要填正整数,收到的是「1.5」。"
    assert _rows(db_url, "SELECT customer, version FROM complaint") == [("明辉电子", 1)]


def test_a_changed_delivery_date_years_away_is_refused_and_the_order_is_unchanged(db_url: str) -> None:
    bot = LocalChat(db_url)
    out = bot.say("sales1", "合同评审 美的 P40 5000个 12月20日交货 要求RoHS", now=NOW)
    review = card_of(only(out, user="rd1"))["id"]
    for reviewer in ("rd1", "qa1", "prod1", "buyer1", "fin1"):
        out = bot.click(reviewer, review, "approve", now="2026-11-23T10:00")
    change = card_of(next(m for m in out if m["to"].get("user") == "sales1" and m["text"]))["id"]
    before = _rows(db_url, "SELECT version, data FROM record WHERE kind = 'order'")
    answer = only(bot.click("sales1", change, "change", now="2026-11-24T09:00", delivery="9999-01-01"), user="sales1")
    assert answer["text"] == "交期的年份不在 2021–2031 年之间。"
    assert _rows(db_url, "SELECT version, data FROM record WHERE kind = 'order'") == before
