"""The parser on the messages the issues quote; the dev set (tests/data) measures the rest."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.config import demo_config
from bot.intents.numbers import to_int
from bot.intents.understand import Parser

PARSE = Parser(demo_config().org)
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        (
            "明辉电子投诉X200外壳划伤,200个,急",
            {"customer": "明辉电子", "product": "X200", "defect": "划伤", "quantity": 200, "severity": "urgent"},
        ),
        (
            "华为投诉 P40支架 颜色不一致 1000pcs 加急处理",
            {"customer": "华为", "product": "P40", "defect": "颜色不一致", "quantity": 1000, "severity": "urgent"},
        ),
        (
            "刚接到顺达电器电话,说我们的FX-90风扇叶片有裂纹,一共15台,今天要回复",
            {"customer": "顺达电器", "product": "FX-90", "defect": "叶片有裂纹", "quantity": 15, "severity": "urgent"},
        ),
        (
            "美的投诉 KS-10控制板 死机 30个 订单SO2026-0456",
            {
                "customer": "美的集团",
                "product": "KS-10",
                "defect": "死机",
                "quantity": 30,
                "order_no": "SO2026-0456",
                "severity": "normal",
            },
        ),
        (
            "宏达科技反馈AB-300漏水,三十个左右,订单号MO-88231",
            {
                "customer": "宏达科技",
                "product": "AB-300",
                "defect": "漏水",
                "quantity": 30,
                "order_no": "MO-88231",
                "severity": "normal",
            },
        ),
        (
            "【客户反馈】东莞永盛五金:M3螺丝生锈 1.5万个 不急",
            {"customer": "东莞永盛五金", "product": "M3-8", "defect": "生锈", "quantity": 15000, "severity": "normal"},
        ),
        (
            "明辉电孑投拆X200划伤两百个",
            {"customer": "明辉电子", "product": "X200", "defect": "划伤", "quantity": 200, "severity": "normal"},
        ),
    ],
)
def test_a_one_line_complaint_yields_its_fields(text: str, slots: dict[str, object]) -> None:
    understood = PARSE(text, NOW)
    assert understood.intent == "log_complaint"
    assert understood.slots == slots


@pytest.mark.parametrize(
    ("text", "intent", "slots"),
    [
        ("KS-202611-0003 进度怎么样了", "query_status", {"complaint_no": "KS-202611-0003"}),
        ("ks2026110003", "query_status", {"complaint_no": "KS-202611-0003"}),
        ("KS202611-0003 状态", "query_status", {"complaint_no": "KS-202611-0003"}),
        ("rma2026110007 到哪了", "query_status", {"rma_no": "RMA-202611-0007"}),
        ("明辉那单投诉处理到哪了", "query_status", {"customer": "明辉电子"}),
        ("上个月投诉汇总发我一下", "monthly_summary", {"month": "2026-10"}),
        ("12月份的投诉统计", "monthly_summary", {"month": "2025-12"}),
        ("我的待办", "my_tasks", {}),
        ("超期的有哪些", "my_tasks", {}),
        (
            "申请退货 KS-202611-0002 明辉 X200 200个",
            "request_return",
            {"complaint_no": "KS-202611-0002", "customer": "明辉电子", "product": "X200", "quantity": 200},
        ),
        ("明天去拜访格力", "record_visit", {"customer": "格力电器"}),
        ("帮助", "help", {}),
        ("取消", "cancel", {}),
        ("今天中午吃什么", "unknown", {}),
        ("X200报价多少", "unknown", {}),
        ("帮我下个订单 P40 500个", "unknown", {}),
    ],
)
def test_other_intents_and_their_fields(text: str, intent: str, slots: dict[str, object]) -> None:
    understood = PARSE(text, NOW)
    assert (understood.intent, understood.slots) == (intent, slots)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("200", 200),
        ("1,200", 1200),
        ("1.5万", 15000),
        ("2k", 2000),
        ("两百", 200),
        ("一千二", 1200),
        ("三十", 30),
        ("十五", 15),
        ("一百零五", 105),
        ("三万五", 35000),
        ("十几", None),
        ("万", None),  # a scale word alone is no number (it was 0)
    ],
)
def test_numbers_as_people_type_them(text: str, value: int | None) -> None:
    assert to_int(text) == value


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("明辉电子投诉X200外壳划伤,-5个", "-5"),
        ("明辉电子投诉X200外壳划伤 负5个", "负5"),
        ("明辉电子投诉X200外壳划伤,数量:-5", "-5"),
        ("明辉 X200 划伤 -200", "-200"),
        ("明辉电子投诉X200外壳划伤,1.5个", "1.5"),
        ("明辉电子投诉X200外壳划伤,0个", "0"),
        ("申请退货 KS-202611-0001 1.5个", "1.5"),
    ],
)
def test_a_quantity_that_is_not_a_positive_whole_number_is_never_changed_into_one(text: str, written: str) -> None:
    understood = PARSE(text, NOW)
    assert "quantity" not in understood.slots and "quantity" not in understood.entities
    assert understood.invalid == {"quantity": f"数量要填正整数,收到的是「{written}」。"}


def test_a_twenty_digit_quantity_is_kept_as_written_for_the_domain_and_a_twenty_digit_code_is_no_quantity() -> None:
    huge = PARSE("明辉电子投诉X200外壳划伤,123456789012345678901个", NOW)
    assert huge.slots["quantity"] == 123456789012345678901 and huge.invalid == {}  # the domain refuses it
    longer = PARSE("明辉电子投诉X200外壳划伤," + "9" * 5000 + "个", NOW)
    assert longer.slots["quantity"] == 10**30  # never converted digit by digit: beyond any maximum
    code = PARSE("明辉电子投诉X200外壳划伤 123456789012345678901", NOW)
    assert "quantity" not in code.slots and code.invalid == {}


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("明辉电子投诉X200-5个外壳划伤", {"product": "X200", "quantity": 5, "defect": "外壳划伤"}),
        ("明辉电子投诉X200外壳划伤-5个", {"product": "X200", "quantity": 5, "defect": "划伤"}),
        ("明辉电子投诉X200外壳划伤 200个", {"product": "X200", "quantity": 200}),
        ("明辉电子投诉X200外壳划伤 订单SO-2026-118 200个", {"order_no": "SO-2026-118", "quantity": 200}),
        ("明辉电子投诉X200外壳划伤 客户电话 13812345678", {"product": "X200"}),
        ("明辉电子投诉X200外壳划伤 电话0755-12345678", {"product": "X200"}),
        ("明辉电子投诉X200外壳划伤 1.5万个", {"quantity": 15000}),
    ],
)
def test_a_dash_between_words_a_model_an_order_or_a_phone_number_is_no_minus(
    text: str, fields: dict[str, object]
) -> None:
    understood = PARSE(text, NOW)
    assert understood.invalid == {}
    assert {k: understood.slots.get(k) for k in fields} == fields
    if "quantity" not in fields:
        assert "quantity" not in understood.slots


@pytest.mark.parametrize(
    ("text", "month", "problem"),
    [
        ("10月客诉统计", "2026-10", None),
        ("2026年10月客诉统计", "2026-10", None),
        ("2026-10客诉统计", "2026-10", None),
        ("13月客诉统计", None, "月份「13月」不存在,请写 1–12 月。"),
        ("2026年13月客诉统计", None, "月份「2026年13月」不存在,请写 1–12 月。"),
        ("99999年1月客诉统计", None, "年份「99999」不对,只能查 2021–2026 年的月份。"),
        ("2019年10月客诉统计", None, "年份「2019」不对,只能查 2021–2026 年的月份。"),
    ],
)
def test_a_month_that_does_not_exist_is_refused_not_read_as_another(
    text: str, month: str | None, problem: str | None
) -> None:
    understood = PARSE(text, NOW)
    assert understood.intent == "monthly_summary"
    assert understood.slots.get("month") == month
    assert understood.invalid.get("month") == problem


def test_a_fraction_or_a_huge_number_is_never_rounded() -> None:
    assert to_int("1.5") is None
    assert to_int("1.25k") == 1250
    assert to_int("123456789012345678901") == 123456789012345678901


@pytest.mark.parametrize(
    "text",
    [
        "合同评审 美的 P40 5000个 " + "9" * 5000 + "年1月1日交货",
        "9" * 5000 + "年1月客诉统计",
    ],
)
def test_a_number_of_thousands_of_digits_is_refused_in_a_short_sentence_not_a_crash(text: str) -> None:
    (problem,) = PARSE(text, NOW).invalid.values()
    assert "99999999999999999999…" in problem and len(problem) < 60
