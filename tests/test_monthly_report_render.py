"""The monthly report renderers: chat text, Pareto PNG (with Chinese glyphs) and the Excel workbook."""

from __future__ import annotations

import warnings
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.reports import monthly
from core.report import ClockRow, Count, MonthlySummary, RegisterRow

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CST = timezone(timedelta(hours=8))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, 30, tzinfo=CST)


def _row(number: str, problem: str, *, breached: bool, closed: bool) -> RegisterRow:
    clocks = (
        ClockRow("first_response", "首次答复", _at(2), _at(5), _at(4) if not breached else _at(6), breached),
        ClockRow("handling", "处理", _at(2), _at(20), _at(18) if closed else None, False),
    )
    return RegisterRow(
        number=number,
        customer="华东电器",
        product="PCB-A12",
        problem=problem,
        department="生产部",
        severity="普通件",
        state="已关闭" if closed else "处理中",
        quantity=120,
        received_at=_at(2, 8),
        closed_at=_at(18, 16) if closed else None,
        repeat=breached,
        clocks=clocks,
    )


def _summary() -> MonthlySummary:
    register = (
        _row("KS-2611-001", "外观不良", breached=True, closed=True),
        _row("KS-2611-002", "尺寸超差", breached=False, closed=False),
        replace(_row("KS-2611-003", "包装破损", breached=False, closed=True), clocks=()),
    )
    return MonthlySummary(
        month="2026-11",
        previous_month="2026-10",
        complaints=12,
        previous_complaints=9,
        by_problem=(
            Count("size", "尺寸超差", 3, 1),
            Count("look", "外观不良", 5, 4),
            Count("none", "未分类", 0, 2),
            Count("pack", "包装破损", 2, 0),
            Count("func", "功能失效", 1, 1),
            Count("mix", "混料", 1, 0),
        ),
        by_customer=(Count("c1", "华东电器", 7, 5), Count("c2", "南方机电", 5, 4)),
        by_product=(Count("p1", "PCB-A12", 8, 6),),
        by_department=(Count("d1", "生产部", 9, 7), Count("d2", "品质部", 3, 2)),
        handled_in_time=5,
        handling_due=6,
        first_response_in_time=0,
        first_response_due=0,
        repeats=1,
        open_8d=2,
        overdue_open=1,
        ageing=(Count("le7", "≤7天", 2), Count("le30", "8–30天", 1), Count("gt30", ">30天", 0)),
        returns=4,
        previous_returns=6,
        returned_quantity=350,
        rma_anomalies=(Count("A", "(A) 数量不符", 2), Count("B", "(B) 无单退货", 0)),
        register=register,
    )


def test_text_shows_month_rates_and_dashes() -> None:
    body = monthly.text(_summary())
    assert "2026-11 客诉月报" in body
    assert "+3" in body  # 12 vs 9
    assert "−2" in body  # returns 4 vs 6
    assert "处理及时率：83.3%" in body
    assert "首次答复及时率：—" in body  # nothing fell due
    assert "外观不良 5、尺寸超差 3、包装破损 2" in body
    assert "(A) 数量不符 2" in body and "(B)" not in body
    assert all(len(line) <= 40 for line in body.splitlines())


def test_text_flat_month() -> None:
    s = replace(_summary(), previous_complaints=12, rma_anomalies=())
    body = monthly.text(s)
    assert "较上月 持平" in body
    assert "收货异常" not in body


def test_pareto_points_are_descending_and_cumulative() -> None:
    points = monthly.pareto_points(_summary())
    assert [label for label, _, _ in points] == ["外观不良", "尺寸超差", "包装破损", "功能失效", "混料"]
    counts = [count for _, count, _ in points]
    assert counts == sorted(counts, reverse=True)
    cumulative = [pct for _, _, pct in points]
    assert cumulative == sorted(cumulative)
    assert cumulative[0] == pytest.approx(5 / 12 * 100)
    assert cumulative[-1] == 100.0


def test_pareto_png_is_an_image_with_chinese_glyphs() -> None:
    from matplotlib.image import imread

    font = monthly.cjk_font()
    if font is None:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    assert "CJK" in font or "WenQuanYi" in font or "Source Han" in font
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = monthly.pareto_png(_summary())
    assert not [w for w in caught if "missing from" in str(w.message)], [str(w.message) for w in caught]
    assert png.startswith(PNG_SIGNATURE)
    image = imread(BytesIO(png), format="png")
    height, width = image.shape[:2]
    assert width > 600 and height > 400
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "pareto.png").write_bytes(png)


def test_pareto_png_without_complaints() -> None:
    s = replace(_summary(), complaints=0, by_problem=(Count("none", "未分类", 0, 2),))
    assert monthly.pareto_points(s) == []
    png = monthly.pareto_png(s)
    assert png.startswith(PNG_SIGNATURE)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "pareto_empty.png").write_bytes(png)


def test_workbook_has_summary_and_register() -> None:
    s = _summary()
    wb = load_workbook(BytesIO(monthly.workbook_xlsx(s)))
    assert wb.sheetnames == ["汇总", "登记表"]

    summary = wb["汇总"]
    assert summary.freeze_panes == "A2"
    assert summary["A1"].font.bold
    figures = {row[0]: row[1:] for row in summary.iter_rows(values_only=True) if row[0]}
    assert figures["客诉件数"] == (12, 9)
    assert figures["处理及时率"][0] == pytest.approx(5 / 6)
    assert figures["首次答复及时率"][0] == "—"
    assert figures["外观不良"] == (5, 4)
    assert figures["品质部"] == (3, 2)

    register = wb["登记表"]
    rows = list(register.iter_rows(values_only=True))
    assert len(rows) == 1 + len(s.register)
    header = list(rows[0])
    assert header[:11] == [
        "编号", "客户", "产品", "问题类型", "责任部门", "等级", "状态", "数量", "接收时间", "关闭时间", "重复"
    ]  # fmt: skip
    assert header[11:] == [
        f"{clock} {part}" for clock in ("首次答复", "处理") for part in ("开始", "截止", "完成", "超期")
    ]
    assert register["A1"].font.bold
    assert register.freeze_panes == "B2"
    first, second, third = (dict(zip(header, row, strict=True)) for row in rows[1:])
    assert first["首次答复 超期"] == "是" and first["重复"] == "是"
    assert second["首次答复 超期"] == "否" and second["处理 完成"] is None
    assert third["首次答复 截止"] is None  # a form without clocks
    assert first["接收时间"] == datetime(2026, 11, 2, 8, 30)  # local wall time, naive
    assert isinstance(first["首次答复 截止"], datetime)
    assert register.column_dimensions["A"].width >= len("KS-2611-001")


def test_cjk_font_survives_a_stale_font_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib import font_manager

    if not any("cjk" in Path(p).name.lower() for p in font_manager.findSystemFonts()):
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    stale = [f for f in font_manager.fontManager.ttflist if "CJK" not in f.name]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)
    monthly.cjk_font.cache_clear()
    try:
        assert monthly.cjk_font() == "Noto Sans CJK SC"
    finally:
        monthly.cjk_font.cache_clear()


def test_without_cjk_font_warns_once_and_renders(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from matplotlib import font_manager

    stale = [f for f in font_manager.fontManager.ttflist if "CJK" not in f.name]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: [])
    monthly.cjk_font.cache_clear()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the missing glyphs
            png = monthly.pareto_png(_summary())
            monthly.pareto_png(_summary())
        assert png.startswith(PNG_SIGNATURE)
        assert len([r for r in caplog.records if "no CJK font" in r.getMessage()]) == 1
    finally:
        monthly.cjk_font.cache_clear()
