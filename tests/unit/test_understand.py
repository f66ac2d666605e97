"""The minimal text understanding behind `understand` (a later issue replaces it with a richer one)."""

from __future__ import annotations

import pytest

from bot.config import demo_config
from bot.intents.understand import understand

ORG = demo_config().org


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        (
            "明辉电子投诉X200外壳划伤,200个,急",
            {"customer": "明辉电子", "product": "X200", "defect": "划伤", "quantity": 200, "severity": "urgent"},
        ),
        (
            "美的投诉 KS-10控制板 死机 30个 订单SO2026-0456",
            {"customer": "美的集团", "product": "KS-10", "defect": "死机", "quantity": 30, "order_no": "SO2026-0456"},
        ),
        ("新客户宏达投诉 AB-300 漏水", {"customer": "新客户宏达", "product": "AB-300", "defect": "漏水"}),
        ("华为投诉 P40支架 颜色不一致", {"customer": "华为", "product": "P40", "defect": "颜色不一致"}),
    ],
)
def test_a_one_line_complaint_yields_its_fields(text: str, slots: dict[str, object]) -> None:
    understood = understand(text, ORG)
    assert understood.intent == "log_complaint"
    assert understood.slots == slots


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("KS-202611-0003 进度怎么样了", "KS-202611-0003"),
        ("ks2026110003", "KS-202611-0003"),
        ("KS202611-3 状态", "KS-202611-0003"),
    ],
)
def test_a_form_number_asks_for_its_status(text: str, number: str) -> None:
    understood = understand(text, ORG)
    assert (understood.intent, understood.slots) == ("query_status", {"complaint_no": number})


@pytest.mark.parametrize(
    ("text", "intent"), [("帮助", "help"), ("?", "help"), ("取消", "cancel"), ("明天开会吗", "unknown")]
)
def test_other_messages_map_to_help_cancel_or_unknown(text: str, intent: str) -> None:
    assert understand(text, ORG).intent == intent
