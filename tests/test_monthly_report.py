"""The monthly report (PROCEDURE §4) computed with SQL aggregates, over forms and returns made through the local
channel: figures, register, the `kesu report monthly` command and the ``complaint_clock`` backfill."""

from __future__ import annotations

import json
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import command
from openpyxl import load_workbook
from typer.testing import CliRunner

from bot.config import demo_config
from bot.main import app
from core.report import ClockRow, Count, MonthlySummary
from storage.db import make_engine
from storage.migrate import alembic_config, current, head
from storage.reports import month_bounds, monthly_summary, previous_month
from tests.e2e.chat import LocalChat, card_of, only

TZ = ZoneInfo("Asia/Shanghai")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def _return(bot: LocalChat, text: str, *, now: str) -> dict[str, Any]:
    """A return request; returns the approval card sent to the customer-service manager."""
    return card_of(only(bot.say("sales1", text, now=now), user="cs_mgr"))


def scenario(db_url: str) -> None:
    """Two forms in October, three in November (one a repeat, one handled late, one untouched) and a draft;
    a return requested in October and one received in November with anomalies D and G."""
    bot = LocalChat(db_url)

    # October. F1: urgent, handled in time and closed.
    bot.say("sales1", "明辉电子投诉X200外壳划伤,200个,急", now="2026-10-10T09:00")
    bot.click("sales1", "f1v1", "confirm", now="2026-10-10T09:01")
    bot.click("qa1", "f1v2", "valid", now="2026-10-10T10:00", department="研发部")
    fix = {"containment": "隔离库存", "root_cause": "包装无隔层", "corrective": "增加隔层"}
    bot.click("rd1", "f1v3", "respond", now="2026-10-11T09:00", **fix)
    bot.click("qa1", "f1v4", "effective", now="2026-10-11T16:00")
    bot.click("sales1", "f1v5", "reported", now="2026-10-12T09:00")
    bot.click("sales1", "f1v6", "accepted", now="2026-10-12T10:00", note="客户确认")
    _return(bot, "申请退货 KS-202610-0001 5个", now="2026-10-12T11:00")  # never decided: not a return

    # F2: customer caused; sales never explains, so it stays open (first response overdue since 10-23).
    bot.say("sales2", "顺达电器投诉FX-90风扇叶片有裂纹,15台", now="2026-10-20T09:00")
    bot.click("sales2", "f2v1", "confirm", now="2026-10-20T09:01")
    bot.click("qa1", "f2v2", "customer_caused", now="2026-10-20T10:00", reason="客户超负荷使用")

    # November. F3 (KS-202611-0001): the same customer, product and problem as F1 — a repeat; in time; closed.
    bot.say("sales1", "明辉电子投诉X200外壳划伤,50个", now="2026-11-05T09:00")
    bot.click("sales1", "f3v1", "confirm", now="2026-11-05T09:01")
    bot.click("qa1", "f3v2", "valid", now="2026-11-05T10:00", department="研发部")
    bot.click("rd1", "f3v3", "respond", now="2026-11-06T09:00", **fix)
    bot.click("qa1", "f3v4", "effective", now="2026-11-07T09:00")
    bot.click("sales1", "f3v5", "reported", now="2026-11-08T09:00")
    bot.click("sales1", "f3v6", "accepted", now="2026-11-09T09:00", note="客户确认")

    # A return of 20 against F3: approved, received with anomalies D and G.
    card = _return(bot, "申请退货 KS-202611-0001 20个", now="2026-11-06T10:00")
    bot.click("cs_mgr", card["id"], "approve", now="2026-11-06T10:10")
    out = bot.click("vp", card["id"].replace("s0", "s1"), "approve", now="2026-11-06T11:00")
    receive = card_of(only(out, user="wh1"))
    bot.click(
        "wh1", receive["id"], "receive", now="2026-11-07T09:00", received_qty="18", anomalies="d,g", note="外箱破损"
    )

    # F4 (KS-202611-0002): handled late (first response and handling both after their deadlines), left open.
    bot.say("sales2", "美的投诉 KS-10控制板 死机 30个", now="2026-11-10T09:00")
    bot.click("sales2", "f4v1", "confirm", now="2026-11-10T09:01")
    bot.click("qa1", "f4v2", "valid", now="2026-11-10T10:00", department="prod")
    bot.click("prod1", "f4v3", "respond", now="2026-11-20T09:00", **fix)
    bot.click("qa1", "f4v4", "effective", now="2026-11-21T09:00")

    # F5 (KS-202611-0003): nobody acts; its first response falls due on 11-28 and is not met.
    bot.say("sales1", "华为投诉P40支架颜色不一致,100个", now="2026-11-25T09:00")
    bot.click("sales1", "f5v1", "confirm", now="2026-11-25T09:01")

    # A draft never submitted: not counted.
    bot.say("sales2", "格力投诉 HS-7散热片 毛刺", now="2026-11-26T09:00")


