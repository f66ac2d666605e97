"""The parser on order review (合同评审) requests: recognised by its own words only, with its fields."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.config import demo_config
from bot.intents.dates import delivery_of
from bot.intents.understand import Parser

PARSE = Parser(demo_config().org)
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        (
            "合同评审 美的 P40 5000个 12月20日交货 要求RoHS",
            {
                "customer": "美的集团",
                "product": "P40",
                "quantity": 5000,
                "delivery": "2026-12-20",
                "requirements": "RoHS",
            },
        ),
        (
            "订单评审:格力,TX-500,2000台,交期2026-12-28,特殊要求:耐压3kV",
            {
                "customer": "格力电器",
                "product": "TX-500",
                "quantity": 2000,
                "delivery": "2026-12-28",
                "requirements": "耐压3kV",
            },
        ),
        (
            "帮我提交评审 海尔 FX-90 800台 1月10号交货",
            {"customer": "海尔智家", "product": "FX-90", "quantity": 800, "delivery": "2027-01-10"},
        ),
        ("合同评审 美的 X200 3000个", {"customer": "美的集团", "product": "X200", "quantity": 3000}),
        (
            "合同评审 宏达科技 AB-300 两千个 要求RoHS,无卤 交期12/30",
            {
                "customer": "宏达科技",
                "product": "AB-300",
                "quantity": 2000,
                "delivery": "2026-12-30",
                "requirements": "RoHS,无卤",
            },
        ),
        (
            "合同评审 美的 P40 5000个 客户要求12月20日前交货",
            {"customer": "美的集团", "product": "P40", "quantity": 5000, "delivery": "2026-12-20"},
        ),
        (
            "请帮我发起合同评审 立讯 C220 1.2万个 备注:包装用防静电袋",
            {"customer": "立讯精密", "product": "C-220", "quantity": 12000, "requirements": "包装用防静电袋"},
        ),
        (
            "order review Foxconn C-220 10k pcs delivery 2027-01-15",
            {"customer": "富士康", "product": "C-220", "quantity": 10000, "delivery": "2027-01-15"},
        ),
        ("合同评审", {}),
        ("合同评审 美的", {"customer": "美的集团"}),
    ],
)
def test_an_order_review_request_yields_its_fields(text: str, slots: dict[str, object]) -> None:
    understood = PARSE(text, NOW)
    assert (understood.intent, understood.slots) == ("order_review", slots)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("立讯的合同评审明天几点", "unknown"),  # talk about a review meeting, not a request
        ("合同评审会几点开", "unknown"),
        ("帮我下个订单 P40 500个", "unknown"),  # 下单 alone is not a review request
        ("顺达要追加5000个X200的订单,交期下周三", "unknown"),
        ("美的 P40 5000个 12月20日交货", "log_complaint"),  # as before: no review word, no review
        ("明辉电子投诉X200外壳划伤,200个,评审一下", "log_complaint"),  # a complaint wins
        ("合同评审怎么提交", "help"),
    ],
)
def test_only_the_review_words_make_an_order_review(text: str, intent: str) -> None:
    assert PARSE(text, NOW).intent == intent


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12月20日交货", "2026-12-20"),
        ("11月22日", "2026-11-22"),  # today is not in the past
        ("11月21日交货", "2027-11-21"),  # earlier than today: next year
        ("1月10号", "2027-01-10"),
        ("十二月二十日", "2026-12-20"),
        ("交期2026-12-28", "2026-12-28"),
        ("2027年3月5日前交货", "2027-03-05"),
        ("交期:12/30", "2026-12-30"),
        ("26年12月20日交货", "2026-12-20"),
        ("5000个", None),
    ],
)
def test_delivery_dates_resolve_against_today(text: str, value: str | None) -> None:
    found = delivery_of(text, NOW)
    assert (found.value if found else None) == value
    assert found is None or found.problem is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("2月30日交货", "交期「2月30日」不是有效日期。"),
        ("13月1日交货", "交期「13月1日」不是有效日期。"),
        ("2月29日交货", "交期「2月29日」不是有效日期。"),  # the next February (2027) has 28 days
        ("交期2026-02-30", "交期「2026-02-30」不是有效日期。"),
        ("交期12/32", "交期「12/32」不是有效日期。"),
        ("99999年1月1日交货", "交期「99999年1月1日」的年份不在 2021–2031 年之间。"),
        ("2032-01-01交货", "交期「2032-01-01」的年份不在 2021–2031 年之间。"),
    ],
)
def test_a_delivery_date_that_does_not_exist_is_reported_not_dropped_or_moved(text: str, problem: str) -> None:
    found = delivery_of(text, NOW)
    assert found is not None and found.value is None and found.problem == problem


def test_an_order_review_with_a_wrong_date_keeps_it_out_of_the_fields_and_says_why() -> None:
    understood = PARSE("合同评审 美的 P40 5000个 2月30日交货", NOW)
    assert understood.slots == {"customer": "美的集团", "product": "P40", "quantity": 5000}
    assert understood.invalid == {"delivery": "交期「2月30日」不是有效日期。"}