def summary(db_url: str, month: str) -> MonthlySummary:
    engine = make_engine(db_url)
    try:
        org = demo_config().org
        return monthly_summary(engine, month=month, tz=TZ, org=org, problems=org.problem_types)
    finally:
        engine.dispose()


def test_the_month_in_figures(db_url: str) -> None:
    scenario(db_url)
    s = summary(db_url, "2026-11")
    assert (s.month, s.previous_month, s.complaints, s.previous_complaints) == ("2026-11", "2026-10", 3, 2)
    assert s.by_problem == (Count("appearance", "外观", 2, 1), Count("function", "功能", 1, 1))
    assert s.by_customer == (
        Count("华为", "华为", 1, 0),
        Count("明辉电子", "明辉电子", 1, 1),
        Count("美的集团", "美的集团", 1, 0),
        Count("顺达电器", "顺达电器", 0, 1),
    )
    assert s.by_product == (
        Count("KS-10", "KS-10", 1, 0),
        Count("P40", "P40", 1, 0),
        Count("X200", "X200", 1, 1),
        Count("FX-90", "FX-90", 0, 1),
    )
    assert s.by_department == (
        Count("", "未指派", 1, 1),  # F5 waits for QA; F2 was customer-caused
        Count("prod", "生产部", 1, 0),
        Count("rd", "研发部", 1, 1),
    )
    # Handling clocks due in November: F3 (met in time) and F4 (late); F5's falls due in December.
    assert (s.handled_in_time, s.handling_due, s.timely_rate) == (1, 2, 0.5)
    # First responses due in November: F3 in time, F4 late, F5 not met.
    assert (s.first_response_in_time, s.first_response_due) == (1, 3)
    assert s.repeats == 1 and s.open_8d == 1  # F3 repeats F1 (26 days earlier) and opened an 8D
    # Open at the end of November: F2 (first response overdue since October), F4 (its clocks met, late), F5.
    assert s.overdue_open == 2
    assert s.ageing == (Count("≤7天", "≤7天", 1), Count("8–30天", "8–30天", 1), Count(">30天", ">30天", 1))
    assert (s.returns, s.previous_returns, s.returned_quantity) == (1, 0, 20)  # October's was never approved
    assert {c.key: c.count for c in s.rma_anomalies} == {"A": 0, "B": 0, "C": 0, "D": 1, "E": 0, "F": 0, "G": 1}
    assert s.rma_anomalies[3].label == "(D) 包装不良"

    f3, f4, f5 = s.register
    assert (f3.number, f3.customer, f3.product, f3.problem, f3.department, f3.severity, f3.state) == (
        "KS-202611-0001",
        "明辉电子",
        "X200",
        "外观",
        "研发部",
        "普通件",
        "已结案",
    )
    assert (f3.quantity, f3.received_at, f3.closed_at, f3.repeat) == (
        50,
        at("2026-11-05T09:00"),
        at("2026-11-09T09:00"),
        True,
    )
    assert f3.clocks == (
        ClockRow(
            "first_response",
            "首次答复客户",
            at("2026-11-05T09:00"),
            at("2026-11-08T09:00"),
            at("2026-11-06T09:00"),
            False,
        ),
        ClockRow(
            "normal", "处理完成(普通件)", at("2026-11-05T09:00"), at("2026-11-12T09:00"), at("2026-11-07T09:00"), False
        ),
    )
    assert f3.received_at.utcoffset() == TZ.utcoffset(f3.received_at)  # local wall time for the workbook
    assert (f4.number, f4.state, f4.department, f4.problem, f4.quantity, f4.repeat, f4.closed_at) == (
        "KS-202611-0002",
        "待回复客户",
        "生产部",
        "功能",
        30,
        False,
        None,
    )
    assert [(c.name, c.done_at, c.breached) for c in f4.clocks] == [
        ("first_response", at("2026-11-20T09:00"), True),
        ("normal", at("2026-11-21T09:00"), True),
    ]
    assert (f5.number, f5.customer, f5.severity, f5.state, f5.department, f5.quantity) == (
        "KS-202611-0003",
        "华为",
        "普通件",
        "待品质确认",
        "",
        100,
    )
    assert [(c.name, c.due_at, c.done_at, c.breached) for c in f5.clocks] == [
        ("first_response", at("2026-11-28T09:00"), None, True),  # unmet and due before the month ended
        ("normal", at("2026-12-02T09:00"), None, False),  # due after the month ended
    ]

    october = summary(db_url, "2026-10")
    assert (october.complaints, october.previous_complaints, october.previous_month) == (2, 0, "2026-09")
    assert (october.handled_in_time, october.handling_due) == (2, 2)  # F1 effective in time; F2 judged at once
    assert (october.first_response_in_time, october.first_response_due) == (1, 2)  # F2 never explained
    assert (october.repeats, october.overdue_open, october.returns, october.returned_quantity) == (0, 1, 0, 0)
    assert [r.number for r in october.register] == ["KS-202610-0001", "KS-202610-0002"]
    assert october.register[1].state == "非我方责任,待向客户说明" and october.register[1].problem == "功能"

    empty = summary(db_url, "2026-09")
    assert (empty.complaints, empty.by_problem, empty.register, empty.timely_rate) == (0, (), (), None)


def test_the_repeat_window_is_counted_in_sql(db_url: str) -> None:
    scenario(db_url)
    engine = make_engine(db_url)
    try:
        org = demo_config().org
        within = monthly_summary(engine, month="2026-11", tz=TZ, org=org, repeat_days=26)
        outside = monthly_summary(engine, month="2026-11", tz=TZ, org=org, repeat_days=25)
    finally:
        engine.dispose()
    assert within.repeats == 1 and within.register[0].repeat  # F1 10-10 09:01, F3 11-05 09:01: 26 days
    assert outside.repeats == 0 and not outside.register[0].repeat


def test_months_are_local() -> None:
    m = month_bounds("2026-11", TZ)
    assert (m.previous, m.start, m.end) == (at("2026-10-01T00:00"), at("2026-11-01T00:00"), at("2026-12-01T00:00"))
    assert month_bounds("2027-01", TZ).previous_name == "2026-12"
    assert previous_month(at("2027-01-01T00:30")) == "2026-12"


def test_kesu_report_monthly_prints_and_writes_the_files(db_url: str, tmp_path: Path) -> None:
    scenario(db_url)
    xlsx, png = tmp_path / "2026-11.xlsx", tmp_path / "pareto.png"
    env = {"KESU_DATABASE_URL": db_url, "KESU_CONFIG": ""}
    args = ["report", "monthly", "--month", "2026-11", "--xlsx", str(xlsx), "--png", str(png)]
    result = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "2026-11 客诉月报" in result.stdout
    assert "客诉：3 件（较上月 +1）" in result.stdout
    assert "处理及时率：50%（1/2）" in result.stdout
    assert "重复发生：1 件；8D 未结：1 件" in result.stdout
    assert "退货：1 次（较上月 +1），共 20 件" in result.stdout  # October's request was never approved
    assert f"Excel 工作簿已写入:{xlsx}" in result.stdout and f"柏拉图已写入:{png}" in result.stdout

    wb = load_workbook(BytesIO(xlsx.read_bytes()))
    assert wb.sheetnames == ["汇总", "登记表"]
    figures = {row[0]: row[1:] for row in wb["汇总"].iter_rows(values_only=True) if row[0]}
    assert figures["客诉件数"] == (3, 2)
    rows = list(wb["登记表"].iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["KS-202611-0001", "KS-202611-0002", "KS-202611-0003"]
    assert rows[1][8] == datetime(2026, 11, 5, 9, 0)  # 接收时间, local wall time
    assert png.read_bytes().startswith(PNG_SIGNATURE)

    # The default month is the one before --now; a malformed month is refused.
    result = CliRunner().invoke(app, ["report", "monthly", "--now", "2026-12-01T08:00"], env=env)
    assert result.exit_code == 0 and "2026-11 客诉月报" in result.stdout
    result = CliRunner().invoke(app, ["report", "monthly", "--month", "2026-13"], env=env)
    assert result.exit_code == 2 and "YYYY-MM" in result.output


def _clock_rows(engine: sa.Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        found = conn.execute(
            sa.text("SELECT complaint_id, name, started_at, due_at, met_at FROM complaint_clock ORDER BY id")
        ).all()
    return [tuple(r) for r in found]


def _json_clocks(engine: sa.Engine) -> list[tuple[int, str, str, str | None]]:
    """Every clock every form keeps in its JSON: (form id, name, due, met)."""
    with engine.connect() as conn:
        forms = conn.execute(sa.text("SELECT id, data FROM complaint WHERE submitted_at IS NOT NULL ORDER BY id"))
        out = []
        for complaint_id, data in forms:
            doc = json.loads(data) if isinstance(data, str) else data
            out += [(complaint_id, c["name"], c["due_at"], c["met_at"]) for c in doc["clocks"]]
    return out


def test_clock_rows_follow_the_forms_and_the_migration_backfills_them(db_url: str) -> None:
    scenario(db_url)
    engine = make_engine(db_url)
    try:
        expected = _json_clocks(engine)
        assert len(expected) == 10  # five submitted forms, two clocks each; the draft has none
        kept = _clock_rows(engine)
        assert [(r[0], r[1]) for r in kept] == [(f, n) for f, n, _, _ in expected]
        with engine.connect() as conn:
            met = conn.execute(sa.text("SELECT count(*) FROM complaint_clock WHERE met_at IS NOT NULL")).scalar_one()
        assert met == sum(1 for *_, m in expected if m)

        # Back to 0006 (the table goes) and up again: the rows are rebuilt from the JSON.
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0006")
        assert not sa.inspect(engine).has_table("complaint_clock")
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        assert current(engine) == head()
        assert _clock_rows(engine) == kept
        s = monthly_summary(engine, month="2026-11", tz=TZ, org=demo_config().org)
        assert (s.handled_in_time, s.handling_due, s.overdue_open) == (1, 2, 2)
    finally:
        engine.dispose()
